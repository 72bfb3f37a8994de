"""Exercise checks that answer in the reader's language.

A check either prints a short success line or raises :class:`CheckFailed`, whose message says
what is wrong (not answered yet, wrong type, wrong shape, wrong value and where). In Jupyter the
failure shows as that message alone, without a traceback from inside the checker.

Checks compare against values the checker computes itself, with tolerances, so any correct
answer passes, not only the reference solution.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NoReturn

import numpy as np

MESSAGES = {
    "en": {
        "ok": "✔ {name}: correct.",
        "fail": "✘ {name}: {detail}",
        "stub": "not answered yet: replace the line that raises with your code, then run the cell.",
        "not_callable": "expected a function, got {got}.",
        "wrong_type": "expected a number or an array, got {got}.",
        "not_finite": "the answer contains NaN or infinity.",
        "wrong_shape": "expected shape {expected}, got {got}.",
        "wrong_len": "expected {expected} values, got {got}.",
        "wrong_scalar": "expected about {expected:.6g}, got {got:.6g}.",
        "wrong_entry": "wrong value at index {index}: expected about {expected:.6g}, got {got:.6g}.",  # noqa: E501
        "raised": "your function raised {error} for the input {case}.",
        "case": "for the input {case}: {detail}",
        "mutated": "your function changed its input {arg} in place; work on a copy ({arg}.copy()).",
    },
    "bn": {
        "ok": "✔ {name}: সঠিক।",
        "fail": "✘ {name}: {detail}",
        "stub": "এখনো উত্তর লেখা হয়নি: যে লাইনটি error তোলে সেটি সরিয়ে আপনার কোড লিখুন, তারপর সেলটি চালান।",
        "not_callable": "একটি ফাংশন আশা করা হয়েছিল, পাওয়া গেছে {got}।",
        "wrong_type": "একটি সংখ্যা বা অ্যারে আশা করা হয়েছিল, পাওয়া গেছে {got}।",
        "not_finite": "উত্তরে NaN বা অসীম (infinity) মান আছে।",
        "wrong_shape": "আকৃতি (shape) হওয়ার কথা {expected}, পাওয়া গেছে {got}।",
        "wrong_len": "{expected}টি মান হওয়ার কথা, পাওয়া গেছে {got}টি।",
        "wrong_scalar": "মান হওয়ার কথা প্রায় {expected:.6g}, পাওয়া গেছে {got:.6g}।",
        "wrong_entry": "ইনডেক্স {index}-এ মান ভুল: হওয়ার কথা প্রায় {expected:.6g}, পাওয়া গেছে {got:.6g}।",
        "raised": "ইনপুট {case}-এর জন্য আপনার ফাংশন {error} তুলেছে।",
        "case": "ইনপুট {case}-এর জন্য: {detail}",
        "mutated": "আপনার ফাংশন ইনপুট {arg}-কে বদলে দিয়েছে; একটি কপি নিয়ে কাজ করুন ({arg}.copy())।",
    },
}


class CheckFailed(AssertionError):
    """An exercise answer is wrong; the message is meant for the student."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def _render_traceback_(self) -> list[str]:
        # IPython calls this instead of printing a traceback into the checker's internals.
        return [self.message]


class AnswerStub(NotImplementedError):
    """Raised by an exercise's placeholder until the student writes an answer."""

    def _render_traceback_(self) -> list[str]:
        return [f"✍ {self}"]


class _Unanswered:
    """The value a student notebook gives an answer until the student replaces it."""

    def __repr__(self) -> str:
        return "UNANSWERED"


UNANSWERED = _Unanswered()


def message(lang: str, key: str, **kw: Any) -> str:
    if lang not in MESSAGES:
        raise ValueError(f"lang={lang!r}: checks speak {sorted(MESSAGES)}.")
    return MESSAGES[lang][key].format(**kw)


def fail(lang: str, name: str, key: str, **kw: Any) -> NoReturn:
    raise CheckFailed(message(lang, "fail", name=name, detail=message(lang, key, **kw)))


def fail_with(lang: str, name: str, detail: str) -> NoReturn:
    """Fail the check ``name`` with a ``detail`` already written in ``lang``."""
    raise CheckFailed(message(lang, "fail", name=name, detail=detail))


class Messages:
    """A chapter's own check messages, one table per language the checks speak.

    ``text = Messages({"en": {...}, "bn": {...}})``; then ``text(lang, key, **kw)`` formats the
    message (a value that is not a string, such as a tuple of names, is returned as it is). The
    tables must cover the same languages as :data:`MESSAGES` and hold the same keys, so a message
    added in one language and forgotten in the other is caught when the module is imported.
    """

    def __init__(self, tables: dict[str, dict[str, Any]]):
        if set(tables) != set(MESSAGES):
            raise ValueError(
                f"message tables for {sorted(tables)}; checks speak {sorted(MESSAGES)}"
            )
        keys = {lang: set(table) for lang, table in tables.items()}
        first, *rest = sorted(keys)
        for lang in rest:
            if keys[lang] != keys[first]:
                missing = sorted(keys[first] ^ keys[lang])
                raise ValueError(f"the '{first}' and '{lang}' message tables differ in {missing}")
        self.tables = tables

    def __call__(self, lang: str, key: str, **kw: Any) -> Any:
        if lang not in self.tables:
            raise ValueError(f"lang={lang!r}: checks speak {sorted(self.tables)}.")
        value = self.tables[lang][key]
        return value.format(**kw) if isinstance(value, str) else value


