"""chhotograd on bad input: each mistake is refused with a message that names it (where PyTorch
refuses too, or silently computes something else), and each edge case PyTorch computes gives
PyTorch's values, gradients and dtypes. Grouped by kind; the last group pins messages that were
already clear."""

import re
import warnings

import numpy as np
import pytest
import torch
from chhotograd_helpers import compare_with_torch

import chhotograd as cg
import chhotograd.functional as F


def logits(n=3, classes=4):
    return cg.tensor(np.zeros((n, classes)), requires_grad=True)


# --------------------------------------------------------------------- cross_entropy targets
@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (
            [0, -1, 2],
            r"target -1 \(row 1\) is out of bounds for 4 classes: each target must be "
            r"a class index from 0 to 3 \(-1 does not mean the last class here\)",
        ),
        ([0, 1, 4], r"target 4 \(row 2\) is out of bounds for 4 classes: .* from 0 to 3$"),
        ([-7, 9, 0], r"target -7 \(row 0\) is out of bounds"),
    ],
)
def test_cross_entropy_refuses_targets_outside_the_classes_as_torch_does(targets, message):
    with pytest.raises(IndexError, match=message):
        F.cross_entropy(logits(), targets)
    with pytest.raises(IndexError, match="out of bounds"):  # PyTorch: "Target -1 is out of bounds."
        torch.nn.functional.cross_entropy(torch.zeros(3, 4), torch.tensor(targets))


@pytest.mark.parametrize("targets", [[0.0, 1.0, 2.0], [True, False, True]])
def test_cross_entropy_refuses_non_integer_targets_and_says_how_to_convert(targets):
    dtype = np.asarray(targets).dtype
    with pytest.raises(
        ValueError,
        match=rf"targets \(3,\) of dtype {dtype}: targets are class indices; make "
        r"them integers with \.astype\(np\.int64\)",
    ):
        F.cross_entropy(logits(), targets)


def test_cross_entropy_accepts_the_first_and_the_last_class_like_torch():
    rng = np.random.default_rng(0)
    for targets in (np.array([0, 3, 3, 0]), np.array([3, 3, 3, 3], dtype=np.uint8)):
        compare_with_torch(
            F.cross_entropy,
            rng.standard_normal((4, 4)),
            targets.astype(np.int64),
            torch_f=torch.nn.functional.cross_entropy,
        )
        F.cross_entropy(logits(4), targets)  # uint8 too


# --------------------------------------------------------------------- mse_loss shapes
def test_mse_loss_refuses_n1_against_n_and_says_how_to_fix():
    prediction = cg.tensor(np.zeros((3, 1)), requires_grad=True)
    with pytest.raises(
        ValueError,
        match=r"mse_loss: the prediction has shape \(3, 1\) but the target has shape \(3,\); they "
        r"must be equal \(broadcasting would spread them to shape \(3, 3\) and compare every "
        r"prediction with every target\)\. Reshape one to the other's shape: "
        r"prediction\.reshape\(3,\) or target\.reshape\(3, 1\)",
    ):
        F.mse_loss(prediction, np.zeros(3))
    with pytest.raises(ValueError, match=r"\(3, 1\) but the target has shape \(3,\)"):
        cg.nn.MSELoss()(prediction, cg.tensor(np.zeros(3)))
    with warnings.catch_warnings():  # PyTorch computes the (3, 3) loss, with a warning
        warnings.simplefilter("ignore")
        torch_loss = torch.nn.functional.mse_loss(torch.zeros(3, 1), torch.arange(3.0))
    assert torch_loss.item() == pytest.approx(5 / 3)  # not (0 + 1 + 4) / 3: every pair


@pytest.mark.parametrize(
    ("prediction", "target", "message"),
    [
        (
            (4,),
            (3,),
            r"\(4,\) but .* \(3,\); they must be equal\. They even hold different "
            r"numbers of values \(4 and 3\): check that both come from the same batch",
        ),
        ((2, 3), (3, 2), r"must be equal\. Reshape one .*: prediction\.reshape\(3, 2\)"),
        ((3,), (), r"target has shape \(\); .* For one target value v, pass np\.full\(\(3,\), v\)"),
    ],
)
def test_mse_loss_refuses_other_shape_mismatches(prediction, target, message):
    with pytest.raises(ValueError, match=message):
        F.mse_loss(cg.tensor(np.zeros(prediction)), np.zeros(target))


