"""Chapter 9's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones and on an unanswered stub."""

from __future__ import annotations

import re

import ml_dtypes
import numpy as np
import pytest

from coursekit.checks import CheckFailed, stub, success, unanswered
from coursekit.exercises import ch09

# Exercise 1: rounding float32 to bfloat16 ------------------------------------------------------


def bits_round_to_bfloat16(x):
    bits = np.asarray(x, dtype=np.float32).view(np.uint32)
    rounded = (bits + np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1))) & np.uint32(0xFFFF0000)
    return rounded.view(np.float32)


def library_bfloat16(x):
    # Another correct answer: let ml_dtypes round, and return bfloat16 values, not float32.
    return np.asarray(x).astype(ml_dtypes.bfloat16)


def python_loop_bfloat16(x):
    # A third: one value at a time with Python integers, returned as a list.
    out = []
    for value in np.asarray(x, dtype=np.float32):
        bits = int(value.view(np.uint32))
        keep, rest = bits >> 16, bits & 0xFFFF
        if rest > 0x8000 or (rest == 0x8000 and keep & 1):
            keep += 1
        out.append(float(np.uint32(keep << 16).view(np.float32)))
    return out


def truncate_to_bfloat16(x):
    return (np.asarray(x, np.float32).view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)


def ties_away_from_zero(x):
    bits = np.asarray(x, dtype=np.float32).view(np.uint32)
    return ((bits + np.uint32(0x8000)) & np.uint32(0xFFFF0000)).view(np.float32)


@pytest.mark.parametrize("answer", [bits_round_to_bfloat16, library_bfloat16, python_loop_bfloat16])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_bfloat16_check_accepts_every_correct_rounding(answer, lang, capsys):
    ch09.check_to_bfloat16(answer, lang=lang)
    assert success(lang, "to_bfloat16") in capsys.readouterr().out


def test_bfloat16_test_values_contain_ties_and_overflow():
    x = ch09.bfloat16_test_values().astype(np.float64)
    assert 1 + 2.0**-8 in x and np.inf in x and np.finfo(np.float32).max in x


def test_bfloat16_check_names_truncation_in_both_languages():
    with pytest.raises(CheckFailed, match="towards zero"):
        ch09.check_to_bfloat16(truncate_to_bfloat16, lang="en")
    with pytest.raises(CheckFailed, match="শূন্যের দিকে"):
        ch09.check_to_bfloat16(truncate_to_bfloat16, lang="bn")


@pytest.mark.parametrize(
    "wrong, text",
    [
        (ties_away_from_zero, "wrong value at index"),  # only the ties differ
        (lambda x: np.asarray(x, np.float16), "wrong value at index"),
        (lambda x: x, "wrong value at index"),
        (lambda x: x[:10], "expected shape (366,), got (10,)"),
        (lambda x: None, "expected a number or an array, got NoneType"),
    ],
)
def test_bfloat16_check_rejects_wrong_answers(wrong, text):
    with pytest.raises(CheckFailed, match=text.replace("(", r"\(").replace(")", r"\)")):
        with np.errstate(over="ignore"):
            ch09.check_to_bfloat16(wrong, lang="en")


# Exercise 2: the output-stationary systolic array -------------------------------------------


def output_stationary(A, B):
    """A tick-by-tick simulation: A moves right, B moves down, each cell keeps its own sum."""
    m, k = A.shape
    n = B.shape[1]
    C = np.zeros((m, n))
    a_reg = np.zeros((m, n))
    b_reg = np.zeros((m, n))
    ticks = 0
    for t in range(m + n + k - 2):
        a_reg[:, 1:] = a_reg[:, :-1].copy()
        b_reg[1:, :] = b_reg[:-1, :].copy()
        for i in range(m):
            a_reg[i, 0] = A[i, t - i] if 0 <= t - i < k else 0.0
        for j in range(n):
            b_reg[0, j] = B[t - j, j] if 0 <= t - j < k else 0.0
        C += a_reg * b_reg
        ticks += 1
    return C, ticks


