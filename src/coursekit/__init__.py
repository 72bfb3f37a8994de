"""coursekit: the helpers every chapter of the course shares.

A chapter's first code cell calls :func:`start`, which prints the run mode, prepares matplotlib
for Bengali and Latin text, and quiets TensorFlow's start-up log. ARCHITECTURE.md in the
repository lists the modules: what notebooks import (here), the exercise checks
(``coursekit.checks``, ``coursekit.exercises``) and the tools that build the book
(``coursekit.authoring``, which no notebook imports).
"""

from __future__ import annotations

from .lang import LANGS, Messages, check_lang
from .mode import ModeError, detect_accelerator, is_quick, run_mode
from .plotting import setup_plotting
from .quiet import silence_tensorflow

__all__ = [
    "LANGS",
    "ModeError",
    "check_lang",
    "detect_accelerator",
    "is_quick",
    "run_mode",
    "setup_plotting",
    "silence_tensorflow",
    "start",
]

_MODE_MESSAGES = {
    "en": {
        "quick": "Run mode: quick (small data, few steps; minutes on a CPU).",
        "full": "Run mode: full (the whole experiment; best with a GPU or TPU).",
        "how": (
            "To switch, set COURSE_MODE to 'quick' or 'full' and run again;\n"
            "in Colab: import os; os.environ['COURSE_MODE'] = 'full'"
        ),
    },
    "bn": {
        "quick": "চালানোর মোড: quick (ছোট ডেটা, অল্প কয়েকটি ধাপ; CPU-তে কয়েক মিনিট)।",
        "full": "চালানোর মোড: full (পুরো পরীক্ষা; GPU বা TPU থাকলে ভালো)।",
        "how": (
            "মোড বদলাতে COURSE_MODE-এ 'quick' বা 'full' দিয়ে আবার চালান;\n"
            "Colab-এ: import os; os.environ['COURSE_MODE'] = 'full'"
        ),
    },
}
_MODE_TEXT = Messages(_MODE_MESSAGES)


def start(lang: str = "en") -> str:
    """Prepare a notebook: quiet TensorFlow, set up figures, print and return the run mode."""
    check_lang(lang)
    silence_tensorflow()
    mode = run_mode()
    setup_plotting()
    print(_MODE_TEXT(lang, mode))
    print(_MODE_TEXT(lang, "how"))
    return mode