def test_mse_loss_of_equal_shapes_matches_torch():
    rng = np.random.default_rng(1)
    for reduction in ("mean", "sum", "none"):
        compare_with_torch(
            lambda p, t, r=reduction: F.mse_loss(p, t, reduction=r),
            rng.standard_normal((4, 1)),
            rng.standard_normal((4, 1)),
            torch_f=lambda p, t, r=reduction: torch.nn.functional.mse_loss(p, t, reduction=r),
        )


# --------------------------------------------------------------------- convolution and pooling
IMAGE, KERNEL = np.ones((1, 1, 5, 5)), np.ones((1, 1, 3, 3))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"stride": -1},
            r"conv2d: stride must be a positive int or a pair of them \(height, "
            r"width\), not -1",
        ),
        ({"stride": 0}, r"stride must be a positive int .* not 0"),
        ({"stride": (1, -2)}, r"stride must be a positive int .* not \(1, -2\)"),
        ({"stride": 1.5}, r"stride must be a positive int .* not 1\.5"),
        ({"padding": -1}, r"conv2d: padding must be a non-negative int .* not -1"),
        ({"padding": (0, 1, 2)}, r"padding must be a non-negative int .* not \(0, 1, 2\)"),
    ],
)
def test_conv2d_refuses_bad_stride_and_padding_which_torch_refuses_too(options, message):
    with pytest.raises(ValueError, match=message):
        F.conv2d(cg.tensor(IMAGE), cg.tensor(KERNEL), **options)
    if isinstance(options.get("stride", options.get("padding")), int):
        with pytest.raises(RuntimeError, match="stride|padding"):
            torch.nn.functional.conv2d(torch.ones(1, 1, 5, 5), torch.ones(1, 1, 3, 3), **options)


def test_conv2d_refuses_a_kernel_larger_than_the_padded_input():
    with pytest.raises(
        ValueError,
        match=r"conv2d: the kernel \(3, 3\) is larger than the input \(2, 2\) with padding "
        r"\(0, 0\), which is \(2, 2\): use a smaller kernel, more padding, or a larger input",
    ):
        F.conv2d(cg.tensor(np.ones((1, 1, 2, 2))), cg.tensor(KERNEL))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater"):
        torch.nn.functional.conv2d(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 3, 3))
    # With padding it fits, in both.
    rng = np.random.default_rng(2)
    compare_with_torch(
        lambda x, w: F.conv2d(x, w, padding=1),
        rng.standard_normal((1, 2, 2, 2)),
        rng.standard_normal((3, 2, 3, 3)),
        torch_f=lambda x, w: torch.nn.functional.conv2d(x, w, padding=1),
    )


def test_conv2d_refuses_a_bias_that_is_not_one_per_output_channel():
    with pytest.raises(
        ValueError,
        match=r"bias must have one value per output channel, shape "
        r"\(1,\), not \(2,\)",
    ):
        F.conv2d(cg.tensor(IMAGE), cg.tensor(KERNEL), cg.tensor(np.ones(2)))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"in_channels": 0}, r"Conv2d: in_channels must be a positive int, not 0"),
        ({"out_channels": 2.0}, r"Conv2d: out_channels must be a positive int, not 2\.0"),
        ({"kernel_size": 0}, r"Conv2d: kernel_size must be a positive int .* not 0"),
        ({"stride": -1}, r"Conv2d: stride must be a positive int .* not -1"),
        ({"padding": -1}, r"Conv2d: padding must be a non-negative int .* not -1"),
    ],
)
def test_the_conv2d_layer_checks_its_arguments_when_it_is_made(arguments, message):
    options = {"in_channels": 1, "out_channels": 2, "kernel_size": 3} | arguments
    with pytest.raises(ValueError, match=message):
        cg.nn.Conv2d(**options)


