"""Every operation's backward agrees with central differences, independently of PyTorch."""

import numpy as np
import pytest

import chhotograd as cg
import chhotograd.functional as F
from chhotograd.calculus import GradcheckError, gradcheck
from chhotograd.engine import _from_op


def values(shape, low=-2.0, high=2.0, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape)


def signed(shape, seed=0):
    """|values| in [0.5, 2]: safe for division, and away from the kinks of abs, relu and max."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def image(shape, seed=0):
    """Distinct values, so that every pooling window has a single clear maximum."""
    return np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) / 10.0


# name -> (function, inputs). Shapes are small: each check costs two calls per input element.
CASES = {
    "add broadcast": (lambda a, b: a + b, [values((2, 3)), values((3,), seed=1)]),
    "sub size-1 axis": (lambda a, b: a - b, [values((2, 1, 3)), values((4, 1), seed=1)]),
    "mul broadcast": (lambda a, b: a * b, [values((2, 3)), values((1, 3), seed=1)]),
    "div": (lambda a, b: a / b, [values((2, 3)), signed((2, 1), seed=1)]),
    "pow tensor": (lambda a, b: a**b, [values((2, 3), 0.5, 2.0), values((3,), seed=1)]),
    "pow number": (lambda a: a**3 + a**-1.5, [values((2, 3), 0.5, 2.0)]),
    "number on the left": (lambda a: 2.0 / a - 3.0 * a + 2.0**a, [signed((2, 3))]),
    "neg": (lambda a: -a, [values((3,))]),
    "matmul": (lambda a, b: a @ b, [values((2, 3)), values((3, 4), seed=1)]),
    "matmul batch and vector": (lambda a, b: a @ b, [values((2, 1, 2, 3)), values((3,), seed=1)]),
    "vector matmul batch": (lambda a, b: a @ b, [values((3,)), values((2, 3, 2), seed=1)]),
    "sum": (lambda a: a.sum(axis=(0, 2)), [values((2, 3, 2))]),
    "sum keepdims": (lambda a: a.sum(axis=1, keepdims=True), [values((2, 3))]),
    "mean": (lambda a: a.mean(axis=-1), [values((2, 3))]),
    "mean all": (lambda a: a.mean(), [values((2, 3))]),
    "max": (lambda a: a.max(axis=0), [signed((3, 4))]),
    "max all": (lambda a: a.max(), [signed((3, 4))]),
    "exp": (lambda a: a.exp(), [values((2, 3))]),
    "log": (lambda a: a.log(), [values((2, 3), 0.2, 3.0)]),
    "sqrt": (lambda a: a.sqrt(), [values((2, 3), 0.2, 3.0)]),
    "abs": (lambda a: a.abs(), [signed((2, 3))]),
    "tanh": (lambda a: a.tanh(), [values((2, 3))]),
    "sigmoid": (lambda a: a.sigmoid(), [values((2, 3), -6.0, 6.0)]),
    "relu": (lambda a: a.relu(), [signed((2, 3))]),
    "reshape": (lambda a: a.reshape(3, 2) * values((3, 2), seed=2), [values((2, 3))]),
    "permute": (lambda a: a.permute(2, 0, 1) * values((4, 2, 3), seed=2), [values((2, 3, 4))]),
    "transpose": (lambda a: a.transpose(0, 1) * values((3, 2), seed=2), [values((2, 3))]),
    "T": (lambda a: a.T @ values((2, 2), seed=2), [values((2, 3))]),
    "flatten": (lambda a: a.flatten(1) * values((2, 6), seed=2), [values((2, 3, 2))]),
    "index repeated": (lambda a: a[np.array([0, 2, 0])], [values((3, 2))]),
    "index slices": (lambda a: a[1:, ::2], [values((3, 4))]),
    "linear": (F.linear, [values((4, 3)), values((2, 3), seed=1), values((2,), seed=2)]),
    "softmax": (lambda a: F.softmax(a, axis=0), [values((3, 2))]),
    "log_softmax": (lambda a: F.log_softmax(a), [values((2, 3))]),
    "cross_entropy": (lambda a: F.cross_entropy(a, np.array([2, 0, 1, 2])), [values((4, 3))]),
    "mse_loss": (F.mse_loss, [values((3, 2)), values((3, 2), seed=1)]),
    "conv2d": (
        lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
        [values((2, 2, 5, 4)), values((3, 2, 3, 2), seed=1), values((3,), seed=2)],
    ),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2, stride=1), [image((1, 2, 3, 4))]),
}


@pytest.mark.parametrize("name", CASES)
def test_backward_agrees_with_central_differences(name):
    f, inputs = CASES[name]
    assert gradcheck(f, *inputs)


def test_gradcheck_names_the_worst_entry_of_a_wrong_rule():
    def wrong_square(x):  # claims d(x²)/dx = x instead of 2x
        return _from_op(x.data**2, (x,), lambda g: (g * x.data,), "square")

    with pytest.raises(GradcheckError, match=r"input 0: d out\[1\] / d input\[1\]"):
        gradcheck(wrong_square, np.array([0.5, 3.0, -1.0]))


def test_gradcheck_skips_inputs_that_do_not_require_grad():
    x = cg.Tensor(values((2,)), requires_grad=False)
    assert gradcheck(lambda a, b: a * b, values((2,), seed=1), x)
