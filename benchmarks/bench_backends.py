"""Keras on JAX against Keras on TensorFlow: time per training step of chapter 11's SqueezeNet.

The same model (the codelab's SqueezeNet, 120,613 parameters, 192×192 photos, batch 64, Adam,
augmentation layers on) is trained on the same flower photos (``coursekit.data.flowers.load``) on
each backend, each in its own fresh Python process (Keras fixes its backend at import). TensorFlow
is timed twice: with oneDNN's kernels off (what the course sets by default, to keep TensorFlow's
start-up line out of the pages) and on. The backends run in turns, ``--rounds`` times, and the
script prints the median seconds per step and each one's ratio to TensorFlow with oneDNN on. Steps
of the first epoch (compilation) are not timed. A 35-epoch full run at batch 64 has 45 steps per
epoch, so seconds per epoch ≈ 45 × seconds per step.

    COURSE_DATA_DIR=<data> .venv/bin/python benchmarks/bench_backends.py [--steps 20] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

WORKER = r"""
import json, sys, time
from coursekit import hardware, squeezenet
from coursekit.data import flowers
hw = hardware.setup(verbose=False)
import keras
steps = int(sys.argv[1])
keras.utils.set_random_seed(0)
train, _ = flowers.load(192, batch_size=64, limit=64 * (steps + 1) + 200, seed=0)
model = squeezenet.codelab_squeezenet(192, 5, augment=True, seed=0)
model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train, epochs=1, steps_per_epoch=2, verbose=0)          # compile and warm up
start = time.perf_counter()
model.fit(train, epochs=1, steps_per_epoch=steps, verbose=0)
seconds = (time.perf_counter() - start) / steps
print("RESULT " + json.dumps({"backend": keras.backend.backend(), "keras": keras.__version__,
                               "seconds_per_step": seconds}))
"""

CONFIGS = {
    "tensorflow, oneDNN on": {"KERAS_BACKEND": "tensorflow", "TF_ENABLE_ONEDNN_OPTS": "1"},
    "tensorflow, oneDNN off": {"KERAS_BACKEND": "tensorflow", "TF_ENABLE_ONEDNN_OPTS": "0"},
    "jax": {"KERAS_BACKEND": "jax"},
}
REFERENCE = "tensorflow, oneDNN on"


def run(config: dict, steps: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "KERAS_BACKEND")}
    env |= {"TF_CPP_MIN_LOG_LEVEL": "2", **config}
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(steps)], env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"worker failed ({config}):\n{done.stderr[-2000:]}")
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per run")
    parser.add_argument("--rounds", type=int, default=3, help="runs of every backend, in turns")
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in CONFIGS}
    versions = {}
    for _ in range(args.rounds):
        for name, config in CONFIGS.items():
            result = run(config, args.steps)
            times[name].append(result["seconds_per_step"])
            versions[name] = result["keras"]
    reference = statistics.median(times[REFERENCE])
    print(
        f"SqueezeNet (120,613 parameters), 192x192, batch 64, Adam; {os.cpu_count()} CPU(s), "
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print(f"median of {args.rounds} runs of {args.steps} steps each, backends in turns")
    print(f"  {'backend':<26}{'s/step':>8}{'s/epoch (45 steps)':>20}{'ratio':>8}")
    for name in CONFIGS:
        median = statistics.median(times[name])
        print(f"  {name:<26}{median:>8.3f}{45 * median:>20.1f}{median / reference:>8.2f}")
    print(f"  (ratio: time per step divided by that of {REFERENCE}; Keras {versions[REFERENCE]})")


if __name__ == "__main__":
    main()