@pytest.mark.parametrize(
    ("kernel_size", "stride", "message"),
    [
        (0, None, r"max_pool2d: kernel_size must be a positive int .* not 0"),
        (2, -1, r"max_pool2d: stride must be a positive int .* not -1"),
        (2, 0, r"max_pool2d: stride must be a positive int .* not 0"),
        ((2, 2, 2), None, r"kernel_size must be a positive int .* not \(2, 2, 2\)"),
    ],
)
def test_max_pool2d_refuses_bad_kernel_and_stride_which_torch_refuses_too(
    kernel_size, stride, message
):
    with pytest.raises(ValueError, match=message):
        F.max_pool2d(cg.tensor(np.ones((1, 1, 4, 4))), kernel_size, stride)
    with pytest.raises(ValueError, match=message.replace("max_pool2d", "max_pool2d")):
        cg.nn.MaxPool2d(kernel_size, stride)(cg.tensor(np.ones((1, 1, 4, 4))))
    if isinstance(kernel_size, int):
        with pytest.raises(RuntimeError, match="stride|kernel|Output size"):
            torch.nn.functional.max_pool2d(torch.ones(1, 1, 4, 4), kernel_size, stride)


def test_max_pool2d_still_refuses_a_kernel_larger_than_the_input():
    with pytest.raises(
        ValueError, match=r"at least the kernel's size \(5, 5\); got \(1, 1, 4, 4\)"
    ):
        F.max_pool2d(cg.tensor(np.ones((1, 1, 4, 4))), 5)


# --------------------------------------------------------------------- optimizers
def parameter():
    return [cg.tensor([1.0], requires_grad=True)], [torch.tensor([1.0], requires_grad=True)]


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        (
            "SGD",
            {"lr": -0.1},
            r"SGD: invalid learning rate -0\.1: it must be a number >= 0 "
            r"\(with a negative one, each step would climb the loss instead of descending\)",
        ),
        (
            "SGD",
            {"lr": float("nan")},
            r"SGD: invalid learning rate nan: it must be a number "
            r">= 0$",
        ),
        (
            "SGD",
            {"lr": 0.1, "momentum": -0.9},
            r"SGD: invalid momentum -0\.9: it must be a "
            r"number >= 0",
        ),
        ("SGD", {"lr": 0.1, "weight_decay": -1}, r"SGD: invalid weight_decay -1"),
        ("Adam", {"lr": -1e-3}, r"Adam: invalid learning rate -0\.001"),
        (
            "Adam",
            {"betas": (1.0, 0.999)},
            r"Adam: invalid beta parameter at index 0: 1\.0: each beta must be in \[0, 1\) "
            r"\(with 1 the average never moves, and 1 - beta\^t divides by zero\)",
        ),
        ("Adam", {"betas": (0.9, 1.0)}, r"invalid beta parameter at index 1: 1\.0"),
        ("Adam", {"betas": (-0.1, 0.999)}, r"invalid beta parameter at index 0: -0\.1"),
        (
            "Adam",
            {"eps": -1e-8},
            r"Adam: invalid epsilon value -1e-08: it must be a number > 0 \(it keeps the "
            r"division away from zero: with 0, an entry whose gradient is 0 becomes 0/0 = nan\)",
        ),
        ("Adam", {"weight_decay": -0.1}, r"Adam: invalid weight_decay -0\.1"),
        (
            "RMSprop",
            {"lr": -0.01},
            r"RMSprop: invalid learning rate -0\.01: it must be a number >= 0 "
            r"\(with a negative one, each step would climb the loss instead of descending\)",
        ),
        (
            "RMSprop",
            {"alpha": -0.5},
            r"RMSprop: invalid alpha -0\.5: it must be in \[0, 1\) "
            r"\(with 1 the average of squared gradients never moves from 0\)",
        ),
        (
            "RMSprop",
            {"eps": -1e-8},
            r"RMSprop: invalid epsilon value -1e-08: it must be a number > 0 \(it keeps the "
            r"division away from zero: with 0, an entry whose gradient is 0 becomes 0/0 = nan\)",
        ),
        (
            "RMSprop",
            {"momentum": -0.9},
            r"RMSprop: invalid momentum -0\.9: it must be a number >= 0",
        ),
        ("RMSprop", {"weight_decay": -1e-4}, r"RMSprop: invalid weight_decay -0\.0001"),
    ],
)
def test_optimizers_refuse_the_hyperparameters_torch_refuses(name, options, message):
    ours, theirs = parameter()
    with pytest.raises(ValueError, match=message):
        getattr(cg.optim, name)(ours, **options)
    if "nan" not in message:  # PyTorch lets a NaN learning rate through
        with pytest.raises(ValueError, match="Invalid"):
            getattr(torch.optim, name)(theirs, **options)


