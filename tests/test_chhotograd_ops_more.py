"""The operations beyond chapter 5 that a PyTorch user reaches for (creation, min and argmax,
logsumexp, cat and stack, squeeze, where, maximum, clip, leaky_relu, gelu, dropout) give
PyTorch's values and gradients, keep float32, and refuse bad arguments with a clear message."""

import re

import numpy as np
import pytest
import torch
from chhotograd_helpers import SETTINGS, Constant, arrays, axes_for, compare_with_torch, shapes
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chhotograd as cg
import chhotograd.functional as F


def all_dims(x):
    return tuple(range(x.ndim))


# --------------------------------------------------------------------- creation
@pytest.mark.parametrize("name", ["zeros", "ones"])
@pytest.mark.parametrize("size", [((),), (3,), (2, 3), ((2, 3),), ([4, 1],), (np.int64(2), 2)])
def test_zeros_and_ones_match_torch_and_default_to_float32(name, size):
    ours, theirs = getattr(cg, name)(*size), getattr(torch, name)(*size)
    assert ours.dtype == np.float32 and not ours.requires_grad
    np.testing.assert_array_equal(ours.data, theirs.numpy())


@pytest.mark.parametrize(
    "args",
    [(5,), (2, 7), (1, 10, 3), (5, 0, -2), (0, 1, 0.1), (-1.5, 2.0, 0.25), (0.0, 3), (3, -3, -1)],
)
def test_arange_matches_torch_values_and_dtype(args):
    ours, theirs = cg.arange(*args), torch.arange(*args)
    assert ours.dtype == theirs.numpy().dtype  # int64 for whole numbers, else float32
    np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_creation_takes_dtype_and_requires_grad():
    x = cg.zeros(2, dtype=np.float64, requires_grad=True)
    assert x.dtype == np.float64 and x.requires_grad and x.grad is None
    assert cg.ones(3, dtype=np.int64).dtype == np.int64
    assert cg.arange(3, dtype=np.float64).dtype == np.float64
    (cg.ones(2, requires_grad=True) * 3).sum().backward()  # a leaf like any other


def test_like_functions_copy_shape_and_dtype():
    for x in (cg.tensor(np.ones((2, 3))), np.ones((2, 3), dtype=np.float32), [[1.0, 2.0, 3.0]]):
        for f in (cg.zeros_like, cg.ones_like, cg.randn_like):
            y = f(x)
            assert y.shape == np.shape(x) and y.dtype == cg.Tensor(x).dtype
    assert cg.zeros_like(cg.tensor([1, 2])).dtype == np.int64
    assert cg.ones_like(cg.tensor([1, 2]), dtype=np.float32).dtype == np.float32
    assert cg.zeros_like(cg.tensor([1.0]), dtype=np.dtype("float64")).dtype == np.float64
    np.testing.assert_array_equal(cg.ones_like(cg.zeros(2, 2)).data, np.ones((2, 2)))


def test_randn_comes_from_the_seeded_generator():
    cg.manual_seed(7)
    a = cg.randn(4, 3)
    cg.manual_seed(7)
    b, c = cg.randn((4, 3)), cg.randn(4, 3)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(b.data, c.data)
    cg.manual_seed(7)
    np.testing.assert_array_equal(cg.randn_like(a).data, a.data)
    cg.manual_seed(7)  # float64 draws the same numbers, before rounding to float32
    np.testing.assert_array_equal(cg.randn(4, 3, dtype=np.float64).data.astype(np.float32), a.data)
    assert a.dtype == np.float32


