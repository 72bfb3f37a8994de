"""Exercise checks that answer in the reader's language.

A check either prints its success line (:func:`success`) or fails through :func:`fail`, the one
way a check fails: it raises :class:`CheckFailed`, whose message names the check, the case that
went wrong if there is one, and what is wrong (not answered yet, a function that cannot take the
check's arguments, wrong type, complex numbers, something that cannot be read as numbers, wrong
shape, wrong value and where, with a hint when a coarse dtype explains it). In Jupyter the failure
shows as that message alone, without a traceback from inside the checker.

Checks compare against values the checker computes itself, with tolerances, so any correct
answer passes, not only the reference solution.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

import numpy as np

from .lang import Messages

__all__ = [
    "UNANSWERED",
    "AnswerStub",
    "CheckFailed",
    "Messages",
    "as_numpy",
    "call_answer",
    "check_function",
    "check_value",
    "compare",
    "fail",
    "keras_model",
    "message",
    "passed",
    "read_answer",
    "run_model",
    "shape_problem",
    "stub",
    "success",
    "unanswered",
    "unpack",
]

# The general messages of every chapter's checks; a chapter's own live in its module.
_MESSAGES = {
    "en": {
        "ok": "✔ {name}: correct.",
        "fail": "✘ {name}: {detail}",
        # A case is an input ("w=0.5, b=-1.0") or a description ("6 random photos"): quoted, it
        # reads as a label either way.
        "fail_case": "✘ {name}, case «{case}»: {detail}",
        "unanswered": (
            "not answered yet: replace the line that raises with your code, then run the cell."
        ),
        "write_here": "Write your answer here (replace this line with your code).",
        "not_callable": "expected a function, got {got}.",
        "wrong_type": "expected a number or an array, got {got}.",
        "unreadable": "your answer ({got}) could not be read as numbers: {error}.",
        "complex": (
            "expected real numbers, got complex ones ({dtype}); if the imaginary parts should be "
            "zero, look for the step that made them (a square root or a logarithm of a negative "
            "number, an FFT)."
        ),
        "holds_none": (
            "your answer holds None where a number should be: does a function on the way return "
            "nothing?"
        ),
        "not_finite": "the answer contains NaN or infinity.",
        "wrong_shape": "expected shape {expected}, got {got}.",
        "wrong_len": "expected {expected} values, got {got}.",
        "wrong_scalar": "expected about {expected:.6g}, got {got:.6g}.",
        "wrong_entry": "wrong value at index {index}: expected about {expected:.6g}, got {got:.6g}.",  # noqa: E501
        "low_precision": (
            " Your answer is {dtype}, which keeps only about {digits} significant digits, too few "
            "for this check: compute in float64."
        ),
        "integers": (
            " Your answer is {dtype}: whole numbers only, so the fractions were lost. Compute "
            "with floats."
        ),
        "raised": "your function raised {error}.",
        "arity": (
            "the check calls your function with {n} argument(s), but {name}{signature} cannot "
            "take them ({error}): give it the parameters the exercise asks for."
        ),
        "mutated": "your function changed its input {arg} in place; work on a copy ({arg}.copy()).",
        "not_parts": "expected a tuple of {n} values ({names}), got {got}.",
        "parts_len": "expected {n} values ({names}), got {got}.",
        "part": "{part}: {detail}",
        "not_keras_tensor": "expected the output of a layer (a Keras tensor), got {got}.",
        "out_shape": "the output has shape {got}, expected {expected}.",
        "keras_error": "Keras could not build a model from your answer: {error}",
        "model_raised": (
            "on inputs of shape {shape}, the model built from your answer raised {error}"
        ),
    },
    "bn": {
        "ok": "✔ {name}: সঠিক।",
        "fail": "✘ {name}: {detail}",
        "fail_case": "✘ {name}, «{case}»-এর ক্ষেত্রে: {detail}",
        "unanswered": (
            "এখনো উত্তর লেখা হয়নি: যে লাইনটি error তোলে সেটি সরিয়ে আপনার কোড লিখুন, তারপর সেলটি চালান।"
        ),
        "write_here": "এখানে আপনার উত্তর লিখুন (এই লাইনটির জায়গায় আপনার কোড লিখুন)।",
        "not_callable": "একটি ফাংশন আশা করা হয়েছিল, পাওয়া গেছে {got}।",
        "wrong_type": "একটি সংখ্যা বা অ্যারে আশা করা হয়েছিল, পাওয়া গেছে {got}।",
        "unreadable": "আপনার উত্তরকে ({got}) সংখ্যা হিসেবে পড়া যায়নি: {error}।",
        "complex": (
            "বাস্তব সংখ্যা আশা করা হয়েছিল, পাওয়া গেছে জটিল সংখ্যা (complex, {dtype}); কাল্পনিক অংশ "
            "শূন্য হওয়ার কথা হলে খুঁজে দেখুন কোন ধাপে সেগুলো এল (ঋণাত্মক সংখ্যার বর্গমূল বা লগারিদম, "
            "FFT)।"
        ),
        "holds_none": (
            "আপনার উত্তরে যেখানে সংখ্যা থাকার কথা সেখানে None আছে: পথের কোনো ফাংশন কি কিছুই ফেরত দিচ্ছে না?"
        ),
        "not_finite": "উত্তরে NaN বা অসীম (infinity) মান আছে।",
        "wrong_shape": "আকৃতি (shape) হওয়ার কথা {expected}, পাওয়া গেছে {got}।",
        "wrong_len": "{expected}টি মান হওয়ার কথা, পাওয়া গেছে {got}টি।",
        "wrong_scalar": "মান হওয়ার কথা প্রায় {expected:.6g}, পাওয়া গেছে {got:.6g}।",
        "wrong_entry": "ইনডেক্স {index}-এ মান ভুল: হওয়ার কথা প্রায় {expected:.6g}, পাওয়া গেছে {got:.6g}।",
        "low_precision": (
            " আপনার উত্তর {dtype}, যা মোটে প্রায় {digits}টি সার্থক অঙ্ক রাখে, এই চেকের জন্য যথেষ্ট "
            "নয়: float64-এ হিসাব করুন।"
        ),
        "integers": " আপনার উত্তর {dtype}: শুধু পূর্ণসংখ্যা, তাই ভগ্নাংশ হারিয়ে গেছে। float দিয়ে হিসাব করুন।",
        "raised": "আপনার ফাংশন এই error তুলেছে: {error}।",
        "arity": (
            "চেকটি আপনার ফাংশনকে {n}টি আর্গুমেন্ট দিয়ে ডাকে, কিন্তু {name}{signature} সেগুলো নিতে "
            "পারে না ({error}): অনুশীলনে যে প্যারামিটারগুলো চাওয়া হয়েছে, ফাংশনে সেগুলোই রাখুন।"
        ),
        "mutated": "আপনার ফাংশন ইনপুট {arg}-কে বদলে দিয়েছে; একটি কপি নিয়ে কাজ করুন ({arg}.copy())।",
        "not_parts": "{n}টি মানের একটি টাপল ({names}) আশা করা হয়েছিল, পাওয়া গেছে {got}।",
        "parts_len": "{n}টি মান ({names}) হওয়ার কথা, পাওয়া গেছে {got}টি।",
        "part": "{part}: {detail}",
        "not_keras_tensor": "একটি লেয়ারের আউটপুট (একটি Keras টেনসর) আশা করা হয়েছিল, পাওয়া গেছে {got}।",
        "out_shape": "আউটপুটের আকৃতি {got}, হওয়ার কথা {expected}।",
        "keras_error": "আপনার উত্তর থেকে Keras মডেল বানানো যায়নি: {error}",
        "model_raised": "{shape} আকৃতির ইনপুটে আপনার উত্তর থেকে বানানো মডেলটি এই error তুলেছে: {error}",
    },
}

_text = Messages(_MESSAGES)


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
    """One of the general check messages above, in ``lang``."""
    return _text(lang, key, **kw)


def success(lang: str, name: str) -> str:
    """The line a check prints when the answer is right: "✔ name: correct." in ``lang``."""
    return _text(lang, "ok", name=name)


def unanswered(lang: str) -> str:
    """What a check says about a stub the student has not replaced yet, in ``lang``."""
    return _text(lang, "unanswered")


def passed(lang: str, name: str) -> None:
    print(success(lang, name))


def fail(lang: str, name: str, detail: str, *, case: str | None = None) -> NoReturn:
    """Fail the check ``name``: raise CheckFailed with ``detail``, already written in ``lang``.

    ``case`` names what the check was trying when the answer went wrong: the inputs
    ("W.shape=(3, 4)") or a description ("6 random photos"), also in ``lang``.
    """
    if case is None:
        raise CheckFailed(_text(lang, "fail", name=name, detail=detail))
    raise CheckFailed(_text(lang, "fail_case", name=name, case=case, detail=detail))


def _type_name(value: Any) -> str:
    return type(value).__name__


def as_numpy(value: Any, *, float64: bool = False) -> Any:
    """A PyTorch or TensorFlow tensor (even one that requires grad) as a NumPy array; other
    values unchanged. A PyTorch bfloat16 tensor comes back as float32, which holds it exactly
    (NumPy has no bfloat16); ``float64=True`` converts a real PyTorch tensor to float64 first, so
    float32 rounding does not get in the way of a comparison. Complex tensors stay complex."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch.Tensor
        value = value.detach().cpu()
        if value.is_complex():
            value = value.resolve_conj().resolve_neg()  # .numpy() refuses lazy conjugates
        elif float64:
            value = value.double()
        elif str(value.dtype) == "torch.bfloat16":
            value = value.float()
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        return value.numpy()
    return value