def test_adam_refuses_betas_that_are_not_a_pair():
    with pytest.raises(
        ValueError,
        match=r"Adam: betas must be a pair such as \(0\.9, 0\.999\), "
        r"not \(0\.9,\)",
    ):
        cg.optim.Adam(parameter()[0], betas=(0.9,))


def test_optimizers_accept_the_boundary_values_torch_accepts():
    ours, theirs = parameter()
    cg.optim.SGD(ours, lr=0, momentum=0, weight_decay=0)
    cg.optim.SGD(ours, lr=0, momentum=np.float32(0.5), nesterov=np.True_)
    torch.optim.SGD(theirs, lr=0, momentum=0.5, nesterov=True)
    cg.optim.Adam(ours, lr=np.float32(0.0), betas=[0, np.float64(0.5)], eps=np.float32(1e-30))
    torch.optim.Adam(theirs, lr=0.0, betas=(0.0, 0.5), eps=1e-30)
    cg.optim.RMSprop(ours, lr=0, alpha=np.float32(0), eps=np.float64(1e-30), momentum=0)
    torch.optim.RMSprop(theirs, lr=0, alpha=0.0, eps=1e-30, momentum=0)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"alpha": 1.0}, ValueError, r"RMSprop: invalid alpha 1\.0: it must be in \[0, 1\)"),
        ({"alpha": 1.5}, ValueError, r"RMSprop: invalid alpha 1\.5"),
        ({"alpha": float("nan")}, ValueError, r"RMSprop: invalid alpha nan"),
        ({"alpha": True}, ValueError, r"RMSprop: invalid alpha True"),
        (
            {"eps": 0},
            ValueError,
            r"RMSprop: invalid epsilon value 0: it must be a number > 0 .*0/0 = nan",
        ),
        ({"eps": "1e-8"}, ValueError, r"RMSprop: invalid epsilon value '1e-8'"),
        ({"lr": None}, ValueError, r"RMSprop: invalid learning rate None: it must be a number"),
        ({"centered": 1}, TypeError, r"RMSprop: centered must be True or False, not 1"),
    ],
)
def test_rmsprop_refuses_what_would_stall_or_divide_by_zero(options, error, message):
    # Stricter than PyTorch, which lets alpha = 1 (the squared-gradient average stays 0) and
    # eps = 0 (0/0 for any entry whose gradient is 0) through.
    with pytest.raises(error, match=message):
        cg.optim.RMSprop(parameter()[0], **options)