def test_randn_is_standard_normal():
    cg.manual_seed(0)
    x = cg.randn(100_000).data
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1) < 0.02


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: cg.zeros(2.5), TypeError, r"zeros\(\) takes its size as whole numbers"),
        (lambda: cg.ones((2, "3")), TypeError, r"ones\(\(2, 3\)\)"),
        (lambda: cg.zeros(True), TypeError, "whole numbers"),
        (lambda: cg.ones(), TypeError, r"ones\(\) needs a size, like ones\(2, 3\)"),
        (lambda: cg.randn(2, -1), ValueError, r"randn\(\): a size cannot be negative"),
        (lambda: cg.randn(2, dtype=np.int64), TypeError, "need a floating dtype, not int64"),
        (lambda: cg.randn_like(cg.tensor([1, 2])), TypeError, "floating dtype"),
        (lambda: cg.arange(0, 5, 0), ValueError, "step must not be 0"),
        (lambda: cg.arange(3, 0), ValueError, r"never reaches 0.*negative step"),
        (
            lambda: cg.zeros(2, dtype=np.int64, requires_grad=True),
            TypeError,
            "only floating-point tensors can require gradients",
        ),
    ],
)
def test_creation_refuses_bad_arguments_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------- reductions
@st.composite
def reduction_args(draw):
    """An array with many ties, an axis argument that fits it (None, int or tuple), keepdims."""
    shape = draw(shapes)
    return np.round(draw(arrays(shape))), draw(axes_for(len(shape))), draw(st.booleans())


@SETTINGS
@given(args=reduction_args())
def test_min_matches_torch_amin_including_ties(args):
    x, axis, keepdims = args
    dims = all_dims(x) if axis is None else axis
    compare_with_torch(
        lambda t: t.min(axis=axis, keepdims=keepdims),
        x,
        torch_f=lambda t: torch.amin(t, dim=dims, keepdim=keepdims),
    )


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@SETTINGS
@given(x=arrays(hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)), data=st.data())
def test_argmax_and_argmin_match_torch_first_index_on_ties(name, x, data):
    x = np.round(x)  # ties: the first index wins, in both libraries
    axes = [None] + list(range(-x.ndim, x.ndim)) + ([0] if x.ndim == 0 else [])
    axis, keepdims = data.draw(st.sampled_from(axes)), data.draw(st.booleans())
    out = compare_with_torch(
        lambda t: getattr(t, name)(axis, keepdims),
        x,
        torch_f=lambda t: getattr(t, name)(dim=axis, keepdim=keepdims),
    )
    assert out.dtype == np.int64 and not out.requires_grad


@st.composite
def logsumexp_args(draw):
    shape = draw(shapes)
    return draw(arrays(shape, -10.0, 10.0)), draw(axes_for(len(shape))), draw(st.booleans())


@SETTINGS
@given(args=logsumexp_args())
def test_logsumexp_matches_torch(args):
    x, axis, keepdims = args
    dims = all_dims(x) if axis is None else axis
    compare_with_torch(
        lambda t: t.logsumexp(axis, keepdims),
        x,
        torch_f=lambda t: torch.logsumexp(t, dim=dims, keepdim=keepdims),
    )


def test_logsumexp_is_stable_for_huge_and_infinite_inputs():
    x = cg.tensor(np.array([[1000.0, 1000.0, -1000.0], [-1e4, -1e4, -1e4]]), requires_grad=True)
    y = x.logsumexp(axis=1)
    np.testing.assert_allclose(y.data, [1000.0 + np.log(2), -1e4 + np.log(3)])
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    all_minus_inf = cg.tensor([-np.inf, -np.inf]).logsumexp()
    assert all_minus_inf.item() == -np.inf == torch.logsumexp(torch.tensor([-np.inf] * 2), 0)


