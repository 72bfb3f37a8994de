"""Checks for chapter 9: bfloat16 rounding, an output-stationary systolic array, and the
gradient that data-parallel replicas add up.

Every expected value is computed here by another route than the exercise asks for: ml_dtypes'
own float32 -> bfloat16 conversion (exercise 1), NumPy's ``@`` and the closed-form tick count
(exercise 2), central differences of the average loss on the whole batch (exercise 3).
"""

from __future__ import annotations

import numpy as np

from ..checks import call_answer, compare, fail, message, passed, read_answer, unpack
from ..lang import Messages

_MESSAGES = {
    "en": {
        "matrix": "the matrix C: {detail}",
        "ticks": "the number of ticks: {detail}",
        "ticks_type": "the number of ticks must be a whole number, got {got}.",
        "rounded_down": (
            " It looks as if the low 16 bits were cut off (rounding towards zero); round to the"
            " nearest bfloat16 instead."
        ),
        "shard_mean": (
            " The answer grows with the number of replicas: divide each share's sum by the"
            " global batch size, not by the share's own size, before adding the shares up."
        ),
    },
    "bn": {
        "matrix": "ম্যাট্রিক্স C: {detail}",
        "ticks": "টিকের সংখ্যা: {detail}",
        "ticks_type": "টিকের সংখ্যা একটি পূর্ণসংখ্যা হওয়ার কথা, পাওয়া গেছে {got}।",
        "rounded_down": (
            " মনে হচ্ছে নিচের ১৬টি বিট কেটে ফেলা হয়েছে (শূন্যের দিকে রাউন্ডিং); এর বদলে সবচেয়ে"
            " কাছের bfloat16 মানে রাউন্ড করুন।"
        ),
        "shard_mean": (
            " রেপ্লিকা বাড়লে উত্তরও বাড়ছে: অংশগুলো যোগ করার আগে প্রতিটি অংশের যোগফলকে"
            " অংশের নিজের আকার দিয়ে নয়, গ্লোবাল ব্যাচ সাইজ দিয়ে ভাগ করুন।"
        ),
    },
}


_text = Messages(_MESSAGES)


# Exercise 1 ------------------------------------------------------------------------------------


def bfloat16_test_values() -> np.ndarray:
    """float32 values that exercise rounding to bfloat16: ordinary numbers of both signs and many
    magnitudes, exact ties (which must go to the even neighbour), zeros, tiny and huge values."""
    rng = np.random.default_rng(9)
    ordinary = rng.normal(size=300) * 10.0 ** rng.integers(-30, 30, size=300)
    one_ulp = 2.0**-7  # the spacing of bfloat16 numbers between 1 and 2
    ties = [
        1 + one_ulp / 2,
        1 + 3 * one_ulp / 2,
        -(1 + one_ulp / 2),
        2 + one_ulp,
        256 + 1,
        3 + 3 * one_ulp,
    ]  # noqa: E501
    special = [
        0.0,
        -0.0,
        1.0,
        -2.5,
        1e-40,
        -3e-39,
        3.0e38,
        np.finfo(np.float32).max,
        np.inf,
        -np.inf,
    ]  # noqa: E501
    values = np.concatenate([ordinary, ties, special, 1 + one_ulp * rng.random(50)])
    return values.astype(np.float32)


def check_to_bfloat16(fn, lang: str = "en") -> None:
    """Exercise 1: fn(x) rounds a float32 array to the nearest bfloat16 values (ties to even)."""
    import ml_dtypes

    name = "to_bfloat16"
    x = bfloat16_test_values()
    expected = x.astype(ml_dtypes.bfloat16).astype(np.float64)
    case = f"x.shape={x.shape}, x.dtype=float32"
    got = call_answer(fn, (x.copy(),), name=name, lang=lang, case=case)
    # Not compare(): infinities belong to the expected answer here.
    got_arr, problem = read_answer(got, lang=lang)
    if problem is not None:
        fail(lang, name, problem, case=case)
    if got_arr.shape != expected.shape:
        problem = message(lang, "wrong_shape", expected=expected.shape, got=got_arr.shape)
        fail(lang, name, problem, case=case)
    # Exact comparison: every float32 value has exactly one nearest bfloat16 (ties to even).
    wrong = np.flatnonzero(got_arr != expected)
    if wrong.size:
        bad = int(wrong[0])
        detail = message(
            lang, "wrong_entry", index=bad, expected=float(expected[bad]), got=float(got_arr[bad])
        )
        truncated = (x.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)
        if np.array_equal(got_arr, truncated.astype(np.float64)):
            detail += _text(lang, "rounded_down")
        fail(lang, name, detail, case=case)
    passed(lang, name)


