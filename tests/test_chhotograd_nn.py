"""Layers with weights copied from their PyTorch twins give the same outputs and gradients, and
the optimizers follow PyTorch's parameters step by step."""

import numpy as np
import pytest
import torch
from chhotograd_helpers import SETTINGS, arrays, compare_with_torch
from hypothesis import given
from hypothesis import strategies as st

import chhotograd as cg
import chhotograd.functional as F


def twins(ours, theirs):
    """Both in float64, with ``theirs``' parameters copied into ``ours`` (a PyTorch state_dict
    loads as it is)."""
    ours.double().load_state_dict(theirs.double().state_dict())
    return ours, theirs


def compare_modules(ours, theirs, x, *extra, rtol=1e-10):
    """Same output, same input gradient, and the same gradient for every parameter."""
    compare_with_torch(
        lambda t, *e: ours(t, *e), x, *extra, torch_f=lambda t, *e: theirs(t, *e), rtol=rtol
    )
    names = [name for name, _ in theirs.named_parameters()]
    assert [name for name, _ in ours.named_parameters()] == names
    for (name, mine), (_, twin) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            mine.grad, twin.grad.numpy(), rtol=rtol, atol=1e-12, err_msg=name
        )


@SETTINGS
@given(data=st.data(), bias=st.booleans(), leading=st.sampled_from([(), (5,), (2, 3)]))
def test_linear_matches_torch(data, bias, leading):
    ours, theirs = twins(cg.nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias))
    compare_modules(ours, theirs, data.draw(arrays(leading + (4,))))


@SETTINGS
@given(
    data=st.data(),
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    o=st.integers(1, 3),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    stride=st.sampled_from([1, 2, (2, 1)]),
    padding=st.sampled_from([0, 1, (0, 2)]),
    bias=st.booleans(),
)
def test_conv2d_matches_torch(data, n, c, o, kernel, stride, padding, bias):
    h, w = data.draw(st.integers(kernel[0], 6)), data.draw(st.integers(kernel[1], 6))
    ours, theirs = twins(
        cg.nn.Conv2d(c, o, kernel, stride=stride, padding=padding, bias=bias),
        torch.nn.Conv2d(c, o, kernel, stride=stride, padding=padding, bias=bias),
    )
    compare_modules(ours, theirs, data.draw(arrays((n, c, h, w))))


@SETTINGS
@given(
    data=st.data(),
    kernel=st.sampled_from([1, 2, 3, (2, 3)]),
    stride=st.sampled_from([None, 1, 2, (1, 2)]),
)
def test_max_pool2d_matches_torch_including_ties(data, kernel, stride):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    h, w = data.draw(st.integers(kh, 6)), data.draw(st.integers(kw, 6))
    # Rounded values: many windows hold their max twice, and the first one gets the gradient.
    x = np.round(data.draw(arrays((2, 2, h, w))))
    compare_modules(cg.nn.MaxPool2d(kernel, stride), torch.nn.MaxPool2d(kernel, stride), x)


@pytest.mark.parametrize("name", ["ReLU", "Tanh", "Sigmoid", "Flatten"])
@SETTINGS
@given(x=arrays((2, 3, 2)))
def test_activation_layers_and_flatten_match_torch(name, x):
    compare_modules(getattr(cg.nn, name)(), getattr(torch.nn, name)(), x)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@SETTINGS
@given(data=st.data())
def test_losses_match_torch(reduction, data):
    prediction, target = data.draw(arrays((4, 3))), data.draw(arrays((4, 3)))
    compare_with_torch(
        cg.nn.MSELoss(reduction), prediction, target, torch_f=torch.nn.MSELoss(reduction=reduction)
    )
    labels = np.array(data.draw(st.lists(st.integers(0, 2), min_size=4, max_size=4)))
    compare_with_torch(
        cg.nn.CrossEntropyLoss(reduction),
        prediction,
        labels,
        torch_f=torch.nn.CrossEntropyLoss(reduction=reduction),
    )


def small_cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 3, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(3, 2, 2, stride=2),
        nn.Tanh(),
        nn.Flatten(),
        nn.Linear(8, 4),
        nn.Sigmoid(),
        nn.Linear(4, 3),
    )


def assert_same_parameter_grads(ours, theirs, rtol=1e-10):
    for (name, mine), (_, twin) in zip(
        ours.named_parameters(), theirs.named_parameters(), strict=True
    ):
        np.testing.assert_allclose(
            mine.grad, twin.grad.numpy(), rtol=rtol, atol=1e-12, err_msg=name
        )