@pytest.mark.parametrize("name", ["Adam", "RMSprop"])
@pytest.mark.parametrize("eps", [0, 0.0, np.float32(0)])
def test_adam_and_rmsprop_refuse_eps_0_which_turns_a_zero_gradient_into_nan(name, eps):
    # One rule for both: the step divides by sqrt(v) + eps, and v stays 0 for an entry whose
    # gradient has always been 0. PyTorch lets eps = 0 through, and its step is then 0/0 = nan.
    with pytest.raises(
        ValueError,
        match=rf"{name}: invalid epsilon value {re.escape(repr(eps))}: it must be a number > 0 "
        r"\(it keeps the division away from zero: with 0, an entry whose gradient is 0 becomes "
        r"0/0 = nan\)$",
    ):
        getattr(cg.optim, name)(parameter()[0], eps=eps)
    theirs = torch.tensor([1.0, 1.0], requires_grad=True)
    torch_opt = getattr(torch.optim, name)([theirs], eps=eps)
    theirs.grad = torch.tensor([0.0, 1.0])
    torch_opt.step()
    assert theirs[0].isnan() and not theirs[1].isnan()


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {"nesterov": True},
            ValueError,
            r"SGD: Nesterov momentum requires a momentum > 0, not 0\.0 \(its step looks ahead "
            r"along the momentum buffer; without one it would be plain SGD\)$",
        ),
        ({"momentum": 0, "nesterov": True}, ValueError, r"requires a momentum > 0, not 0 "),
        (
            {"momentum": 0.9, "nesterov": 1},
            TypeError,
            r"SGD: nesterov must be True or False, not 1$",
        ),
        ({"momentum": 0.9, "nesterov": "yes"}, TypeError, r"nesterov must be True or False"),
    ],
)
def test_sgd_refuses_nesterov_without_momentum(options, error, message):
    ours, theirs = parameter()
    with pytest.raises(error, match=message):
        cg.optim.SGD(ours, lr=0.1, **options)
    if error is ValueError:  # PyTorch refuses these too (it does not check the type)
        with pytest.raises(ValueError, match="Nesterov momentum requires a momentum"):
            torch.optim.SGD(theirs, lr=0.1, **options)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        (
            [],
            ValueError,
            r"SGD got an empty list of parameters: give it the tensors to update, "
            r"such as model.parameters\(\) of a model that has some",
        ),
        (
            cg.nn.Linear(2, 2),
            TypeError,
            r"SGD takes an iterable of the tensors to update, such as "
            r"model.parameters\(\), not a Linear: pass model.parameters\(\), not the model",
        ),
        (
            cg.nn.Linear(2, 2).parameters,
            TypeError,
            r"not a method: call it, "
            r"model.parameters\(\) with its \(\)",
        ),
        (
            cg.tensor([1.0], requires_grad=True),
            TypeError,
            r"not a Tensor: for one tensor x, "
            r"pass \[x\]",
        ),
        (
            [np.zeros(2)],
            TypeError,
            r"SGD updates Tensors, but one of its parameters is of type "
            r"ndarray",
        ),
    ],
)
def test_optimizers_say_what_params_should_be(params, error, message):
    with pytest.raises(error, match=message):
        cg.optim.SGD(params, lr=0.1)
    with pytest.raises(error, match=message.replace("SGD", "Adam")):
        cg.optim.Adam(params)
    with pytest.raises(error, match=message.replace("SGD", "RMSprop")):
        cg.optim.RMSprop(params)


# --------------------------------------------------------------------- load_state_dict
def model_and_copy():
    cg.manual_seed(0)
    model = cg.nn.Sequential(cg.nn.Linear(2, 3), cg.nn.ReLU(), cg.nn.Linear(3, 1))
    return model, {name: p.data.copy() for name, p in model.named_parameters()}


def assert_unchanged(model, before):
    for name, p in model.named_parameters():
        np.testing.assert_array_equal(p.data, before[name], err_msg=name)


@pytest.mark.parametrize(
    ("bad_value", "error", "message"),
    [
        (np.array(["a"]), TypeError, r"2\.bias: the state holds <U1 values, not real numbers"),
        (np.array([1 + 2j]), TypeError, r"2\.bias: the state holds complex128 values"),
        (
            np.zeros(2),
            ValueError,
            r"2\.bias: the state has shape \(2,\), but the model's "
            r"parameter has shape \(1,\)",
        ),
    ],
)
def test_load_state_dict_changes_nothing_when_a_late_value_is_bad(bad_value, error, message):
    model, before = model_and_copy()
    state = {name: value + 1 for name, value in before.items()}  # every value new...
    state["2.bias"] = bad_value  # ...but the last one, checked last, is bad
    assert list(state)[-1] == "2.bias"
    with pytest.raises(error, match=message):
        model.load_state_dict(state)
    assert_unchanged(model, before)


def test_load_state_dict_refuses_a_read_only_parameter_before_writing_anything():
    model, before = model_and_copy()
    model[2].bias.data.flags.writeable = False
    with pytest.raises(
        ValueError,
        match=r"2\.bias: the model's parameter is a read-only array; "
        r"give it an array of its own first",
    ):
        model.load_state_dict({name: value + 1 for name, value in before.items()})
    assert_unchanged(model, before)


def test_load_state_dict_names_missing_and_unexpected_keys_and_refuses_a_model():
    model, before = model_and_copy()
    state = dict(before)
    del state["0.weight"]
    state["3.weight"] = np.zeros(1)
    with pytest.raises(KeyError, match=r"missing \['0\.weight'\], unexpected \['3\.weight'\]"):
        model.load_state_dict(state)
    with pytest.raises(
        TypeError,
        match=r"load_state_dict takes a dict of name -> values, such as "
        r"another model's state_dict\(\), not a Sequential",
    ):
        model.load_state_dict(model_and_copy()[0])
    assert_unchanged(model, before)


