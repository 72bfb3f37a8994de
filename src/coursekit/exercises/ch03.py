"""Checks for chapter 3: Jacobians, the two Jacobians of a linear module, and backpropagation
through a cascade of linear modules with ReLU between them.

Every expected answer comes from PyTorch's autograd on fresh float64 tensors, never from a
formula the chapter derives. Answers may be tensors (with or without ``requires_grad``) or NumPy
arrays; where the chapter allows two layouts of the same numbers (a row vector with or without its
leading 1, a weight gradient as a matrix or as the row g·(I ⊗ zᵀ)), both are accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..checks import (
    as_numpy,
    call_answer,
    compare,
    fail,
    message,
    passed,
    read_answer,
    shape_problem,
    unpack,
)
from ..lang import Messages

DTYPE = torch.float64

# Messages specific to this chapter; the general ones live in coursekit.checks.
_MESSAGES = {
    "en": {
        "transposed": (
            "{detail} A Jacobian has one row per output ({rows}) and one column per input "
            "({cols}); yours looks transposed."
        ),
        "not_list": "expected a list with one gradient per weight matrix, got {got}.",
        "list_len": "expected {n} gradients (one per weight matrix), got {got}.",
    },
    "bn": {
        "transposed": (
            "{detail} জ্যাকোবিয়ানে প্রতিটি আউটপুটের একটি সারি ({rows}টি) আর প্রতিটি ইনপুটের একটি "
            "কলাম ({cols}টি) থাকে; আপনার উত্তরটি ট্রান্সপোজ করা মনে হচ্ছে।"
        ),
        "not_list": (
            "প্রতিটি ওয়েট ম্যাট্রিক্সের জন্য একটি করে গ্রেডিয়েন্টের লিস্ট আশা করা হয়েছিল, পাওয়া গেছে {got}।"
        ),
        "list_len": "{n}টি গ্রেডিয়েন্ট (প্রতিটি ওয়েট ম্যাট্রিক্সের জন্য একটি) হওয়ার কথা, পাওয়া গেছে {got}টি।",
    },
}


_text = Messages(_MESSAGES)


def as_array(value: Any) -> Any:
    """A tensor becomes a NumPy array (detached, its dtype kept so that a message can name it;
    bfloat16 as float32, complex as complex); anything else is returned unchanged."""
    if isinstance(value, torch.Tensor):
        return as_numpy(value)
    return value


def fit_shape(
    got: Any, shapes: Sequence[tuple[int, ...]], *, lang: str
) -> tuple[np.ndarray | None, str | None]:
    """Accept ``got`` in any of ``shapes`` (the first is the main one) and reshape it to the first.

    Returns (array, None) on success, else (None, why not), the reason naming the main shape.
    """
    got = as_array(got)
    for shape in shapes:
        if shape_problem(got, shape, lang=lang) is None:
            # An array keeps its dtype, so that a wrong value can be blamed on float32.
            arr = got if isinstance(got, np.ndarray) else read_answer(got, lang=lang)[0]
            return arr.reshape(shapes[0]), None
    return None, shape_problem(got, shapes[0], lang=lang)


def _randn(gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=DTYPE)


# Exercise 1 ------------------------------------------------------------------------------------


def tanh_layer_cases(seed: int = 3) -> list[tuple[str, tuple[torch.Tensor, ...]]]:
    """Inputs (W, b, z) of several shapes: one output, and more outputs than inputs."""
    gen = torch.Generator().manual_seed(seed)
    cases = []
    for d_g, d_f in [(3, 4), (1, 5), (6, 2)]:
        W, b, z = _randn(gen, d_g, d_f), _randn(gen, d_g), _randn(gen, d_f)
        cases.append((f"W.shape=({d_g}, {d_f})", (W, b, z)))
    return cases


def check_tanh_layer_jacobian(fn, lang: str = "en") -> None:
    """Exercise 1: fn(W, b, z) returns ∂tanh(Wz + b)/∂z, shape [d_g × d_f]."""
    name = "tanh_layer_jacobian"
    for case, (W, b, z) in tanh_layer_cases():
        expected = torch.autograd.functional.jacobian(lambda v, W=W, b=b: torch.tanh(W @ v + b), z)
        got = call_answer(fn, (W.clone(), b.clone(), z.clone()), name=name, lang=lang, case=case)
        problem = compare(got, expected.numpy(), lang=lang, rtol=1e-7, atol=1e-10)
        if problem is None:
            continue
        d_g, d_f = W.shape
        if d_g != d_f and shape_problem(got, (d_f, d_g), lang=lang) is None:
            problem = _text(lang, "transposed", detail=problem, rows=d_g, cols=d_f)
        fail(lang, name, problem, case=case)
    passed(lang, name)


# Exercise 2 ------------------------------------------------------------------------------------


def linear_backward_cases(seed: int = 5) -> list[tuple[str, tuple[torch.Tensor, ...]]]:
    """Inputs (g, W, z): g is a row [1 × d_out]; square W catches a transposed weight gradient."""
    gen = torch.Generator().manual_seed(seed)
    cases = []
    for d_out, d_in in [(3, 5), (1, 4), (4, 4)]:
        g, W, z = _randn(gen, 1, d_out), _randn(gen, d_out, d_in), _randn(gen, d_in)
        cases.append((f"W.shape=({d_out}, {d_in})", (g, W, z)))
    return cases


def _linear_backward_expected(g: torch.Tensor, W: torch.Tensor, z: torch.Tensor):
    """(∂c/∂z, ∂c/∂W, ∂c/∂b) by autograd for c = g · (W z + b), so that ∂c/∂s = g."""
    W = W.clone().requires_grad_(True)
    z = z.clone().requires_grad_(True)
    b = torch.zeros(W.shape[0], dtype=DTYPE, requires_grad=True)
    c = (g.reshape(-1) * (W @ z + b)).sum()
    return torch.autograd.grad(c, (z, W, b))


def check_linear_backward(fn, lang: str = "en") -> None:
    """Exercise 2: fn(g, W, z) returns (grad_z, grad_W, grad_b) for s = W z + b and ∂c/∂s = g."""
    name = "linear_backward"
    names = ("grad_z", "grad_W", "grad_b")
    for case, (g, W, z) in linear_backward_cases():
        d_out, d_in = W.shape
        args = (g.clone(), W.clone(), z.clone())
        got = unpack(
            call_answer(fn, args, name=name, lang=lang, case=case),
            names,
            name=name,
            lang=lang,
            case=case,
        )
        expected = _linear_backward_expected(g, W, z)
        layouts = [
            [(1, d_in), (d_in,)],
            [(d_out, d_in), (1, d_out * d_in), (d_out * d_in,)],
            [(d_out,), (1, d_out)],
        ]
        for part, value, want, shapes in zip(names, got, expected, layouts, strict=True):
            arr, problem = fit_shape(value, shapes, lang=lang)
            if problem is None:
                problem = compare(
                    arr, want.numpy().reshape(shapes[0]), lang=lang, rtol=1e-7, atol=1e-10
                )
            if problem is not None:
                fail(lang, name, message(lang, "part", part=part, detail=problem), case=case)
    passed(lang, name)


# Exercise 3 ------------------------------------------------------------------------------------


def mlp_cases(seed: int = 7) -> list[tuple[str, tuple[Any, ...]]]:
    """Networks of depth 1 to 4: inputs (Ws, bs, x, y)."""
    gen = torch.Generator().manual_seed(seed)
    cases = []
    for widths in [(4, 3), (5, 4, 2), (6, 5, 4, 3), (8, 7, 7, 6, 2)]:
        Ws = [_randn(gen, widths[k + 1], widths[k]) for k in range(len(widths) - 1)]
        bs = [0.5 * _randn(gen, widths[k + 1]) for k in range(len(widths) - 1)]
        x, y = _randn(gen, widths[0]), _randn(gen, widths[-1])
        cases.append((f"widths={widths}", (Ws, bs, x, y)))
    return cases


def mlp_expected(Ws: Sequence[torch.Tensor], bs: Sequence[torch.Tensor], x, y):
    """The weight gradients of c = ½‖s_L − y‖² by autograd."""
    leaves = [W.clone().requires_grad_(True) for W in Ws]
    h = x
    for k, (W, b) in enumerate(zip(leaves, bs, strict=True)):
        h = W @ h + b
        if k < len(leaves) - 1:
            h = torch.relu(h)
    c = 0.5 * ((h - y) ** 2).sum()
    return torch.autograd.grad(c, leaves)


def check_mlp_weight_gradients(fn, lang: str = "en") -> None:
    """Exercise 3: fn(Ws, bs, x, y) returns [∂c/∂W_0, …, ∂c/∂W_{L-1}], each shaped like W_k."""
    name = "mlp_weight_gradients"
    for case, (Ws, bs, x, y) in mlp_cases():
        args = ([W.clone() for W in Ws], [b.clone() for b in bs], x.clone(), y.clone())
        got = call_answer(fn, args, name=name, lang=lang, case=case)
        if isinstance(got, torch.Tensor | np.ndarray | str | bytes) or not isinstance(
            got, Sequence
        ):
            fail(lang, name, _text(lang, "not_list", got=type(got).__name__), case=case)
        if len(got) != len(Ws):
            fail(lang, name, _text(lang, "list_len", n=len(Ws), got=len(got)), case=case)
        for k, (value, want) in enumerate(zip(got, mlp_expected(Ws, bs, x, y), strict=True)):
            problem = compare(value, want.numpy(), lang=lang, rtol=1e-7, atol=1e-10)
            if problem is not None:
                detail = message(lang, "part", part=f"∂c/∂W_{k}", detail=problem)
                fail(lang, name, detail, case=case)
    passed(lang, name)