def test_reductions_of_a_0d_tensor_accept_axis_0_and_minus_1_like_torch():
    x = np.array(2.5)
    for axis in (0, -1):
        compare_with_torch(lambda t, a=axis: t.min(a), x, torch_f=lambda t, a=axis: t.amin(a))
        compare_with_torch(lambda t, a=axis: t.logsumexp(a), x)
        assert cg.tensor(2.5).argmax(axis).item() == 0


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: cg.zeros(2, 3).argmax((0, 1)), TypeError, r"one axis \(an int\) or None"),
        (lambda: cg.zeros(0).argmin(), ValueError, r"argmin\(\) of an empty tensor"),
        (lambda: cg.tensor(1.0).min(1), IndexError, "axis 1 is out of range for 1 axes"),
        (lambda: cg.zeros(2, 3).argmax(2), ValueError, "axis 2 is out of bounds"),
    ],
)
def test_reductions_refuse_bad_arguments_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------- shape: squeeze, unsqueeze
@SETTINGS
@given(x=arrays(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=2)), data=st.data())
def test_squeeze_matches_torch_and_leaves_other_axes_alone(x, data):
    compare_with_torch(lambda t: t.squeeze(), x)
    n = max(x.ndim, 1)
    axis = data.draw(st.integers(-n, n - 1))  # the axis may have size 2: then nothing happens
    compare_with_torch(lambda t: t.squeeze(axis), x)
    axes = tuple(data.draw(st.lists(st.integers(0, n - 1), unique=True)))
    compare_with_torch(lambda t: t.squeeze(axes), x)