def test_load_state_dict_still_loads_arrays_tensors_and_torch_tensors():
    model, before = model_and_copy()
    weight = model[0].weight.data
    state = {name: value * 2 for name, value in before.items()}
    state["0.weight"] = torch.from_numpy(state["0.weight"])
    state["0.bias"] = cg.tensor(state["0.bias"])
    model.load_state_dict(state)
    assert model[0].weight.data is weight  # written in place, so an optimizer keeps working
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.data, 2 * before[name], err_msg=name)


# --------------------------------------------------------------------- powers with a zero base
BASES = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.5])
EXPONENTS = np.array([0.0, 0.5, 1.0, 2.0, 3.0, -1.0, 0.0, -2.0])


def test_power_with_a_zero_base_has_torchs_gradients():
    # PyTorch: d(a^b)/da is 0 where b = 0; d(a^b)/db is 0 where a = 0 and b >= 0 (-inf for b < 0).
    with np.errstate(divide="ignore"):  # 0 ** -1 is inf, and NumPy says so
        compare_with_torch(lambda a, b: a**b, BASES, EXPONENTS)
        compare_with_torch(lambda b: 0**b, EXPONENTS)
        compare_with_torch(lambda b: 0.0**b, EXPONENTS)
        compare_with_torch(lambda a, b: a**b, BASES[:, None], EXPONENTS)  # broadcast


def test_the_gradient_of_a_power_with_a_zero_base_warns_of_nothing():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log(0) and 0 · inf are computed, then left out
        compare_with_torch(lambda a, b: a**b, BASES[:5], EXPONENTS[:5])


def test_power_gradient_at_a_zero_base_is_exactly_torchs():
    a = cg.tensor(BASES.copy(), requires_grad=True)
    b = cg.tensor(EXPONENTS.copy(), requires_grad=True)
    with np.errstate(divide="ignore"):
        (a**b).sum().backward()
    ta = torch.tensor(BASES, requires_grad=True)
    tb = torch.tensor(EXPONENTS, requires_grad=True)
    (ta**tb).sum().backward()
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())  # inf and -inf included
    np.testing.assert_array_equal(b.grad, tb.grad.numpy())
    assert b.grad[0] == 0 and a.grad[0] == 0  # 0 ** 0: both slopes 0, not NaN


# --------------------------------------------------------------------- reductions of a 0-d tensor
@pytest.mark.parametrize("name", ["sum", "mean", "max"])
@pytest.mark.parametrize("axis", [0, -1, (0,), [-1]])
@pytest.mark.parametrize("keepdims", [False, True])
def test_a_0d_tensor_reduces_along_axis_0_or_minus_1_as_in_torch(name, axis, keepdims):
    torch_name = "amax" if name == "max" else name
    dim = tuple(axis) if isinstance(axis, list) else axis
    compare_with_torch(
        lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
        np.array(2.5),
        torch_f=lambda t: getattr(torch, torch_name)(t, dim=dim, keepdim=keepdims),
    )


