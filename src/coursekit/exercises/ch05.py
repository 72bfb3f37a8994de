"""Checks for chapter 5: building chhotograd (a new operation, undoing broadcasting, and a backward
pass written by hand).

Expected values never come from chhotograd's own backward pass: PyTorch computes them (exercises
1 and 2, and the network of exercise 3), or a closed form does (the rest of exercise 3).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import chhotograd as cg

from ..checks import call_answer, compare, fail, passed
from ..lang import Messages

# Messages this chapter needs beyond those of coursekit.checks.
_MESSAGES = {
    "en": {
        "not_tensor": "expected a chhotograd Tensor, got {got}.",
        "values": "the values of the result: {detail}",
        "not_recorded": (
            "the result records nothing (its requires_grad is False although x requires grad): "
            'record the operation with engine._from_op(data, (x,), backward, "cumsum").'
        ),
        "backward_raised": "backward() through your result raised {error}.",
        "no_gradient": (
            "no gradient reached x: your rule must return a tuple with one gradient per input, "
            "(grad_x,)."
        ),
        "gradient": "the gradient with respect to x: {detail}",
        "no_grad": (
            "inside no_grad() your operation still recorded its input: record it with "
            "engine._from_op, which reads the switch."
        ),
        "mutated": "your function changed x.data in place; compute a new array instead.",
        "not_dict": "expected a dictionary that maps each leaf to its gradient, got {got}.",
        "used_backward": (
            "the .grad of a leaf changed: compute the gradients yourself, without calling "
            "backward(), and leave .grad untouched."
        ),
        "missing_leaf": "the dictionary has no entry for the leaf {leaf}.",
        "leaf": "the gradient for the leaf {leaf}: {detail}",
        "case_cube": "x·x·x + x at x = 1.5",
        "case_layer": "a tanh layer with broadcasting (leaves W, b, v)",
        "case_reuse": "a tensor a used three times, broadcast against B",
        "case_chain": "a chain of {n} multiplications",
        "case_no_grad": "inside no_grad(), x.shape={shape}",
    },
    "bn": {
        "not_tensor": "একটি chhotograd Tensor আশা করা হয়েছিল, পাওয়া গেছে {got}।",
        "values": "ফলাফলের মান: {detail}",
        "not_recorded": (
            "ফলাফলটি কিছুই রেকর্ড করেনি (x-এর requires_grad থাকা সত্ত্বেও এর requires_grad False): "
            'অপারেশনটি engine._from_op(data, (x,), backward, "cumsum") দিয়ে রেকর্ড করুন।'
        ),
        "backward_raised": "আপনার ফলাফলের ওপর backward() চালাতে গিয়ে {error} উঠেছে।",
        "no_gradient": (
            "x-এ কোনো গ্রেডিয়েন্ট পৌঁছায়নি: আপনার রুলকে প্রতিটি ইনপুটের জন্য একটি করে গ্রেডিয়েন্টসহ "
            "একটি টাপল ফেরত দিতে হবে, (grad_x,)।"
        ),
        "gradient": "x-এর সাপেক্ষে গ্রেডিয়েন্ট: {detail}",
        "no_grad": (
            "no_grad()-এর ভেতরেও আপনার অপারেশন তার ইনপুট রেকর্ড করেছে: engine._from_op দিয়ে রেকর্ড "
            "করুন, যা সুইচটি পড়ে নেয়।"
        ),
        "mutated": "আপনার ফাংশন x.data-কে বদলে দিয়েছে; বদলে একটি নতুন অ্যারে তৈরি করুন।",
        "not_dict": (
            "প্রতিটি লিফকে তার গ্রেডিয়েন্টের সঙ্গে মেলানো একটি ডিকশনারি আশা করা হয়েছিল, পাওয়া গেছে {got}।"
        ),
        "used_backward": (
            "একটি লিফের .grad বদলে গেছে: backward() না ডেকে গ্রেডিয়েন্টগুলো নিজে হিসাব করুন, আর .grad "
            "যেমন আছে তেমন রাখুন।"
        ),
        "missing_leaf": "ডিকশনারিতে লিফ {leaf}-এর কোনো এন্ট্রি নেই।",
        "leaf": "লিফ {leaf}-এর গ্রেডিয়েন্ট: {detail}",
        "case_cube": "x = 1.5 বিন্দুতে x·x·x + x",
        "case_layer": "ব্রডকাস্টিংসহ একটি tanh লেয়ার (লিফ W, b, v)",
        "case_reuse": "তিনবার ব্যবহৃত একটি টেনসর a, B-এর সঙ্গে ব্রডকাস্ট করা",
        "case_chain": "{n}টি গুণের একটি শিকল",
        "case_no_grad": "no_grad()-এর ভেতরে, x.shape={shape}",
    },
}


_text = Messages(_MESSAGES)


def _plain(value: Any) -> Any:
    """A chhotograd Tensor as its NumPy array; anything else unchanged (compare() reads torch
    tensors and arrays)."""
    return value.data if isinstance(value, cg.Tensor) else value


# Exercise 1 ------------------------------------------------------------------------------------


def _torch_cumsum_gradient(x: np.ndarray, seed: np.ndarray) -> np.ndarray:
    import torch

    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    torch.cumsum(xt, dim=-1).backward(torch.tensor(seed, dtype=torch.float64))
    return xt.grad.numpy()


def check_cumsum(fn, lang: str = "en") -> None:
    """Exercise 1: fn(x) is a chhotograd operation computing np.cumsum(x.data, axis=-1), with a
    backward rule; values and gradients are compared with PyTorch, and under no_grad() the
    result must record nothing."""
    name = "cumsum"
    rng = np.random.default_rng(55)
    for shape in [(5,), (3, 4), (2, 3, 6)]:
        case = f"x.shape={shape}"
        x_np = rng.normal(size=shape)
        x = cg.tensor(x_np.copy(), requires_grad=True)
        out = call_answer(fn, (x,), name=name, lang=lang, case=case)
        if not isinstance(out, cg.Tensor):
            fail(lang, name, _text(lang, "not_tensor", got=type(out).__name__), case=case)
        if not np.array_equal(x.data, x_np):
            fail(lang, name, _text(lang, "mutated"), case=case)
        problem = compare(out.data, np.cumsum(x_np, axis=-1), lang=lang, rtol=1e-10, atol=1e-12)
        if problem is not None:
            fail(lang, name, _text(lang, "values", detail=problem), case=case)
        if not out.requires_grad:
            fail(lang, name, _text(lang, "not_recorded"), case=case)
        seed = rng.normal(size=shape)
        try:
            out.backward(seed)
        except Exception as exc:  # the student's rule may raise anything
            error = f"{type(exc).__name__}: {exc}"
            fail(lang, name, _text(lang, "backward_raised", error=error), case=case)
        if x.grad is None:
            fail(lang, name, _text(lang, "no_gradient"), case=case)
        expected = _torch_cumsum_gradient(x_np, seed)
        problem = compare(x.grad, expected, lang=lang, rtol=1e-10, atol=1e-12)
        if problem is not None:
            fail(lang, name, _text(lang, "gradient", detail=problem), case=case)

    case = _text(lang, "case_no_grad", shape=(4,))
    x = cg.tensor(rng.normal(size=4), requires_grad=True)
    with cg.no_grad():
        out = call_answer(fn, (x,), name=name, lang=lang, case=case)
    if isinstance(out, cg.Tensor) and (out.requires_grad or out._parents):
        fail(lang, name, _text(lang, "no_grad"), case=case)
    passed(lang, name)


# Exercise 2 ------------------------------------------------------------------------------------

UNBROADCAST_CASES = [
    ((4, 3), (3,)),
    ((4, 3), (4, 1)),
    ((4, 3), ()),
    ((4, 3), (4, 3)),
    ((1, 3), (3,)),
    ((2, 4, 3), (4, 1)),
    ((2, 4, 3), (1, 1, 3)),
    ((5, 4, 3), (5, 1, 1)),
    ((6, 1, 4), (1, 4)),
    ((2, 3, 4, 5), (3, 1, 5)),
]


def _torch_unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """The gradient of sum(g * broadcast(c)) with respect to c of ``shape``, by PyTorch."""
    import torch

    c = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
    (c.expand(g.shape) * torch.tensor(g, dtype=torch.float64)).sum().backward()
    return c.grad.numpy()


def check_unbroadcast(fn, lang: str = "en") -> None:
    """Exercise 2: fn(g, shape) sums g down to shape, as the backward pass of broadcasting."""
    name = "unbroadcast"
    rng = np.random.default_rng(56)
    for g_shape, shape in UNBROADCAST_CASES:
        case = f"g.shape={g_shape}, shape={shape}"
        g = rng.normal(size=g_shape)
        got = call_answer(fn, (g.copy(), shape), name=name, lang=lang, case=case)
        expected = _torch_unbroadcast(g, shape)
        problem = compare(_plain(got), expected, lang=lang, rtol=1e-10, atol=1e-12)
        if problem is not None:
            fail(lang, name, problem, case=case)
    passed(lang, name)


# Exercise 3 ------------------------------------------------------------------------------------


def _graph_cases(lang: str):
    """Yield (description, root, {name: leaf}, {name: expected gradient}), built fresh."""
    import torch

    x = cg.tensor(1.5, requires_grad=True, dtype=np.float64)
    yield _text(lang, "case_cube"), x * x * x + x, {"x": x}, {"x": np.array(3 * 1.5**2 + 1)}

    rng = np.random.default_rng(57)
    X, y = rng.normal(size=(5, 2)), rng.normal(size=5)
    params = {"W": rng.normal(size=(3, 2)), "b": rng.normal(size=3), "v": rng.normal(size=3)}
    leaves = {k: cg.tensor(a.copy(), requires_grad=True) for k, a in params.items()}
    W, b, v = leaves["W"], leaves["b"], leaves["v"]
    root = (((cg.tensor(X) @ W.T + b).tanh() @ v - cg.tensor(y)) ** 2).mean()
    ref = {k: torch.tensor(a, requires_grad=True) for k, a in params.items()}
    Xt, yt = torch.tensor(X), torch.tensor(y)
    ((torch.tanh(Xt @ ref["W"].T + ref["b"]) @ ref["v"] - yt) ** 2).mean().backward()
    yield _text(lang, "case_layer"), root, leaves, {k: t.grad.numpy() for k, t in ref.items()}

    a_np, B_np = rng.normal(size=3), rng.normal(size=(2, 3))
    a, B = cg.tensor(a_np.copy(), requires_grad=True), cg.tensor(B_np.copy(), requires_grad=True)
    root = ((a * B + a).tanh().sum(axis=1) ** 2).mean() + a.max()
    at, Bt = torch.tensor(a_np, requires_grad=True), torch.tensor(B_np, requires_grad=True)
    ((torch.tanh(at * Bt + at).sum(dim=1) ** 2).mean() + at.max()).backward()
    yield (
        _text(lang, "case_reuse"),
        root,
        {"a": a, "B": B},
        {"a": at.grad.numpy(), "B": Bt.grad.numpy()},
    )

    n, k0, x0 = 3000, 0.999, np.array([1.5, -2.0])
    x = cg.tensor(x0.copy(), requires_grad=True)
    k = cg.tensor(k0, requires_grad=True, dtype=np.float64)
    t = x
    for _ in range(n):
        t = t * k
    expected = {"x": np.full(2, k0**n), "k": np.array(n * k0 ** (n - 1) * x0.sum())}
    yield _text(lang, "case_chain", n=n), t.sum(), {"x": x, "k": k}, expected


def check_gradients(fn, lang: str = "en") -> None:
    """Exercise 3: fn(root) returns {leaf: d root / d leaf} for every leaf behind root, without
    calling backward() (every leaf's .grad stays None)."""
    name = "gradients"
    for case, root, leaves, expected in _graph_cases(lang):
        got = call_answer(fn, (root,), name=name, lang=lang, case=case)
        if not isinstance(got, dict):
            fail(lang, name, _text(lang, "not_dict", got=type(got).__name__), case=case)
        if any(leaf.grad is not None for leaf in leaves.values()):
            fail(lang, name, _text(lang, "used_backward"), case=case)
        for leaf_name, leaf in leaves.items():
            # Look the leaf up by identity: a Tensor's == compares values, elementwise.
            found = [value for key, value in got.items() if key is leaf]
            if not found:
                fail(lang, name, _text(lang, "missing_leaf", leaf=leaf_name), case=case)
            problem = compare(
                _plain(found[0]), expected[leaf_name], lang=lang, rtol=1e-9, atol=1e-12
            )
            if problem is not None:
                detail = _text(lang, "leaf", leaf=leaf_name, detail=problem)
                fail(lang, name, detail, case=case)
    passed(lang, name)