def output_stationary_shortcut(A, B):
    # Correct too: the product and the closed-form tick count, as a list with a float count.
    return [A @ B, float(A.shape[0] + A.shape[1] + B.shape[1] - 2)]


@pytest.mark.parametrize("answer", [output_stationary, output_stationary_shortcut])
def test_systolic_check_accepts_correct_answers(answer, capsys):
    ch09.check_output_stationary(answer, lang="bn")
    assert success("bn", "output_stationary") in capsys.readouterr().out


def test_simulation_in_the_test_agrees_with_the_tick_formula():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(3, 5)), rng.normal(size=(5, 2))
    C, ticks = output_stationary(A, B)
    assert np.allclose(C, A @ B) and ticks == ch09.output_stationary_ticks(3, 5, 2) == 8


@pytest.mark.parametrize(
    "wrong, lang, text",
    [
        (lambda A, B: (A @ B, A.shape[0] + A.shape[1] + B.shape[1] - 1), "en", "number of ticks"),
        (lambda A, B: (A @ B, A.shape[0] + A.shape[1] + B.shape[1] - 1), "bn", "টিকের সংখ্যা"),
        (lambda A, B: A @ B, "en", r"expected a tuple of 2 values \(C, ticks\)"),
        (lambda A, B: ((A @ B).T, 7), "en", r"the matrix C: expected shape \(2, 4\)"),
        (lambda A, B: (A @ B + 1, 7), "bn", "ম্যাট্রিক্স C"),
        (lambda A, B: (A @ B, 7.5), "en", "must be a whole number"),
    ],
)
def test_systolic_check_rejects_wrong_answers(wrong, lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch09.check_output_stationary(wrong, lang=lang)


# Exercise 3: the all-reduced gradient -----------------------------------------------------------


def allreduce_gradient(X, y, w, replicas):
    total = np.zeros_like(w)
    n = len(y)
    for X_shard, y_shard in zip(np.split(X, replicas), np.split(y, replicas), strict=True):
        total += -2.0 / n * X_shard.T @ (y_shard - X_shard @ w)
    return total


def mean_of_shard_means(X, y, w, replicas):
    # Equivalent with equal shards: average the replicas' mean gradients.
    grads = [
        -2.0 * Xs.T @ (ys - Xs @ w) / len(ys)
        for Xs, ys in zip(np.split(X, replicas), np.split(y, replicas), strict=True)
    ]
    return np.mean(grads, axis=0)


def sum_of_shard_means(X, y, w, replicas):
    return replicas * mean_of_shard_means(X, y, w, replicas)


@pytest.mark.parametrize("answer", [allreduce_gradient, mean_of_shard_means])
def test_allreduce_check_accepts_correct_answers(answer, capsys):
    ch09.check_allreduce_gradient(answer, lang="en")
    assert success("en", "allreduce_gradient") in capsys.readouterr().out


@pytest.mark.parametrize("lang, text", [("en", "global batch size"), ("bn", "গ্লোবাল ব্যাচ")])
def test_allreduce_check_explains_the_shard_mean_mistake(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch09.check_allreduce_gradient(sum_of_shard_means, lang=lang)


def test_allreduce_check_rejects_a_wrong_sign():
    with pytest.raises(CheckFailed, match="replicas=1"):
        ch09.check_allreduce_gradient(lambda X, y, w, r: -allreduce_gradient(X, y, w, r))


# Every check fails on an unanswered stub, in both languages ------------------------------------


@pytest.mark.parametrize(
    "check, arity",
    [
        (ch09.check_to_bfloat16, 1),
        (ch09.check_output_stationary, 2),
        (ch09.check_allreduce_gradient, 4),
    ],
)
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_every_check_reports_a_stub(check, arity, lang):
    def not_yet(*args):
        assert len(args) == arity
        stub(lang)

    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        check(not_yet, lang=lang)