@SETTINGS
@given(x=arrays(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)), data=st.data())
def test_unsqueeze_matches_torch_at_every_position(x, data):
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    compare_with_torch(lambda t: t.unsqueeze(axis), x)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: cg.zeros(2, 3).squeeze(2), IndexError, r"squeeze\(\): axis 2 is out of range"),
        (lambda: cg.zeros(2, 3).unsqueeze(3), IndexError, "use an axis from -3 to 2"),
        (lambda: cg.zeros(2, 3).unsqueeze(-4), IndexError, "axis -4 is out of range"),
        (lambda: cg.zeros(2, 3).unsqueeze(0.5), TypeError, "axis must be an int, not 0.5"),
    ],
)
def test_squeeze_and_unsqueeze_refuse_bad_axes_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------- cat and stack
@st.composite
def cat_args(draw):
    """2 or 3 arrays that differ only in the size of ``axis``, and that axis (maybe negative)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    sizes = draw(st.lists(st.integers(0, 3), min_size=2, max_size=3))
    parts = []
    for size in sizes:
        part = list(shape)
        part[axis] = size
        parts.append(draw(arrays(tuple(part))))
    return parts, axis


@SETTINGS
@given(args=cat_args())
def test_cat_matches_torch(args):
    parts, axis = args
    compare_with_torch(lambda *t: cg.cat(t, axis), *parts, torch_f=lambda *t: torch.cat(t, axis))


@SETTINGS
@given(data=st.data(), count=st.integers(1, 3))
def test_stack_matches_torch(data, count):
    shape = data.draw(hnp.array_shapes(min_dims=0, max_dims=3, max_side=3))
    parts = [data.draw(arrays(shape)) for _ in range(count)]
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    compare_with_torch(
        lambda *t: cg.stack(list(t), axis), *parts, torch_f=lambda *t: torch.stack(t, axis)
    )


def test_cat_and_stack_with_constants_give_gradients_only_to_tensors():
    a, c = np.arange(6.0).reshape(2, 3), np.ones((1, 3))
    compare_with_torch(
        lambda x, k: cg.cat([x, k]) * 2, a, Constant(c), torch_f=lambda x, k: torch.cat([x, k]) * 2
    )
    compare_with_torch(
        lambda x, k: cg.stack((k[0], x[1])),
        a,
        Constant(c),
        torch_f=lambda x, k: torch.stack((k[0], x[1])),
    )


def test_cat_and_stack_promote_dtypes_like_torch():
    f32, f64, i64 = cg.zeros(2), cg.zeros(2, dtype=np.float64), cg.tensor([1, 2])
    assert cg.cat([f32, i64]).dtype == np.float32  # NumPy alone would give float64
    assert cg.cat([f32, f64]).dtype == np.float64
    assert cg.stack([i64, i64]).dtype == np.int64
    assert cg.stack([f32, i64]).dtype == np.float32


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: cg.cat([]), ValueError, r"cat\(\) needs at least one tensor, but the list"),
        (lambda: cg.stack(()), ValueError, r"stack\(\) needs at least one tensor"),
        (lambda: cg.cat(cg.zeros(2, 3)), TypeError, r"a list or tuple of tensors, like cat"),
        (
            lambda: cg.cat([cg.tensor(1.0), cg.tensor(2.0)]),
            ValueError,
            r"cannot join 0-d tensors.*use stack\(\)",
        ),
        (
            lambda: cg.cat([cg.zeros(2), cg.zeros(2, 2)]),
            ValueError,
            re.escape("the same number of axes; got shapes [(2,), (2, 2)]"),
        ),
        (
            lambda: cg.cat([cg.zeros(2, 3), cg.zeros(3, 2)]),
            ValueError,
            re.escape(
                "along axis 0: every other axis must have the same size in every tensor, "
                "but the shapes are [(2, 3), (3, 2)]"
            ),
        ),
        (lambda: cg.cat([cg.zeros(2)], axis=1), IndexError, r"cat\(\): axis 1 is out of range"),
        (
            lambda: cg.stack([cg.zeros(2), cg.zeros(3)]),
            ValueError,
            re.escape("stack() needs tensors of one shape; got shapes [(2,), (3,)]"),
        ),
        (lambda: cg.stack([cg.zeros(2)], axis=2), IndexError, "use an axis from -2 to 1"),
    ],
)
def test_cat_and_stack_refuse_bad_arguments_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------- where, maximum, minimum
three_shapes = hnp.mutually_broadcastable_shapes(
    num_shapes=3, min_dims=0, max_dims=3, min_side=1, max_side=3
).map(lambda result: result.input_shapes)


@SETTINGS
@given(data=st.data())
def test_where_broadcasts_and_matches_torch(data):
    shape_c, shape_x, shape_y = data.draw(three_shapes)
    cond = data.draw(hnp.arrays(np.bool_, shape_c))
    x, y = data.draw(arrays(shape_x)), data.draw(arrays(shape_y))
    compare_with_torch(lambda c, a, b: cg.where(c, a, b), Constant(cond), x, y, torch_f=torch.where)
    compare_with_torch(
        lambda a: cg.where(cg.tensor(cond), a, 0.5),
        x,
        torch_f=lambda a: torch.where(torch.from_numpy(cond), a, 0.5),
    )


def test_where_keeps_float32_and_takes_numbers_on_both_sides():
    x = cg.tensor([1.0, -2.0, 3.0], requires_grad=True)
    assert cg.where(x > 0, x, 0).dtype == np.float32
    assert cg.where(x > 0, 0, cg.tensor([1, 2, 3])).dtype == np.int64
    both = cg.where(x > 0, 1.0, -1.0)
    assert both.dtype == np.float32 and not both.requires_grad
    np.testing.assert_array_equal(both.data, [1.0, -1.0, 1.0])


@pytest.mark.parametrize("name", ["maximum", "minimum"])
@SETTINGS
@given(data=st.data())
def test_maximum_and_minimum_broadcast_and_split_ties_like_torch(name, data):
    shape_a, shape_b = data.draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3).map(
            lambda r: r.input_shapes
        )
    )
    # Rounded: many ties, where each input gets half the gradient.
    a, b = np.round(data.draw(arrays(shape_a))), np.round(data.draw(arrays(shape_b)))
    compare_with_torch(getattr(cg, name), a, b, torch_f=getattr(torch, name))
    compare_with_torch(
        lambda t: getattr(cg, name)(t, 1.0),
        a,
        torch_f=lambda t: getattr(torch, name)(t, torch.tensor(1.0, dtype=t.dtype)),
    )


@pytest.mark.parametrize(
    "bounds", [(-1.0, 1.0), (None, 0.5), (-0.5, None), (1.0, -1.0), (0, 2), (np.float64(0.5), 2.0)]
)
@SETTINGS
@given(x=arrays(shapes))
def test_clip_matches_torch_clamp_including_the_bounds(bounds, x):
    x = np.round(x * 2) / 2  # values on the bounds: their gradient is 1, as in torch.clamp
    low, high = bounds
    compare_with_torch(lambda t: t.clip(low, high), x, torch_f=lambda t: t.clamp(low, high))
    compare_with_torch(lambda t: t.clamp(min=low, max=high), x)


def test_clip_keeps_float32():
    x = cg.tensor([0.5, 2.0])
    assert x.clip(np.float64(0.0), 1).dtype == np.float32
    assert cg.tensor([1, 5]).clip(0, 3).dtype == np.int64
    assert (
        cg.tensor([1, 5]).clip(0.5).dtype
        == np.float32
        == torch.tensor([1]).clamp(0.5).numpy().dtype
    )


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: cg.where(cg.tensor([1, 0]), 1.0, 0.0), TypeError, "needs a bool condition"),
        (
            lambda: cg.where(cg.zeros(2) > 0, cg.zeros(3), 0.0),
            ValueError,
            re.escape("the condition (2,), x (3,) and y () cannot be broadcast together"),
        ),
        (
            lambda: cg.maximum(cg.zeros(2), cg.zeros(3)),
            ValueError,
            re.escape("shapes (2,) and (3,) cannot be broadcast together for 'maximum'"),
        ),
        (lambda: cg.zeros(2).clip(), ValueError, r"clip\(\) needs min, max or both"),
        (
            lambda: cg.zeros(2).clip(cg.zeros(2)),
            TypeError,
            r"min must be a number or None, not Tensor; .*maximum\(x, low\)",
        ),
    ],
)
def test_choosing_ops_refuse_bad_arguments_clearly(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------- activations
@pytest.mark.parametrize("slope", [0.01, 0.2, -0.5])
@SETTINGS
@given(x=arrays(shapes))
def test_leaky_relu_matches_torch_including_zero(slope, x):
    x = np.round(x)  # zeros included: the slope there is negative_slope, as in PyTorch
    compare_with_torch(
        lambda t: F.leaky_relu(t, slope),
        x,
        torch_f=lambda t: torch.nn.functional.leaky_relu(t, slope),
    )


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@SETTINGS
@given(x=arrays(shapes, -6.0, 6.0))
def test_gelu_matches_torch(approximate, x):
    compare_with_torch(
        lambda t: F.gelu(t, approximate),
        x,
        torch_f=lambda t: torch.nn.functional.gelu(t, approximate=approximate),
    )


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (cg.nn.LeakyReLU(), torch.nn.LeakyReLU()),
        (cg.nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
        (cg.nn.GELU(), torch.nn.GELU()),
        (cg.nn.GELU("tanh"), torch.nn.GELU("tanh")),
    ],
    ids=repr,
)
def test_activation_layers_match_torch_and_print_like_it(ours, theirs):
    x = np.linspace(-3, 3, 12).reshape(3, 4)
    compare_with_torch(ours, x, torch_f=theirs)
    assert repr(ours) == repr(theirs)


def test_activations_keep_float32():
    x = cg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    for y in (F.leaky_relu(x), F.gelu(x), F.gelu(x, "tanh"), F.dropout(x, 0.5)):
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32


def test_gelu_refuses_an_unknown_approximation():
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh', not 'erf'"):
        F.gelu(cg.zeros(2), approximate="erf")


# --------------------------------------------------------------------- dropout
def test_dropout_zeroes_a_share_p_and_scales_the_rest():
    cg.manual_seed(0)
    x = cg.ones(200_000, requires_grad=True)
    y = F.dropout(x, p=0.3)
    kept = y.data != 0
    assert abs(1 - kept.mean() - 0.3) < 0.01
    np.testing.assert_allclose(y.data[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.data.mean() - 1) < 0.01  # the expected value is unchanged
    g = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)
    y.backward(g)
    np.testing.assert_allclose(x.grad, g * y.data)  # the same mask, the same scale


def test_dropout_is_the_identity_outside_training_and_for_p_0():
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x


def test_dropout_follows_the_seeded_generator():
    x = cg.ones(50)
    cg.manual_seed(3)
    a = F.dropout(x)
    cg.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x).data, a.data)


def test_dropout_layer_obeys_train_and_eval():
    cg.manual_seed(0)
    model = cg.nn.Sequential(cg.nn.Linear(4, 50), cg.nn.Dropout(0.5), cg.nn.ReLU())
    x = cg.ones(3, 4)
    assert model.training and model[1].training
    assert (model(x).data == 0).mean() > 0.6  # ReLU's zeros and dropout's, about 3/4
    model.eval()
    assert not model[1].training
    reference = cg.nn.Sequential(model[0], cg.nn.ReLU())
    np.testing.assert_array_equal(model(x).data, reference(x).data)
    assert not np.array_equal(model.train()(x).data, reference(x).data)
    assert repr(cg.nn.Dropout(0.3)) == "Dropout(p=0.3)"


@pytest.mark.parametrize(
    "p, why",
    [
        (1.5, "got 1.5$"),
        (-0.1, "got -0.1$"),
        (1, "got 1 .p = 1 would drop every value"),
        ("0.5", "got '0.5'$"),
        (True, "got True$"),
        (float("nan"), "got nan$"),
    ],
)
def test_dropout_refuses_p_outside_0_1_in_the_function_and_the_layer(p, why):
    message = r"dropout probability p must be a number in \[0, 1\), the share of values set to "
    with pytest.raises(ValueError, match=message + "zero; " + why):
        F.dropout(cg.zeros(2), p)
    with pytest.raises(ValueError, match=message):
        cg.nn.Dropout(p)
    with pytest.raises(ValueError, match=message):  # even outside training: a wrong p is a bug
        F.dropout(cg.zeros(2), p, training=False)


# --------------------------------------------------------------------- where they live
@pytest.mark.parametrize(
    "module, names",
    [
        (
            cg,
            "zeros ones randn arange zeros_like ones_like randn_like cat stack where maximum "
            "minimum",
        ),
        (F, "dropout leaky_relu gelu"),
        (cg.nn, "Dropout LeakyReLU GELU"),
    ],
    ids=["chhotograd", "functional", "nn"],
)
def test_new_names_are_exported_and_documented(module, names):
    for name in names.split():
        assert name in module.__all__ and hasattr(module, name)
        assert name in module.__doc__, f"{name} missing from the docstring of {module.__name__}"


@pytest.mark.parametrize("name", "min argmax argmin logsumexp clip clamp squeeze unsqueeze".split())
def test_new_tensor_methods_are_documented_in_the_package_docstring(name):
    assert callable(getattr(cg.Tensor, name))
    assert name in cg.__doc__


# --------------------------------------------------------------------- float32, the default dtype
FLOAT32_OPS = {
    "min": lambda x: x.min(axis=0),
    "logsumexp": lambda x: x.logsumexp(axis=1),
    "clip": lambda x: x.clip(-0.5, 0.5),
    "squeeze": lambda x: x.unsqueeze(0).squeeze(0),
    "cat": lambda x: cg.cat([x, x * 2], axis=1),
    "stack": lambda x: cg.stack([x, x * 2], axis=-1),
    "where": lambda x: cg.where(x > 0, x, np.float64(0.5)),
    "maximum": lambda x: cg.maximum(x, 0.0),
    "minimum": lambda x: cg.minimum(np.zeros(3), x),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "gelu": F.gelu,
    "gelu tanh": lambda x: F.gelu(x, "tanh"),
    "dropout": lambda x: F.dropout(x, 0.5),
}


@pytest.mark.parametrize("name", FLOAT32_OPS)
def test_float32_in_float32_out_and_float32_gradients(name):
    x = cg.tensor(np.linspace(-1, 1, 6).reshape(2, 3).tolist(), requires_grad=True)
    y = FLOAT32_OPS[name](x)
    assert x.dtype == y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == x.shape
    assert cg.tensor([1, 2]).logsumexp().dtype == np.float32  # integers give float32, as in torch