@pytest.mark.parametrize("name", ["sum", "mean", "max"])
def test_a_0d_tensor_refuses_other_axes(name):
    with pytest.raises(IndexError, match=r"axis 1 is out of range .* use an axis from -1 to 0"):
        getattr(cg.tensor(2.5), name)(axis=1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        getattr(torch.tensor(2.5), "amax" if name == "max" else name)(1)


# --------------------------------------------------------------------- dtypes of integer tensors
DTYPE_CASES = {
    "int / int": lambda m: m.tensor([5, 6]) / m.tensor([1, 2]),
    "int / 2": lambda m: m.tensor([5, 6]) / 2,
    "int32 / int32": lambda m: m.tensor(np.array([5, 6], np.int32)) / m.tensor(np.array([1, 2])),
    "uint8 / 2": lambda m: m.tensor(np.array([5, 6], np.uint8)) / 2,
    "bool / bool": lambda m: m.tensor([True]) / m.tensor([True]),
    "int + 0.5": lambda m: m.tensor(1) + 0.5,
    "0.5 - int": lambda m: 0.5 - m.tensor([1, 2]),
    "int * 2.0": lambda m: m.tensor([1, 2]) * 2.0,
    "int * np.float64": lambda m: m.tensor([1, 2]) * np.float64(0.5),
    "int + float32 tensor": lambda m: m.tensor([1, 2]) + m.tensor([0.5, 1.5]),
    "float32 tensor + 0-d int": lambda m: m.tensor([0.5, 1.5]) + m.tensor(2),
    "int + float64 tensor": lambda m: m.tensor([1, 2]) + m.tensor(np.array([0.5, 1.5])),
    "int ** 0.5": lambda m: m.tensor([1, 4]) ** 0.5,
    "2.0 ** int": lambda m: 2.0 ** m.tensor([1, 2]),
    "int ** float32 tensor": lambda m: m.tensor([1, 4]) ** m.tensor([0.5, 2.0]),
    "int < 0.5": lambda m: m.tensor([0, 1]) < 0.5,
    "exp": lambda m: m.tensor(2).exp(),
    "log": lambda m: m.tensor([1, 2]).log(),
    "sqrt": lambda m: m.tensor([1, 4]).sqrt(),
    "tanh": lambda m: m.tensor([1, -2]).tanh(),
    "sigmoid": lambda m: m.tensor([1, -2]).sigmoid(),
    # integer results stay integers
    "int * 2": lambda m: m.tensor([1, 2]) * 2,
    "int ** 2": lambda m: m.tensor([1, 2]) ** 2,
    "int + int": lambda m: m.tensor([1, 2]) + m.tensor([3, 4]),
    "int.sum": lambda m: m.tensor([1, 2]).sum(),
    "int.max": lambda m: m.tensor([1, 2]).max(),
    "bool + bool": lambda m: m.tensor([True]) + m.tensor([False]),
    "tensor([1, 2])": lambda m: m.tensor([1, 2]),
}


@pytest.mark.parametrize("case", DTYPE_CASES)
def test_integer_tensors_give_torchs_dtypes_and_values(case):
    ours, theirs = DTYPE_CASES[case](cg), DTYPE_CASES[case](torch)
    assert ours.dtype == theirs.numpy().dtype, (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.data, theirs.numpy(), rtol=1e-6)


def test_the_mean_and_a_matrix_product_of_integers_are_float32():
    # PyTorch refuses both (mean needs floats; matmul needs equal dtypes); float32 is our choice.
    assert cg.tensor([1, 2]).mean().dtype == np.float32
    assert cg.tensor([1, 2]).mean().item() == 1.5
    product = cg.tensor([[1, 2]]) @ cg.tensor([[0.5], [0.25]])
    assert product.dtype == np.float32 and product.item() == 1.0


def test_a_float32_tensor_with_an_integer_tensor_keeps_float32_gradients():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    for y in (x * cg.tensor([3, 4]), x / cg.tensor([3, 4]), x + cg.tensor(2), x ** cg.tensor(2)):
        assert y.dtype == np.float32
    (x * cg.tensor([3, 4]) + x / cg.tensor([1, 2])).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [4.0, 4.5])


# --------------------------------------------------------------------- ints beside index arrays
X = np.arange(2 * 3 * 4 * 5, dtype=np.float64).reshape(2, 3, 4, 5)
INDEXES = {
    "0, :, [0, 1]": (0, slice(None), [0, 1]),  # NumPy: (2, 3, 5); PyTorch: (3, 2, 5)
    "0, :, :, [3, 1, 3]": (0, slice(None), slice(None), [3, 1, 3]),  # a repeat adds its share
    "0, ..., [0, 1]": (0, Ellipsis, [0, 1]),
    "None, 0, :, [0, 1]": (None, 0, slice(None), [0, 1]),
    "0, None, [0, 1]": (0, None, [0, 1]),
    "0, :, 2-d array": (0, slice(None), np.array([[0, 1], [1, 2]])),
    "0, :, bool array": (0, slice(None), np.array([True, False, True, False])),
    "0, 2-d bool array": (0, np.array([[True, False, True, False]] * 3)),
    "0, :, [0, 1], [1, 2]": (0, slice(None), [0, 1], [1, 2]),
    "[0, 1], 0, :, [1, 2]": ([0, 1], 0, slice(None), [1, 2]),
    "np.int64, 1:3, array": (np.int64(1), slice(1, 3), np.array([2, 2, 0])),
    "0, :, []": (0, slice(None), []),
    "0, :, bool list": (0, slice(None), [True, False, True, False]),
    # NumPy and PyTorch agree on these
    "[0, 1], :, 0": ([0, 1], slice(None), 0),
    ":, 0, [0, 1]": (slice(None), 0, [0, 1]),
    "[0, 1], [0, 2]": ([0, 1], [0, 2]),
    "[0, 1], :, [0, 1]": ([0, 1], slice(None), [0, 1]),
    "0, 1": (0, 1),
    "1, ::2": (1, slice(None, None, 2)),
}