# Significant decimal digits of the formats coarser than float64, for the hint that names them.
_DIGITS = {"float32": 7, "float16": 3, "bfloat16": 2}
_EPS = {"float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7}


def _arrays(value: Any, dtypes: list[str]) -> Any:
    """``value`` with every tensor, also inside lists and tuples, turned into a NumPy array;
    the dtype of each tensor goes into ``dtypes`` (a bfloat16 tensor becomes a float32 array)."""
    if isinstance(value, list | tuple):
        return [_arrays(item, dtypes) for item in value]
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        dtypes.append(str(dtype).removeprefix("torch."))
    return as_numpy(value)


def _read(got: Any, *, lang: str) -> tuple[np.ndarray | None, str, str | None]:
    """``(float64 array, dtype, None)`` for an answer made of real numbers, where dtype names the
    coarsest number format of its tensors and arrays when that is coarser than float64 (else "");
    otherwise ``(None, "", why not)`` in ``lang``."""
    if got is UNANSWERED:
        return None, "", unanswered(lang)
    if isinstance(got, str | bytes) or got is None:
        return None, "", _text(lang, "wrong_type", got=_type_name(got))
    dtypes: list[str] = []
    try:
        raw = np.asarray(_arrays(got, dtypes))
        if raw.dtype.kind == "c":
            return None, "", _text(lang, "complex", dtype=raw.dtype)
        if raw.dtype == object and any(item is None for item in raw.flat):
            return None, "", _text(lang, "holds_none")
        arr = raw.astype(np.float64)
    except (TypeError, ValueError):
        return None, "", _text(lang, "wrong_type", got=_type_name(got))
    except Exception as exc:  # an answer's own conversion may raise anything
        error = f"{type(exc).__name__}: {exc}"
        return None, "", _text(lang, "unreadable", got=_type_name(got), error=error)
    # The coarsest format among the tensors and arrays in the answer (not Python's numbers).
    coarse = [d for d in dtypes if d in _EPS or d.startswith(("int", "uint"))]
    dtype = max(coarse, key=lambda d: _EPS.get(d, 1.0)) if coarse else ""
    return arr, dtype, None


def _read_shaped(
    got: Any, shape: tuple[int, ...], *, lang: str
) -> tuple[np.ndarray | None, str, str | None]:
    arr, dtype, problem = _read(got, lang=lang)
    if problem is not None:
        return None, "", problem
    if arr.shape != tuple(shape):
        if len(shape) == 1 and arr.ndim == 1:
            return None, "", _text(lang, "wrong_len", expected=shape[0], got=arr.shape[0])
        return None, "", _text(lang, "wrong_shape", expected=tuple(shape), got=arr.shape)
    if not np.all(np.isfinite(arr)):
        return None, "", _text(lang, "not_finite")
    return arr, dtype, None


def shape_problem(got: Any, shape: tuple[int, ...], *, lang: str) -> str | None:
    """Return None when ``got`` is a finite number/array of real numbers of ``shape``, else why
    not (a stub, None, text, complex numbers, something that is not numbers, another shape)."""
    return _read_shaped(got, shape, lang=lang)[2]


def read_answer(got: Any, *, lang: str) -> tuple[np.ndarray | None, str | None]:
    """``(float64 array, None)`` when ``got`` is made of real numbers, read as :func:`compare`
    reads it (tensors, also inside lists, bfloat16 and tensors that require grad included), else
    ``(None, why not)`` in ``lang``. Any shape is accepted, and NaN and infinity too."""
    arr, _, problem = _read(got, lang=lang)
    return arr, problem


def _precision_hint(
    got: np.ndarray, expected: np.ndarray, dtype: str, *, lang: str, rtol: float, atol: float
) -> str:
    """Why a wrong answer may be wrong only because of its number format, or ""."""
    if dtype.startswith(("int", "uint")) and not np.array_equal(expected, np.round(expected)):
        return _text(lang, "integers", dtype=dtype)
    if dtype in _EPS:
        slack = 8 * _EPS[dtype]
        if np.allclose(got, expected, rtol=max(rtol, slack), atol=atol + slack):
            return _text(lang, "low_precision", dtype=dtype, digits=_DIGITS[dtype])
    return ""


def compare(
    got: Any, expected: Any, *, lang: str, rtol: float = 1e-5, atol: float = 1e-8
) -> str | None:
    """Return None when ``got`` matches ``expected`` (number, array or sequence), else why not."""
    exp_arr = np.asarray(expected, dtype=np.float64)
    got_arr, dtype, problem = _read_shaped(got, exp_arr.shape, lang=lang)
    if problem is not None:
        return problem
    bad = ~np.isclose(got_arr, exp_arr, rtol=rtol, atol=atol)
    if not bad.any():
        return None
    hint = _precision_hint(got_arr, exp_arr, dtype, lang=lang, rtol=rtol, atol=atol)
    if exp_arr.ndim == 0:
        return _text(lang, "wrong_scalar", expected=float(exp_arr), got=float(got_arr)) + hint
    # Name the worst entry, so the student knows where to look.
    err = np.where(bad, np.abs(got_arr - exp_arr), -1.0)
    index = np.unravel_index(int(np.argmax(err)), exp_arr.shape)
    index_text = index[0] if len(index) == 1 else tuple(int(i) for i in index)
    detail = _text(
        lang,
        "wrong_entry",
        index=index_text,
        expected=float(exp_arr[index]),
        got=float(got_arr[index]),
    )
    return detail + hint


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
        fail(lang, name, problem)
    passed(lang, name)


def _arity_problem(fn: Any, args: Sequence[Any], *, lang: str) -> str | None:
    """Why ``fn`` cannot take ``args`` by its signature, or None (also when it has none)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some built-ins and C functions have no signature
        return None
    try:
        signature.bind(*args)
    except TypeError as exc:
        fn_name = getattr(fn, "__name__", _type_name(fn))
        return _text(lang, "arity", n=len(args), name=fn_name, signature=signature, error=exc)
    return None


def check_callable(fn: Any, args: Sequence[Any], *, name: str, lang: str) -> None:
    """Fail unless ``fn`` is an answer that can be called with ``args``: not the unanswered
    placeholder, callable, and with a signature that takes them."""
    if fn is UNANSWERED:
        fail(lang, name, unanswered(lang))
    if not callable(fn):
        fail(lang, name, _text(lang, "not_callable", got=_type_name(fn)))
    arity = _arity_problem(fn, args, lang=lang)
    if arity is not None:
        fail(lang, name, arity)


def call_answer(
    fn: Any,
    args: Sequence[Any],
    *,
    name: str,
    lang: str,
    case: str,
    read_only: Mapping[int, str] | None = None,
) -> Any:
    """Call the student's function; turn a stub or a crash into a CheckFailed.

    ``read_only`` maps the positions of array arguments the function must not change to the
    names the student knows them by; changing one in place fails the case.
    """
    check_callable(fn, args, name=name, lang=lang)
    before = {i: np.array(args[i], copy=True) for i in (read_only or {})}
    try:
        got = fn(*args)
    except AnswerStub:
        fail(lang, name, unanswered(lang))
    except Exception as exc:  # the student's code may raise anything
        fail(lang, name, _text(lang, "raised", error=f"{type(exc).__name__}: {exc}"), case=case)
    for i, arg in (read_only or {}).items():
        if not np.array_equal(args[i], before[i]):
            fail(lang, name, _text(lang, "mutated", arg=arg), case=case)
    return got


def unpack(
    got: Any, names: Sequence[str], *, name: str, lang: str, case: str | None = None
) -> list[Any]:
    """The answer's parts, when it is a tuple or a list of ``len(names)`` values; otherwise fail
    the case, naming the parts that were expected."""
    n, listed = len(names), ", ".join(names)
    if not isinstance(got, tuple | list):
        detail = _text(lang, "not_parts", n=n, names=listed, got=_type_name(got))
        fail(lang, name, detail, case=case)
    if len(got) != n:
        fail(lang, name, _text(lang, "parts_len", n=n, names=listed, got=len(got)), case=case)
    return list(got)


def check_function(
    fn: Callable[..., Any],
    cases: Sequence[tuple[str, Sequence[Any], Any]],
    *,
    name: str,
    lang: str,
    rtol: float = 1e-5,
    atol: float = 1e-8,
) -> None:
    """Run ``fn(*args)`` for each ``(case, args, expected)`` and compare; ``case`` describes
    the inputs in ``lang``."""
    for case, args, expected in cases:
        got = call_answer(fn, args, name=name, lang=lang, case=case)
        problem = compare(got, expected, lang=lang, rtol=rtol, atol=atol)
        if problem is not None:
            fail(lang, name, problem, case=case)
    passed(lang, name)


def keras_model(
    fn: Callable[..., Any],
    x: Any,
    args: Sequence[Any],
    *,
    expected_shape: tuple[Any, ...],
    name: str,
    lang: str,
    case: str,
) -> Any:
    """``keras.Model(x, fn(x, *args))`` for an answer built with Keras's functional API, after
    checking that ``fn`` returned a layer's output of ``expected_shape``; else fail the case."""
    import keras

    y = call_answer(fn, (x, *args), name=name, lang=lang, case=case)
    if not isinstance(y, keras.KerasTensor):
        fail(lang, name, _text(lang, "not_keras_tensor", got=_type_name(y)), case=case)
    if tuple(y.shape) != tuple(expected_shape):
        detail = _text(lang, "out_shape", got=tuple(y.shape), expected=tuple(expected_shape))
        fail(lang, name, detail, case=case)
    try:
        return keras.Model(x, y)
    except Exception as exc:  # a student's graph may be broken in many ways
        detail = _text(lang, "keras_error", error=f"{type(exc).__name__}: {exc}")
        fail(lang, name, detail, case=case)


def run_model(model: Any, x: Any, *, name: str, lang: str, case: str, **kwargs: Any) -> Any:
    """``model(x, **kwargs)`` for a Keras model built from an answer, as a NumPy array; a crash
    in the answer's layers fails the case. Only the call is the answer's: converting its output
    is the checker's job, and an error there is not blamed on the student."""
    import keras

    try:
        out = model(x, **kwargs)
    except Exception as exc:  # the answer's layers may raise anything
        detail = _text(lang, "model_raised", error=f"{type(exc).__name__}: {exc}", shape=x.shape)
        fail(lang, name, detail, case=case)
    return keras.ops.convert_to_numpy(out)


def stub(lang: str = "en") -> NoReturn:
    """The placeholder a student notebook puts where a solution was."""
    raise AnswerStub(_text(lang, "write_here"))
