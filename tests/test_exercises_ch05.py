"""Chapter 5's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones."""

from __future__ import annotations

import re

import numpy as np
import pytest

import chhotograd as cg
from chhotograd import autograd, engine
from coursekit.checks import CheckFailed, stub, success, unanswered
from coursekit.exercises import ch05

# Exercise 1: cumsum ----------------------------------------------------------------------------


def cumsum(x):
    data = np.cumsum(x.data, axis=-1)

    def backward(g):
        return (np.flip(np.cumsum(np.flip(g, axis=-1), axis=-1), axis=-1),)

    return engine._from_op(data, (x,), backward, "cumsum")


def cumsum_by_matmul(x):
    # Another correct answer: out = x @ U with U[j, i] = 1 for j <= i, built from existing ops.
    n = x.shape[-1]
    return x @ cg.tensor(np.triu(np.ones((n, n))), dtype=x.dtype)


def cumsum_forward_rule(x):
    # A common mistake: the running sum from the left in the backward pass too.
    data = np.cumsum(x.data, axis=-1)
    return engine._from_op(data, (x,), lambda g: (np.cumsum(g, axis=-1),), "cumsum")


def cumsum_unrecorded(x):
    return cg.tensor(np.cumsum(x.data, axis=-1))


def cumsum_always_recording(x):
    out = cg.tensor(np.cumsum(x.data, axis=-1))
    out.requires_grad, out._parents, out._op = True, (x,), "cumsum"
    out._backward = lambda g: (np.flip(np.cumsum(np.flip(g, axis=-1), axis=-1), axis=-1),)
    return out


def cumsum_flattened(x):
    # np.cumsum without axis= runs over the flattened array.
    return engine._from_op(
        np.cumsum(x.data), (x,), lambda g: (np.flip(np.cumsum(np.flip(g))),), "c"
    )


def cumsum_bare_gradient(x):
    data = np.cumsum(x.data, axis=-1)
    return engine._from_op(data, (x,), lambda g: [None], "cumsum")


@pytest.mark.parametrize("answer", [cumsum, cumsum_by_matmul])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_cumsum_check_accepts_correct_answers(answer, lang, capsys):
    ch05.check_cumsum(answer, lang=lang)
    assert success(lang, "cumsum") in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer, lang, pattern",
    [
        (cumsum_forward_rule, "en", r"«x.shape=\(5,\)»: the gradient with respect to x: wrong"),
        (cumsum_forward_rule, "bn", "x-এর সাপেক্ষে গ্রেডিয়েন্ট: ইনডেক্স"),
        (cumsum_unrecorded, "en", "records nothing"),
        (cumsum_unrecorded, "bn", "কিছুই রেকর্ড করেনি"),
        (cumsum_always_recording, "en", "inside no_grad"),
        (cumsum_bare_gradient, "en", "no gradient reached x"),
        (lambda x: np.cumsum(x.data), "en", "expected a chhotograd Tensor, got ndarray"),
        (cumsum_flattened, "en", r"«x.shape=\(3, 4\)»: the values of the result: expected shape"),
    ],
)
def test_cumsum_check_rejects_wrong_answers(answer, lang, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        ch05.check_cumsum(answer, lang=lang)


def test_cumsum_check_reports_in_place_changes_and_stubs():
    def in_place(x):
        np.cumsum(x.data, axis=-1, out=x.data)
        return cumsum(x)

    with pytest.raises(CheckFailed, match="in place"):
        ch05.check_cumsum(in_place, lang="en")
    with pytest.raises(CheckFailed, match=re.escape(unanswered("bn"))):
        ch05.check_cumsum(lambda x: stub("bn"), lang="bn")


# Exercise 2: unbroadcast -----------------------------------------------------------------------


def unbroadcast(g, shape):
    g = np.asarray(g)
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True).reshape(shape)


def unbroadcast_by_loops(g, shape):
    # Another correct answer: collapse one axis at a time, from the left.
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def unbroadcast_leading_only(g, shape):
    g = np.asarray(g)
    return g.sum(axis=tuple(range(g.ndim - len(shape))))


def unbroadcast_mean(g, shape):
    return unbroadcast(g, shape) / (np.size(g) / max(np.prod(shape, dtype=int), 1))


@pytest.mark.parametrize("answer", [unbroadcast, unbroadcast_by_loops, engine._unbroadcast])
def test_unbroadcast_check_accepts_correct_answers(answer, capsys):
    ch05.check_unbroadcast(answer, lang="en")
    assert success("en", "unbroadcast") in capsys.readouterr().out


def test_unbroadcast_check_names_the_case_and_the_shape():
    with pytest.raises(CheckFailed, match=r"«g.shape=\(4, 3\), shape=\(4, 1\)»: expected shape"):
        ch05.check_unbroadcast(unbroadcast_leading_only, lang="en")
    with pytest.raises(CheckFailed, match="আকৃতি \\(shape\\) হওয়ার কথা"):
        ch05.check_unbroadcast(unbroadcast_leading_only, lang="bn")


