"""The run mode: ``quick`` (small data, minutes on a laptop CPU) or ``full`` (the real experiment).

The mode comes from the environment variable ``COURSE_MODE``. Without it, the course runs in
``full`` mode where an accelerator is present (a CUDA GPU, an Apple-silicon GPU or a TPU) and in
``quick`` mode elsewhere, which is what a student opening a notebook expects.
"""

from __future__ import annotations

import glob
import os
import platform
import sys

MODES = ("quick", "full")
ENV_VAR = "COURSE_MODE"


class ModeError(ValueError):
    """COURSE_MODE holds something other than 'quick' or 'full'."""


def detect_accelerator() -> str | None:
    """Name the accelerator this machine has ('tpu', 'cuda', 'mps'), or None.

    Looks only at device files and environment variables, so it costs nothing and imports no
    framework.
    """
    if os.environ.get("COLAB_TPU_ADDR") or os.environ.get("TPU_NAME") or glob.glob("/dev/accel*"):
        return "tpu"
    if glob.glob("/dev/nvidia[0-9]*"):
        return "cuda"
    if sys.platform == "darwin" and platform.machine() == "arm64":
        return "mps"
    return None


def run_mode() -> str:
    """Return 'quick' or 'full'; raise ModeError naming the bad value and the two good ones."""
    value = os.environ.get(ENV_VAR)
    if value is None or value.strip() == "":
        return "full" if detect_accelerator() else "quick"
    mode = value.strip().lower()
    if mode not in MODES:
        raise ModeError(
            f"{ENV_VAR}={value!r} is not a run mode. Use {ENV_VAR}=quick (small data, minutes on "
            f"a CPU) or {ENV_VAR}=full (the real experiment), or leave it unset."
        )
    return mode


def is_quick() -> bool:
    return run_mode() == "quick"