def test_a_sequential_cnn_with_cross_entropy_matches_torch():
    torch.manual_seed(0)
    ours, theirs = twins(small_cnn(cg), small_cnn(torch))
    x = np.random.default_rng(0).standard_normal((3, 1, 8, 8))
    labels = np.array([0, 2, 1])
    loss = F.cross_entropy(ours(cg.Tensor(x)), labels)
    ref = torch.nn.functional.cross_entropy(theirs(torch.from_numpy(x)), torch.from_numpy(labels))
    loss.backward()
    ref.backward()
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-10)
    assert_same_parameter_grads(ours, theirs)


# --------------------------------------------------------------------- Module
def test_parameter_names_and_order_match_torch():
    ours, theirs = small_cnn(cg), small_cnn(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert len(list(ours.parameters())) == 8 and len(ours) == 9
    assert isinstance(ours[2], cg.nn.MaxPool2d)
    assert "(0): Conv2d(1, 3, kernel_size=(3, 3)" in repr(ours)


def test_modules_in_lists_and_shared_parameters_are_found_once():
    class Tower(cg.nn.Module):
        def __init__(self):
            self.blocks = [cg.nn.Linear(2, 2), cg.nn.ReLU(), cg.nn.Linear(2, 1)]
            self.scale = cg.tensor([1.0], requires_grad=True)
            self.again = self.blocks[0]  # shared: listed once, under its first name

        def forward(self, x):
            for block in self.blocks:
                x = block(x)
            return x * self.scale

    names = [name for name, _ in Tower().named_parameters()]
    assert names == [
        "scale",
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.2.weight",
        "blocks.2.bias",
    ]
    assert not Tower().eval().blocks[2].training


def test_linear_is_initialised_like_torch():
    cg.nn.manual_seed(0)
    layer = cg.nn.Linear(400, 300)
    bound = 1 / np.sqrt(400)
    for p in (layer.weight, layer.bias):
        assert p.requires_grad and p.dtype == np.float32
        assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.95 * bound
    assert layer.weight.shape == (300, 400) and layer.bias.shape == (300,)
    assert abs(layer.weight.data.std() - bound / np.sqrt(3)) < 0.01 * bound  # uniform's std
    assert cg.nn.Linear(3, 2, bias=False).bias is None
    cg.nn.manual_seed(0)
    np.testing.assert_array_equal(cg.nn.Linear(400, 300).weight.data, layer.weight.data)


def test_conv2d_is_initialised_like_torch():
    conv = cg.nn.Conv2d(3, 8, 5)
    bound = 1 / np.sqrt(3 * 5 * 5)
    assert conv.weight.shape == (8, 3, 5, 5) and np.abs(conv.weight.data).max() <= bound


def test_state_dict_round_trip_is_a_snapshot():
    model = small_cnn(cg)
    state = model.state_dict()
    before = state["0.weight"].copy()
    for p in model.parameters():
        p.data += 1
    np.testing.assert_array_equal(state["0.weight"], before)
    weight = model[0].weight.data
    model.load_state_dict(state)
    assert model[0].weight.data is weight  # loaded in place: an optimizer keeps working
    np.testing.assert_array_equal(weight, before)


def test_load_state_dict_checks_names_and_shapes():
    model = cg.nn.Sequential(cg.nn.Linear(3, 2))
    state = model.state_dict()
    with pytest.raises(ValueError, match=r"0.weight: the state has shape \(3, 2\).*\(2, 3\)"):
        model.load_state_dict({**state, "0.weight": np.zeros((3, 2))})
    with pytest.raises(KeyError, match="missing \\['0.bias'\\]"):
        model.load_state_dict({"0.weight": state["0.weight"]})
    with pytest.raises(KeyError, match="unexpected \\['1.bias'\\]"):
        model.load_state_dict({**state, "1.bias": np.zeros(2)})


def test_train_eval_and_zero_grad_reach_every_child():
    model = small_cnn(cg)
    assert model.eval() is model
    assert not model.training and not model[0].training
    model.train()
    assert model[8].training
    F.cross_entropy(model(cg.tensor(np.ones((1, 1, 8, 8)))), [1]).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# --------------------------------------------------------------------- optimizers
def mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 5), lib.nn.Tanh(), lib.nn.Linear(5, 2))


