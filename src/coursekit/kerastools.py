"""Helpers for the Keras chapters (10-12): reading a training history.

``print_history(fit, lang="bn")`` prints one line per epoch of what ``model.fit`` recorded, with
the names in the page's language::

    epoch  1: learning rate 1.0e-02, loss 1.432, accuracy 0.381   validation: loss 1.290, ...

Known columns come in a fixed order (learning rate, loss, accuracy, cross-entropy; then the same
on the validation data); a metric it does not know is printed under its Keras name. ``columns``
picks some of the history's columns, printed in the order given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .lang import Messages

_MESSAGES = {
    "en": {
        "epoch": "epoch",
        "validation": "validation",
        "learning_rate": "learning rate",
        "loss": "loss",
        "accuracy": "accuracy",
        "cross_entropy": "cross-entropy",
        "empty": "the history is empty: model.fit recorded no epoch (epochs=0?).",
        "uneven": "the history's columns have different lengths: {lengths}.",
        "not_history": "expected what model.fit returns (or its .history dict), got {got}.",
        "no_column": "the history has no column {name!r}; it has {have}.",
    },
    "bn": {
        "epoch": "এপক",
        "validation": "ভ্যালিডেশন",
        "learning_rate": "লার্নিং রেট",
        "loss": "লস",
        "accuracy": "অ্যাকুরেসি",
        "cross_entropy": "ক্রস-এনট্রপি",
        "empty": "হিস্টরি খালি: model.fit কোনো এপক রেকর্ড করেনি (epochs=0?)।",
        "uneven": "হিস্টরির কলামগুলোর দৈর্ঘ্য আলাদা: {lengths}।",
        "not_history": "model.fit যা ফেরত দেয় (বা তার .history ডিকশনারি) আশা করা হয়েছিল, পাওয়া গেছে {got}।",  # noqa: E501
        "no_column": "হিস্টরিতে {name!r} নামে কোনো কলাম নেই; আছে {have}।",
    },
}
_text = Messages(_MESSAGES)

# Column name -> number format, in the order they are printed.
_FORMATS = {"learning_rate": ".1e", "loss": ".3f", "accuracy": ".3f", "cross_entropy": ".3f"}


def _columns(
    history: Mapping[str, Sequence[float]], columns: Sequence[str] | None, lang: str
) -> tuple[list[str], list[str]]:
    """The training and the validation columns to print, validation ones without ``val_``."""

    def order(name: str) -> tuple[int, str]:
        return (list(_FORMATS).index(name) if name in _FORMATS else len(_FORMATS), name)

    if columns is None:
        columns = sorted((k for k in history if not k.startswith("val_")), key=order)
        columns += sorted((k for k in history if k.startswith("val_")), key=lambda k: order(k[4:]))
    for name in columns:
        if name not in history:
            raise ValueError(_text(lang, "no_column", name=name, have=sorted(history)))
    train = [k for k in columns if not k.startswith("val_")]
    val = [k[4:] for k in columns if k.startswith("val_")]
    return train, val


def _cell(name: str, value: float, lang: str) -> str:
    label = _text(lang, name) if name in _FORMATS else name
    return f"{label} {value:{_FORMATS.get(name, '.4g')}}"


def history_lines(fit: Any, lang: str = "en", columns: Sequence[str] | None = None) -> list[str]:
    """The lines :func:`print_history` prints, one per epoch."""
    history = getattr(fit, "history", fit)
    if not isinstance(history, Mapping):
        raise TypeError(_text(lang, "not_history", got=type(fit).__name__))
    lengths = {name: len(values) for name, values in history.items()}
    if not lengths or max(lengths.values()) == 0:
        raise ValueError(_text(lang, "empty"))
    if len(set(lengths.values())) > 1:
        raise ValueError(_text(lang, "uneven", lengths=lengths))
    train, val = _columns(history, columns, lang)
    lines = []
    for e in range(next(iter(lengths.values()))):
        line = f"{_text(lang, 'epoch')} {e + 1:2d}: "
        line += ", ".join(_cell(name, history[name][e], lang) for name in train)
        if val:
            line += f"   {_text(lang, 'validation')}: "
            line += ", ".join(_cell(name, history[f"val_{name}"][e], lang) for name in val)
        lines.append(line)
    return lines


def print_history(fit: Any, lang: str = "en", columns: Sequence[str] | None = None) -> None:
    """Print one line per epoch of ``fit`` (what ``model.fit`` returns, or its ``.history``)."""
    for line in history_lines(fit, lang, columns):
        print(line)