def test_unbroadcast_check_rejects_wrong_values_and_stubs():
    with pytest.raises(CheckFailed, match=r"shape=\(3,\)»: wrong value at index"):
        ch05.check_unbroadcast(unbroadcast_mean, lang="en")
    with pytest.raises(CheckFailed, match=re.escape(unanswered("en"))):
        ch05.check_unbroadcast(lambda g, shape: stub("en"), lang="en")


# Exercise 3: gradients -------------------------------------------------------------------------


def gradients(root):
    pending = {id(root): np.ones_like(root.data)}
    leaves = {}
    for node in reversed(autograd.topological_order(root)):
        g = pending.pop(id(node), None)
        if g is None:
            continue
        if node._backward is None:
            leaves[node] = g
            continue
        for parent, parent_grad in zip(node._parents, node._backward(g), strict=True):
            if parent_grad is not None and parent.requires_grad:
                pending[id(parent)] = pending.get(id(parent), 0) + parent_grad
    return leaves


def gradients_kahn(root):
    # Another correct answer: Kahn's algorithm (count each node's children, start at root),
    # gradients kept on a list of pairs, leaves returned as cg.Tensor values.
    nodes, stack = {}, [root]
    children = {}
    while stack:
        node = stack.pop()
        if id(node) in nodes:
            continue
        nodes[id(node)] = node
        for parent in node._parents:
            if parent.requires_grad:
                children[id(parent)] = children.get(id(parent), 0) + 1
                stack.append(parent)
    grad = {id(root): np.ones_like(root.data)}
    ready, out = [root], []
    while ready:
        node = ready.pop()
        g = grad.pop(id(node))
        if node._backward is None:
            out.append((node, cg.tensor(g)))
            continue
        for parent, pg in zip(node._parents, node._backward(g), strict=True):
            if not parent.requires_grad:
                continue
            if pg is not None:
                grad[id(parent)] = grad.get(id(parent), 0) + pg
            else:
                grad.setdefault(id(parent), np.zeros_like(parent.data))
            children[id(parent)] -= 1
            if children[id(parent)] == 0:
                ready.append(parent)
    return dict(out)


def gradients_overwriting(root):
    pending = {id(root): np.ones_like(root.data)}
    leaves = {}
    for node in reversed(autograd.topological_order(root)):
        g = pending.pop(id(node), None)
        if g is None:
            continue
        if node._backward is None:
            leaves[node] = g
            continue
        for parent, parent_grad in zip(node._parents, node._backward(g), strict=True):
            if parent_grad is not None and parent.requires_grad:
                pending[id(parent)] = parent_grad  # = instead of +=
    return leaves


def gradients_recursive(root):
    order, seen = [], set()

    def visit(node):
        if id(node) not in seen:
            seen.add(id(node))
            for parent in node._parents:
                if parent.requires_grad:
                    visit(parent)
            order.append(node)

    visit(root)
    pending, leaves = {id(root): np.ones_like(root.data)}, {}
    for node in reversed(order):
        g = pending.pop(id(node))
        if node._backward is None:
            leaves[node] = g
            continue
        for parent, parent_grad in zip(node._parents, node._backward(g), strict=True):
            if parent_grad is not None and parent.requires_grad:
                pending[id(parent)] = pending.get(id(parent), 0) + parent_grad
    return leaves


def gradients_with_backward(root):
    root.backward()
    return {node: node.grad for node in autograd.topological_order(root) if node.grad is not None}


@pytest.mark.parametrize("answer", [gradients, gradients_kahn])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_gradients_check_accepts_correct_answers(answer, lang, capsys):
    ch05.check_gradients(answer, lang=lang)
    assert success(lang, "gradients") in capsys.readouterr().out


@pytest.mark.parametrize(
    "answer, lang, pattern",
    [
        (gradients_overwriting, "en", r"«x·x·x \+ x at x = 1.5»: the gradient for the leaf x"),
        (gradients_overwriting, "bn", "লিফ x-এর গ্রেডিয়েন্ট"),
        (gradients_recursive, "en", "3000 multiplications»: your function raised RecursionError"),
        (gradients_with_backward, "en", "without calling backward"),
        (gradients_with_backward, "bn", "backward\\(\\) না ডেকে"),
        (lambda root: {}, "en", "no entry for the leaf x"),
        (lambda root: [], "en", "expected a dictionary"),
        (lambda root: stub("en"), "en", re.escape(unanswered("en"))),
    ],
)
def test_gradients_check_rejects_wrong_answers(answer, lang, pattern):
    with pytest.raises(CheckFailed, match=pattern):
        ch05.check_gradients(answer, lang=lang)


def test_gradients_check_finds_a_wrong_leaf_in_the_layer_case():
    def drop_broadcast_sum(root):
        result = gradients(root)
        # Pretend the bias gradient was never summed over the batch: a per-sample gradient.
        for leaf, g in result.items():
            if g.shape == (3,) and leaf.shape == (3,):
                result[leaf] = g / 5
        return result

    with pytest.raises(CheckFailed, match="tanh layer.*leaf b"):
        ch05.check_gradients(drop_broadcast_sum, lang="en")
