"""chhotograd.functional: softmax family and losses against PyTorch, stability."""

import numpy as np
import pytest
import torch
from chhotograd_helpers import SETTINGS, arrays, compare_with_torch, shapes
from hypothesis import given
from hypothesis import strategies as st

import chhotograd as cg
import chhotograd.functional as F


@st.composite
def array_and_axis(draw):
    shape = draw(shapes.filter(len))
    return draw(arrays(shape, -10.0, 10.0)), draw(st.integers(-len(shape), len(shape) - 1))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@SETTINGS
@given(args=array_and_axis())
def test_softmax_family_matches_torch(name, args):
    x, axis = args
    compare_with_torch(
        lambda t: getattr(F, name)(t, axis=axis),
        x,
        torch_f=lambda t: getattr(torch, name)(t, dim=axis),
    )


def test_softmax_family_is_stable_for_huge_inputs():
    x = cg.tensor(np.array([[1000.0, 0.0, -1000.0], [-1e4, -1e4, -1e4]]), requires_grad=True)
    for y in (F.softmax(x), F.log_softmax(x), F.cross_entropy(x, [2, 0])):
        assert np.all(np.isfinite(y.data))
    np.testing.assert_allclose(F.log_softmax(x).data[0], [0.0, -1000.0, -2000.0])
    F.cross_entropy(x, [2, 0]).backward()
    assert np.all(np.isfinite(x.grad))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@SETTINGS
@given(data=st.data(), n=st.integers(1, 5), classes=st.integers(1, 4))
def test_cross_entropy_matches_torch(reduction, data, n, classes):
    logits = data.draw(arrays((n, classes), -10.0, 10.0))
    labels = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    compare_with_torch(
        lambda t, y: F.cross_entropy(t, y, reduction=reduction),
        logits,
        labels,
        torch_f=lambda t, y: torch.nn.functional.cross_entropy(t, y, reduction=reduction),
    )


def test_cross_entropy_takes_targets_as_a_list_array_or_tensor():
    logits = cg.tensor(np.array([[1.0, 2.0], [0.5, -1.0]]))
    values = [
        F.cross_entropy(logits, y).item() for y in ([1, 0], np.array([1, 0]), cg.tensor([1, 0]))
    ]
    assert values[0] == values[1] == values[2]


def test_cross_entropy_refuses_wrong_targets():
    logits = cg.tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"logits \(3, 4\) and targets \(2,\) of dtype int64"):
        F.cross_entropy(logits, np.array([1, 2]))
    with pytest.raises(ValueError, match="integer targets"):
        F.cross_entropy(logits, np.array([1.0, 2.0, 0.0]))


def test_an_unknown_reduction_is_refused():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', not 'avg'"):
        F.mse_loss(cg.tensor([1.0]), cg.tensor([2.0]), reduction="avg")


def test_linear_and_conv2d_functions_match_torch():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    compare_with_torch(F.linear, x, w, torch_f=torch.nn.functional.linear)
    compare_with_torch(
        F.linear, x[0], w, rng.standard_normal(2), torch_f=torch.nn.functional.linear
    )
    image, kernels = rng.standard_normal((2, 3, 7, 6)), rng.standard_normal((4, 3, 3, 3))
    compare_with_torch(
        lambda a, b: F.conv2d(a, b, stride=(2, 1), padding=(1, 2)),
        image,
        kernels,
        torch_f=lambda a, b: torch.nn.functional.conv2d(a, b, stride=(2, 1), padding=(1, 2)),
    )
    with pytest.raises(ValueError, match=r"input \(2, 3, 7, 6\) and weight \(4, 2, 3, 3\)"):
        F.conv2d(cg.tensor(image), cg.tensor(kernels[:, :2]))