@pytest.mark.parametrize(
    "name, options",
    [
        ("SGD", {"lr": 0.1}),
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("SGD", {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.01}),
        ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        ("SGD", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.01, "nesterov": True}),
        ("Adam", {"lr": 0.01}),
        ("Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
        ("RMSprop", {}),
        ("RMSprop", {"lr": 0.005, "alpha": 0.9, "momentum": 0.9, "weight_decay": 0.05}),
    ],
)
def test_20_optimizer_steps_follow_torch(name, options):
    torch.manual_seed(0)
    ours, theirs = twins(mlp(cg), mlp(torch))
    opt = getattr(cg.optim, name)(ours.parameters(), **options)
    ref_opt = getattr(torch.optim, name)(theirs.parameters(), **options)
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
        opt.zero_grad()
        ref_opt.zero_grad()
        F.mse_loss(ours(cg.Tensor(x)), y).backward()
        torch.nn.functional.mse_loss(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt.step()
        ref_opt.step()
        for (n, mine), (_, twin) in zip(
            ours.named_parameters(), theirs.named_parameters(), strict=True
        ):
            np.testing.assert_allclose(
                mine.data, twin.detach().numpy(), rtol=1e-10, atol=1e-10, err_msg=n
            )
    assert not np.allclose(ours[0].weight.data, mlp(cg)[0].weight.data)  # it did move


RMSPROP_SETTINGS = [
    {},  # PyTorch's defaults: lr 1e-2, alpha 0.99, eps 1e-8
    {"lr": 0.03, "alpha": 0.9, "eps": 1e-3},
    {"weight_decay": 0.1},
    {"momentum": 0.9},
    {"lr": 0.005, "alpha": 0.5, "weight_decay": 0.2, "momentum": 0.5},
    {"centered": True},
    {"centered": True, "momentum": 0.8, "weight_decay": 0.01, "alpha": 0.95},
]
ADAM_SETTINGS = [
    {},  # PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8
    {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1},
    {"lr": 0.1, "betas": (0.0, 0.5), "eps": 1e-30},  # no averaging of g; eps far below v
]
SGD_SETTINGS = [
    {"lr": 0.1, "momentum": 0.9},
    {"lr": 0.1, "momentum": 0.9, "nesterov": True},
    {"lr": 0.03, "momentum": 0.5, "weight_decay": 0.1, "nesterov": True},
]
SAME_GRADIENT_SETTINGS = (
    [("RMSprop", options) for options in RMSPROP_SETTINGS]
    + [("Adam", options) for options in ADAM_SETTINGS]
    + [("SGD", options) for options in SGD_SETTINGS]
)


@pytest.mark.parametrize(("name", "options"), SAME_GRADIENT_SETTINGS)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-12), (np.float32, 1e-6)])
def test_optimizers_follow_torch_step_by_step_on_the_same_gradients(name, options, dtype, rtol):
    # The same parameters and the same gradients each step: only the update rule can differ.
    # Gradient entries span several scales; one stays exactly 0 (in Adam and RMSprop its
    # denominator is eps alone, and its step must be 0, not nan), another is 0 every other step.
    rng = np.random.default_rng(1)
    start = [rng.standard_normal(shape).astype(dtype) for shape in [(4, 3), (3,)]]
    ours = [cg.tensor(a.copy(), requires_grad=True, dtype=dtype) for a in start]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    opt = getattr(cg.optim, name)(ours, **options)
    ref_opt = getattr(torch.optim, name)(theirs, **options)
    for step in range(6):
        for mine, twin in zip(ours, theirs, strict=True):
            grad = rng.standard_normal(mine.shape) * 10.0 ** rng.integers(-3, 2, mine.shape)
            grad = grad.astype(dtype)
            grad.flat[0] = 0
            if step % 2:
                grad.flat[1] = 0
            mine.grad, twin.grad = grad.copy(), torch.from_numpy(grad.copy())
        opt.step()
        ref_opt.step()
        for mine, twin in zip(ours, theirs, strict=True):
            assert mine.data.dtype == dtype
            np.testing.assert_allclose(
                mine.data, twin.detach().numpy(), rtol=rtol, atol=rtol, err_msg=f"step {step}"
            )
    assert not np.allclose(ours[0].data, start[0])  # it did move
    if not options.get("weight_decay"):  # an entry whose gradient was always 0 stays put
        assert [mine.data.flat[0] for mine in ours] == [a.flat[0] for a in start]


def test_optimizers_skip_parameters_without_gradient_and_zero_grad():
    a, b = cg.tensor([1.0], requires_grad=True), cg.tensor([2.0], requires_grad=True)
    for opt in (
        cg.optim.SGD([a, b], lr=0.5, momentum=0.9),
        cg.optim.SGD([a, b], lr=0.5, momentum=0.9, nesterov=True),
        cg.optim.Adam([a, b]),
        cg.optim.RMSprop([a, b], momentum=0.9, centered=True),
    ):
        (a * 3).sum().backward()
        opt.step()
        assert b.data[0] == 2.0 and a.data[0] < 1.0
        opt.zero_grad()
        assert a.grad is None
    with pytest.raises(ValueError, match="empty"):
        cg.optim.SGD([], lr=0.1)