def torch_index(index):
    return tuple(torch.from_numpy(part) if isinstance(part, np.ndarray) else part for part in index)


@pytest.mark.parametrize("name", INDEXES)
def test_ints_beside_index_arrays_place_the_axes_as_torch_does(name):
    index = INDEXES[name]
    compare_with_torch(lambda t: t[index], X, torch_f=lambda t: t[torch_index(index)])


def test_tensors_as_indexes_too():
    index = (cg.tensor(1), slice(None), cg.tensor([2, 0]))
    out = cg.tensor(X)[index]
    assert out.shape == (3, 2, 5)
    np.testing.assert_array_equal(out.data, X[1][:, [2, 0]])


# --------------------------------------------------------------------- messages that were clear
def test_shape_errors_name_both_shapes():
    with pytest.raises(
        ValueError,
        match=r"shapes \(2, 3\) and \(4,\) cannot be broadcast "
        r"together for '\+': aligned from the right",
    ):
        cg.tensor(np.ones((2, 3))) + cg.tensor(np.ones(4))
    with pytest.raises(
        ValueError,
        match=r"matmul: shapes \(2, 3\) and \(4,\) do not match: the "
        r"last axis of the first must equal the only axis of the second",
    ):
        cg.tensor(np.ones((2, 3))) @ cg.tensor(np.ones(4))
    with pytest.raises(
        ValueError,
        match=r"linear: input of shape \(2, 3\) does not fit weight "
        r"of shape \(5, 4\)",
    ):
        cg.nn.Linear(4, 5)(cg.tensor(np.ones((2, 3))))
    with pytest.raises(
        ValueError,
        match=r"conv2d expects input \(N, C, H, W\) and weight "
        r"\(O, C, kh, kw\) with the same C; got input \(1, 2, 5, 5\)",
    ):
        F.conv2d(cg.tensor(np.ones((1, 2, 5, 5))), cg.tensor(KERNEL))
    with pytest.raises(
        ValueError,
        match=r"cross_entropy expects logits of shape \(N, C\) and N "
        r"integer targets; got logits \(3, 4\) and targets \(2,\) of dtype int64$",
    ):
        F.cross_entropy(logits(), [0, 1])


def test_matmul_with_a_0d_tensor_says_to_use_star():
    with pytest.raises(
        ValueError,
        match=r"matmul needs tensors with at least one axis, not "
        r"shapes \(\) and \(3,\): to multiply by a single number, use \* instead",
    ):
        cg.tensor(2.0) @ cg.tensor(np.ones(3))


def test_backward_mistakes_are_explained():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        RuntimeError,
        match=r"backward\(\) without a gradient works only on a "
        r"one-element tensor; this one has shape \(2,\), so pass gradient=",
    ):
        (x * 3).backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\), but the tensor has shape"):
        (x * 3).backward(np.ones(3))
    with pytest.raises(
        RuntimeError, match="backward\\(\\) was called on a tensor that does not require grad"
    ):
        cg.tensor([1.0]).sum().backward()
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        cg.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="a Tensor holds numbers, not <U1 data"):
        cg.tensor(["a"])


def test_an_unknown_reduction_is_named():
    with pytest.raises(ValueError, match="reduction must be 'mean', 'sum' or 'none', not 'avg'"):
        F.cross_entropy(logits(), [0, 1, 2], reduction="avg")
