"""The graph machinery: tensors, seeds, accumulation, no_grad, deep graphs, errors, pictures,
and proof that the comparison tests can fail."""

import numpy as np
import pytest
import torch
from chhotograd_helpers import compare_with_torch

import chhotograd as cg
import chhotograd.engine
from chhotograd.calculus import GradcheckError, gradcheck
from chhotograd.engine import _from_op


# --------------------------------------------------------------------- tensors
def test_dtype_rules():
    assert cg.tensor([1.0, 2.0]).dtype == np.float32  # Python floats: float32 by default
    assert cg.tensor(np.zeros(2)).dtype == np.float64  # float64 NumPy data stays float64
    assert cg.tensor(np.zeros(2, np.float16)).dtype == np.float32
    assert cg.tensor([1.0], dtype=np.float64).dtype == np.float64
    assert cg.tensor(3.0).shape == () and cg.tensor(3.0).ndim == 0
    assert cg.tensor([1, 2]).dtype.kind == "i"  # labels and indices stay integers
    assert cg.Tensor(cg.tensor([1.0])).dtype == np.float32


def test_tensor_wraps_its_array_and_exposes_it():
    array = np.arange(6.0).reshape(2, 3)
    x = cg.Tensor(array, requires_grad=True)
    assert x.data is array and x.numpy() is array
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == np.float64 and len(x) == 2
    assert x.grad is None and x.requires_grad
    assert cg.tensor([2.5]).item() == 2.5
    d = (x * 2).detach()
    assert not d.requires_grad and d._parents == () and np.array_equal(d.data, array * 2)
    assert np.asarray(x) is array
    assert "requires_grad=True" in repr(x) and "op=mul" in repr(x * 2)


def test_integer_data_cannot_require_grad_and_says_why():
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        cg.Tensor([1, 2, 3], requires_grad=True)


# --------------------------------------------------------------------- backward and its seed
def test_backward_on_a_scalar_seeds_with_one():
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
    assert x.grad.dtype == np.float32


def test_backward_on_a_one_element_tensor_of_any_rank_seeds_with_one():
    x = cg.tensor([[3.0]], requires_grad=True)
    (x * x).backward()
    np.testing.assert_array_equal(x.grad, [[6.0]])


def test_backward_on_a_non_scalar_needs_a_gradient():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\)"):
        (x * 3).backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(3,\)"):
        (x * 3).backward(np.ones(3))
    (x * 3).backward(np.array([1.0, 10.0]))  # a vector-Jacobian product
    np.testing.assert_array_equal(x.grad, [3.0, 30.0])


def test_backward_on_a_tensor_that_does_not_require_grad_says_so():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (cg.tensor([1.0]) * 2).sum().backward()