def passed(lang: str, name: str) -> None:
    print(message(lang, "ok", name=name))


def _type_name(value: Any) -> str:
    return type(value).__name__


def as_numpy(value: Any, *, float64: bool = False) -> Any:
    """A PyTorch or TensorFlow tensor (even one that requires grad) as a NumPy array; other
    values unchanged. ``float64=True`` converts a PyTorch tensor to float64 first (so bfloat16,
    which NumPy lacks, and float32 rounding do not get in the way of a comparison)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
        value = value.detach().cpu()
        if float64:
            value = value.double()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        return value.numpy()
    return value


def shape_problem(got: Any, shape: tuple[int, ...], *, lang: str) -> str | None:
    """Return None when ``got`` is a finite number/array of ``shape``, else why not."""
    if got is UNANSWERED:
        return message(lang, "stub")
    got = as_numpy(got)
    if isinstance(got, (str, bytes)) or got is None:
        return message(lang, "wrong_type", got=_type_name(got))
    try:
        got_arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return message(lang, "wrong_type", got=_type_name(got))
    if got_arr.shape != tuple(shape):
        if len(shape) == 1 and got_arr.ndim == 1:
            return message(lang, "wrong_len", expected=shape[0], got=got_arr.shape[0])
        return message(lang, "wrong_shape", expected=tuple(shape), got=got_arr.shape)
    if not np.all(np.isfinite(got_arr)):
        return message(lang, "not_finite")
    return None


def compare(
    got: Any, expected: Any, *, lang: str, rtol: float = 1e-5, atol: float = 1e-8
) -> str | None:
    """Return None when ``got`` matches ``expected`` (number, array or sequence), else why not."""
    exp_arr = np.asarray(expected, dtype=np.float64)
    problem = shape_problem(got, exp_arr.shape, lang=lang)
    if problem is not None:
        return problem
    got_arr = np.asarray(as_numpy(got), dtype=np.float64)
    bad = ~np.isclose(got_arr, exp_arr, rtol=rtol, atol=atol)
    if not bad.any():
        return None
    if exp_arr.ndim == 0:
        return message(lang, "wrong_scalar", expected=float(exp_arr), got=float(got_arr))
    # Name the worst entry, so the student knows where to look.
    err = np.where(bad, np.abs(got_arr - exp_arr), -1.0)
    index = np.unravel_index(int(np.argmax(err)), exp_arr.shape)
    index_text = index[0] if len(index) == 1 else tuple(int(i) for i in index)
    return message(
        lang,
        "wrong_entry",
        index=index_text,
        expected=float(exp_arr[index]),
        got=float(got_arr[index]),
    )


def check_value(
    got: Any,
    expected: Any,
    *,
    name: str,
    lang: str,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """Pass when ``got`` is close to ``expected``; otherwise raise CheckFailed saying how."""
    problem = compare(got, expected, lang=lang, rtol=rtol, atol=atol)
    if problem is not None:
        raise CheckFailed(message(lang, "fail", name=name, detail=problem))
    passed(lang, name)


def call_answer(fn: Any, args: Sequence[Any], *, name: str, lang: str, case: str) -> Any:
    """Call the student's function; turn a stub or a crash into a CheckFailed."""
    if fn is UNANSWERED:
        fail(lang, name, "stub")
    if not callable(fn):
        fail(lang, name, "not_callable", got=_type_name(fn))
    try:
        return fn(*args)
    except AnswerStub:
        fail(lang, name, "stub")
    except Exception as exc:  # the student's code may raise anything
        fail(lang, name, "raised", error=f"{type(exc).__name__}: {exc}", case=case)
    return None  # unreachable


def check_function(
    fn: Callable[..., Any],
    cases: Sequence[tuple[str, Sequence[Any], Any]],
    *,
    name: str,
    lang: str,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """Run ``fn(*args)`` for each ``(description, args, expected)`` case and compare."""
    for case, args, expected in cases:
        got = call_answer(fn, args, name=name, lang=lang, case=case)
        problem = compare(got, expected, lang=lang, rtol=rtol, atol=atol)
        if problem is not None:
            raise CheckFailed(
                message(
                    lang, "fail", name=name, detail=message(lang, "case", case=case, detail=problem)
                )
            )
    passed(lang, name)


def stub(lang: str = "en") -> None:
    """The placeholder a student notebook puts where a solution was."""
    text = {
        "en": "Write your answer here (replace this line with your code).",
        "bn": "এখানে আপনার উত্তর লিখুন (এই লাইনটির জায়গায় আপনার কোড লিখুন)।",
    }
    raise AnswerStub(text.get(lang, text["en"]))