# Exercise 2 ------------------------------------------------------------------------------------


def output_stationary_ticks(m: int, k: int, n: int) -> int:
    """Clock ticks an output-stationary array needs for an (m, k) @ (k, n) product.

    Cell (i, j) adds its last product A[i, k-1] * B[k-1, j] at tick i + j + (k - 1), counting
    from tick 0, so the last cell (m-1, n-1) finishes at tick m + n + k - 3: m + n + k - 2 ticks.
    """
    return m + n + k - 2


def check_output_stationary(fn, lang: str = "en") -> None:
    """Exercise 2: fn(A, B) -> (C, ticks) with C == A @ B and the tick count of the array."""
    name = "output_stationary"
    rng = np.random.default_rng(12)
    shapes = [(2, 3, 4), (5, 1, 2), (1, 7, 1), (4, 4, 4), (3, 6, 2)]
    for m, k, n in shapes:
        A = rng.integers(-9, 10, size=(m, k)).astype(np.float64)
        B = rng.integers(-9, 10, size=(k, n)).astype(np.float64)
        case = f"A.shape={A.shape}, B.shape={B.shape}"
        got = call_answer(fn, (A.copy(), B.copy()), name=name, lang=lang, case=case)
        C, ticks = unpack(got, ("C", "ticks"), name=name, lang=lang, case=case)
        problem = compare(C, A @ B, lang=lang, rtol=0.0, atol=1e-9)
        if problem is not None:
            fail(lang, name, _text(lang, "matrix", detail=problem), case=case)
        # A count: an int, a whole float, or a one-element integer array or tensor; not a bool.
        count, problem = read_answer(ticks, lang=lang)
        if problem is not None:
            fail(lang, name, _text(lang, "ticks", detail=problem), case=case)
        if (
            isinstance(ticks, bool | np.bool_)
            or count.size != 1
            or not np.isfinite(count).all()
            or not float(count.reshape(())).is_integer()
        ):
            fail(lang, name, _text(lang, "ticks_type", got=repr(ticks)), case=case)
        problem = compare(
            count.reshape(()), output_stationary_ticks(m, k, n), lang=lang, rtol=0.0, atol=0.0
        )
        if problem is not None:
            fail(lang, name, _text(lang, "ticks", detail=problem), case=case)
    passed(lang, name)


# Exercise 3 ------------------------------------------------------------------------------------


def _average_loss(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    return float(np.mean((y - X @ w) ** 2))


def _central_gradient(X: np.ndarray, y: np.ndarray, w: np.ndarray, eps: float = 1e-6):
    grad = np.zeros_like(w)
    for i in range(len(w)):
        step = np.zeros_like(w)
        step[i] = eps
        grad[i] = (_average_loss(X, y, w + step) - _average_loss(X, y, w - step)) / (2 * eps)
    return grad


def check_allreduce_gradient(fn, lang: str = "en") -> None:
    """Exercise 3: fn(X, y, w, replicas) adds up the replicas' gradients of the squared loss and
    must equal the gradient of the average loss over the whole global batch."""
    name = "allreduce_gradient"
    rng = np.random.default_rng(3)
    X = rng.normal(size=(32, 3))
    y = X @ np.array([0.5, -1.0, 2.0]) + 0.1 * rng.normal(size=32)
    w = np.array([0.2, 0.1, -0.3])
    answers = {}
    for replicas in (1, 2, 4, 8):
        case = f"replicas={replicas}, len(y)={len(y)}"
        got = call_answer(
            fn, (X.copy(), y.copy(), w.copy(), replicas), name=name, lang=lang, case=case
        )  # noqa: E501
        problem = compare(got, _central_gradient(X, y, w), lang=lang, rtol=1e-5, atol=1e-7)
        if problem is not None:
            hint = ""
            first = answers.get(1)
            got_arr = read_answer(got, lang=lang)[0]
            if first is not None and got_arr is not None and got_arr.shape == first.shape:
                if np.allclose(got_arr, replicas * first):
                    hint = _text(lang, "shard_mean")
            fail(lang, name, problem + hint, case=case)
        answers[replicas] = read_answer(got, lang=lang)[0]
    passed(lang, name)
