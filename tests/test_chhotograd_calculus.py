"""chhotograd.calculus: jacobian and vjp against torch.autograd.functional, and where the calculus
tools live (apart from the neural-network operations)."""

import numpy as np
import torch

import chhotograd as cg
import chhotograd.functional as F
from chhotograd import calculus


def cubic(x):
    """A vector-valued function with a full Jacobian: (2,) + (3,) -> (2, 3) outputs."""
    return (x.reshape(1, 3) * x[:2].reshape(2, 1)) ** 2 + x.sum()


def test_jacobian_matches_torch():
    x = np.array([0.5, -1.0, 2.0])
    ours = calculus.jacobian(cubic, x)
    ref = torch.autograd.functional.jacobian(cubic, torch.tensor(x)).numpy()
    assert ours.shape == (2, 3, 3)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    matrix = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(calculus.jacobian(lambda v: cg.tensor(matrix) @ v, x), matrix)


def test_jacobian_of_a_constant_function_is_zero_and_input_is_untouched():
    x = cg.tensor(np.ones(2), requires_grad=True)
    assert np.array_equal(calculus.jacobian(lambda v: cg.tensor(np.ones(3)), x), np.zeros((3, 2)))
    calculus.jacobian(lambda v: v * 2, x)
    assert x.grad is None


def test_vjp_matches_torch():
    x, v = np.array([0.5, -1.0, 2.0]), np.arange(6.0).reshape(2, 3)
    value, product = calculus.vjp(cubic, x, v)
    ref_value, ref_product = torch.autograd.functional.vjp(
        cubic, torch.tensor(x), torch.from_numpy(v)
    )
    np.testing.assert_allclose(value, ref_value.numpy(), rtol=1e-12)
    np.testing.assert_allclose(product, ref_product.numpy(), rtol=1e-12)
    np.testing.assert_allclose(product, np.tensordot(v, calculus.jacobian(cubic, x), 2), rtol=1e-12)


def test_jacobian_with_a_float32_input_and_a_float64_function():
    x = cg.tensor([1.0, 2.0])  # float32
    jac = calculus.jacobian(lambda v: v * cg.tensor(np.array([3.0, 4.0])), x)
    assert jac.dtype == np.float64
    np.testing.assert_array_equal(jac, np.diag([3.0, 4.0]))


def test_the_calculus_tools_sit_at_the_top_and_apart_from_the_network_operations():
    for name in ("jacobian", "vjp", "gradcheck", "GradcheckError"):
        assert getattr(cg, name) is getattr(calculus, name)
        assert not hasattr(F, name), f"{name} belongs in chhotograd.calculus, not functional"