def test_gradients_accumulate_across_calls_until_zeroed():
    x = cg.tensor([1.0, -2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()  # the same graph again
    (x * 5).sum().backward()  # and a new graph
    np.testing.assert_array_equal(x.grad, 2 * (2 * x.data) + 5)
    x.zero_grad()
    assert x.grad is None
    (x * 5).sum().backward()
    np.testing.assert_array_equal(x.grad, [5.0, 5.0])


def test_a_tensor_used_twice_gets_the_sum_of_both_paths():
    x = cg.tensor(2.0, requires_grad=True)
    a = x * 3
    (a * x + a).backward()  # d/dx (3x² + 3x) = 6x + 3
    assert x.grad == 15.0


def test_leaves_get_their_own_gradient_arrays():
    a, b = cg.tensor([1.0, 2.0], requires_grad=True), cg.tensor([3.0, 4.0], requires_grad=True)
    seed = np.array([1.0, 1.0], dtype=np.float32)
    (a + b).backward(seed)  # add hands the same array to both inputs
    a.grad *= 10
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    np.testing.assert_array_equal(seed, [1.0, 1.0])
    c = cg.tensor([[1.0, 2.0]], requires_grad=True)
    c.reshape(2).sum().backward()  # reshape hands back a view
    assert c.grad.flags.owndata and c.grad.flags.writeable
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    h = (x + 0).retain_grad()  # add hands x the very array that h keeps
    h.sum().backward()
    h.grad *= 10
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_gradients_take_each_leafs_dtype():
    a = cg.tensor([1.0, 2.0], requires_grad=True)
    b = cg.Tensor(np.array([3.0, 4.0]), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_array_equal(h.grad, 2 * h.data)
    assert (x * 3).grad is None


def test_a_rule_returning_a_wrong_shape_is_caught():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    y = _from_op(x.data.sum(), (x,), lambda g: (np.ones(3),), "broken")
    with pytest.raises(RuntimeError, match=r"'broken' returned a gradient of shape \(3,\)"):
        y.backward()


# --------------------------------------------------------------------- no_grad and deep graphs
def test_no_grad_records_nothing_and_restores_the_mode():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    with cg.no_grad():
        y = x * 2
        with cg.no_grad():
            pass
        assert not cg.is_grad_enabled()
    assert not y.requires_grad and y._parents == () and y._backward is None
    assert cg.is_grad_enabled() and (x * 2).requires_grad
    with pytest.raises(ZeroDivisionError), cg.no_grad():
        raise ZeroDivisionError
    assert cg.is_grad_enabled()

    @cg.no_grad()
    def evaluate(t):
        return t * 2

    assert not evaluate(x).requires_grad


def test_a_chain_of_100000_operations_does_not_hit_the_recursion_limit():
    x = cg.tensor(1.0, requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    y.backward()
    assert x.grad == pytest.approx(1.00001**100_000, rel=1e-9)
    assert len(y.to_dot().splitlines()) > 100_000


# --------------------------------------------------------------------- error messages
def test_broadcasting_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        cg.tensor(np.ones((2, 3))) + cg.tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2,\)"):
        cg.tensor(np.ones((2, 3))) * np.ones(2)


def test_matmul_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not match"):
        cg.tensor(np.ones((2, 3))) @ cg.tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3\).*\(5, 4\)"):
        cg.nn.Linear(4, 5)(cg.tensor(np.ones((2, 3))))


# --------------------------------------------------------------------- pictures
def test_to_dot_describes_the_graph_with_ops_and_shapes():
    model = cg.nn.Linear(3, 2)
    x = cg.tensor(np.ones((4, 3), np.float32))
    loss = model(x).relu().sum()
    dot = loss.to_dot(names=dict(model.named_parameters()))
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")
    for text in ("linear\\n4×2 float32", "relu", "sum\\nscalar", "weight\\n2×3", "bias\\n2 "):
        assert text in dot
    assert dot.count("->") == 5  # x, weight, bias -> linear -> relu -> sum
    assert dot == cg.to_dot(loss, dict(model.named_parameters()))


# --------------------------------------------------------------------- the tests can fail
def test_a_wrong_backward_rule_is_caught(monkeypatch):
    def tanh_with_a_wrong_rule(self):
        data = np.tanh(self.data)
        return _from_op(data, (self,), lambda g: (g * (1 - data),), "tanh")  # forgot the square

    x = np.linspace(-2, 2, 5)
    monkeypatch.setattr(cg.Tensor, "tanh", tanh_with_a_wrong_rule)
    with pytest.raises(AssertionError, match="gradient of input 0"):
        compare_with_torch(lambda t: t.tanh(), x)
    with pytest.raises(GradcheckError):
        gradcheck(lambda t: t.tanh(), x)


def test_a_wrong_broadcasting_rule_is_caught(monkeypatch):
    def mean_instead_of_sum(g, shape):  # a classic mistake: average the copies' gradients
        lead = g.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1)
        return g.mean(axis=axes, keepdims=True).reshape(shape) if axes else g

    monkeypatch.setattr(chhotograd.engine, "_unbroadcast", mean_instead_of_sum)
    with pytest.raises(AssertionError, match="gradient of input 1"):
        compare_with_torch(lambda a, b: a + b, np.ones((3, 2)), np.ones(2))


def test_the_torch_comparison_checks_values_too():
    with pytest.raises(AssertionError, match="forward"):
        compare_with_torch(lambda t: t * 2, np.ones(3), torch_f=lambda t: t * torch.tensor(2.001))


def test_power_zero_has_zero_gradient_even_at_zero():
    import torch

    x = cg.tensor([0.0, 2.0], requires_grad=True, dtype=np.float64)
    (x**0).sum().backward()
    t = torch.tensor([0.0, 2.0], requires_grad=True, dtype=torch.float64)
    (t**0).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_checks_accept_chhotograd_tensors(capsys):
    from coursekit.checks import check_value

    check_value(cg.tensor([1.0, 2.0], requires_grad=True) * 1, [1.0, 2.0], name="t", lang="en")
    assert "correct" in capsys.readouterr().out
