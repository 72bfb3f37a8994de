"""TensorFlow start-up noise.

TensorFlow prints oneDNN and CUDA lines into notebook output unless these variables are set
before it is imported. ``silence_tensorflow()`` sets them (without overriding a value the user
chose) and is called by ``coursekit.start``.
"""

from __future__ import annotations

import os
import sys
import warnings

TF_QUIET_ENV = {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}


def silence_tensorflow() -> None:
    for key, value in TF_QUIET_ENV.items():
        os.environ.setdefault(key, value)
    if "tensorflow" in sys.modules:
        warnings.warn(
            "TensorFlow was imported before coursekit.start(); its start-up log lines cannot be "
            "silenced any more. Run the notebook's first cell before importing TensorFlow.",
            stacklevel=2,
        )
