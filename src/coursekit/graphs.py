"""Draw a Graphviz DOT graph in a notebook, or say clearly why it cannot be drawn.

``chhotograd.to_dot(tensor)`` returns the computation graph as DOT text. Turning that text into
a picture needs Graphviz's ``dot`` program: Google Colab has it, a fresh Linux or macOS machine
may not. :func:`show_dot` draws the picture when ``dot`` is there; without it, it prints a short
note in the notebook's language (what is missing, how to install it) followed by the DOT text
itself, and never raises. A ``dot`` that runs but cannot read the text raises
:class:`GraphvizError` with Graphviz's own message.
"""

from __future__ import annotations

import shutil
import subprocess

from .lang import Messages, check_lang

__all__ = [
    "FORMATS",
    "RANKDIRS",
    "GraphvizError",
    "missing_dot_note",
    "render_dot",
    "show_dot",
    "with_rankdir",
]

FORMATS = ("svg", "png")
RANKDIRS = ("TB", "LR", "BT", "RL")

_MESSAGES = {
    "en": {
        "missing": (
            "Note: the graph cannot be drawn here, because Graphviz's `dot` program is not "
            "installed. Install Graphviz to see the picture: `apt-get install graphviz` (Debian, "
            "Ubuntu), `brew install graphviz` (macOS), `conda install graphviz`, or "
            "https://graphviz.org/download/ ; Google Colab has it already. Then run this cell "
            "again. Meanwhile, here is the graph as DOT text (paste it into any Graphviz viewer):"
        ),
        "failed": "Graphviz's `dot` could not draw this graph (exit status {code}): {detail}",
        "timeout": "Graphviz's `dot` did not finish within {seconds:g} seconds.",
        "no_output": "no picture came out",
        "format": "fmt={fmt!r}: show_dot draws {formats}.",
        "rankdir": "rankdir={rankdir!r}: use one of {choices}.",
    },
    "bn": {
        "missing": (
            "দ্রষ্টব্য: গ্রাফটি এখানে আঁকা গেল না, কারণ Graphviz-এর `dot` প্রোগ্রামটি ইনস্টল করা "
            "নেই। ছবিটি দেখতে Graphviz ইনস্টল করুন: `apt-get install graphviz` (Debian, Ubuntu), "
            "`brew install graphviz` (macOS), `conda install graphviz`, অথবা "
            "https://graphviz.org/download/ ; Google Colab-এ এটি আগে থেকেই আছে। তারপর সেলটি আবার "
            "চালান। ততক্ষণ গ্রাফটি DOT লেখা হিসেবে দেওয়া হলো (যেকোনো Graphviz ভিউয়ারে বসিয়ে দেখতে "
            "পারেন):"
        ),
        "failed": "Graphviz-এর `dot` এই গ্রাফটি আঁকতে পারেনি (exit status {code}): {detail}",
        "timeout": "Graphviz-এর `dot` {seconds:g} সেকেন্ডের মধ্যে শেষ হয়নি।",
        "no_output": "কোনো ছবি তৈরি হয়নি",
        "format": "fmt={fmt!r}: show_dot আঁকতে পারে {formats}।",
        "rankdir": "rankdir={rankdir!r}: এগুলোর একটি দিন: {choices}।",
    },
}
_text = Messages(_MESSAGES)


class GraphvizError(RuntimeError):
    """Graphviz's ``dot`` ran but could not turn the DOT text into a picture."""


def _check(lang: str, fmt: str) -> None:
    check_lang(lang)
    if fmt not in FORMATS:
        raise ValueError(_text(lang, "format", fmt=fmt, formats=", ".join(FORMATS)))


def missing_dot_note(lang: str = "en") -> str:
    """The note shown instead of a picture when ``dot`` is not installed."""
    _check(lang, "svg")
    return _text(lang, "missing")


def render_dot(dot_text: str, fmt: str = "svg", *, lang: str = "en", timeout: float = 60) -> bytes:
    """Run ``dot -T<fmt>`` on ``dot_text`` and return the picture (SVG or PNG bytes).

    Raises FileNotFoundError when ``dot`` is not installed, and :class:`GraphvizError` (with
    Graphviz's message, in ``lang``) when ``dot`` fails, for example on malformed DOT text.
    """
    _check(lang, fmt)
    program = shutil.which("dot")
    if program is None:
        raise FileNotFoundError(missing_dot_note(lang))
    try:
        result = subprocess.run(
            [program, f"-T{fmt}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(_text(lang, "timeout", seconds=timeout)) from None
    if result.returncode != 0 or not result.stdout:
        detail = result.stderr.decode("utf-8", "replace").strip() or _text(lang, "no_output")
        raise GraphvizError(_text(lang, "failed", code=result.returncode, detail=detail))
    return result.stdout


def with_rankdir(dot_text: str, rankdir: str) -> str:
    """``dot_text`` with its layout direction set to ``rankdir`` ("TB" top to bottom, "LR" left
    to right, "BT", "RL"): a graph attribute added before the closing brace, where it overrides
    any earlier one."""
    if rankdir not in RANKDIRS:
        raise ValueError(_text("en", "rankdir", rankdir=rankdir, choices=", ".join(RANKDIRS)))
    head, brace, tail = dot_text.rpartition("}")
    if not brace:
        return dot_text  # not a graph: leave it for dot to report
    return f"{head}  rankdir={rankdir};\n{brace}{tail}"


def show_dot(dot_text: str, lang: str = "en", fmt: str = "svg", rankdir: str | None = None) -> None:
    """Display the graph described by ``dot_text`` in the notebook.

    With Graphviz's ``dot`` installed, the picture (SVG by default, or PNG) is displayed. Without
    it, a note in ``lang`` says what is missing and how to install it, and the DOT text is
    printed instead: a missing ``dot`` is never an error. Malformed DOT text raises
    :class:`GraphvizError`. ``rankdir="TB"`` lays a long chain out from top to bottom, which
    fits a narrow page better than left to right.
    """
    _check(lang, fmt)
    if rankdir is not None:
        if rankdir not in RANKDIRS:
            choices = ", ".join(RANKDIRS)
            raise ValueError(_text(lang, "rankdir", rankdir=rankdir, choices=choices))
        dot_text = with_rankdir(dot_text, rankdir)
    if shutil.which("dot") is None:
        print(missing_dot_note(lang))
        print()
        print(dot_text.rstrip("\n"))
        return
    picture = render_dot(dot_text, fmt, lang=lang)
    from IPython.display import SVG, Image, display

    display(SVG(data=picture) if fmt == "svg" else Image(data=picture, format="png"))
