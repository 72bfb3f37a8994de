"""TensorFlow start-up noise.

TensorFlow's C++ side logs lines into notebook output (CUDA plugins, XLA, ...) unless
``TF_CPP_MIN_LOG_LEVEL`` is set before it is imported; ``silence_tensorflow()`` sets it (without
overriding a value the user chose) and is called by ``coursekit.start``.

One line escapes that variable: "oneDNN custom operations are on ...", written to the process's
standard error while TensorFlow loads, before its logging is set up. oneDNN's CPU kernels make
training about three times faster (``benchmarks/README.md``), so the course keeps them on and
imports TensorFlow through :func:`import_tensorflow`, which drops that line (and only lines
known to be start-up noise) from what the import writes.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import warnings

TF_QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2"}

# What TensorFlow writes to file descriptor 2 while it loads, whatever TF_CPP_MIN_LOG_LEVEL says.
START_UP_NOISE = re.compile(
    r"oneDNN custom operations are on|All log messages before absl::InitializeLog"
)


def silence_tensorflow() -> None:
    for key, value in TF_QUIET_ENV.items():
        os.environ.setdefault(key, value)
    if "tensorflow" in sys.modules:
        warnings.warn(
            "TensorFlow was imported before coursekit.start(); its start-up log lines cannot be "
            "silenced any more. Run the notebook's first cell before importing TensorFlow.",
            stacklevel=2,
        )


def import_tensorflow():
    """``import tensorflow``, without the start-up lines that TF_CPP_MIN_LOG_LEVEL cannot stop.

    While TensorFlow loads, the process's standard error (file descriptor 2, which Jupyter shows
    in the cell) goes to a temporary file; afterwards every line of it that is not in
    :data:`START_UP_NOISE` is written to ``sys.stderr``, so a real warning or error is still
    seen, also when the import fails. Importing a second time does nothing.
    """
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    sys.stderr.flush()
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            import tensorflow as tf
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            kept = [s for s in text.splitlines() if s.strip() and not START_UP_NOISE.search(s)]
            if kept:
                print("\n".join(kept), file=sys.stderr)
    return tf
