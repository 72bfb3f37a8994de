"""Chapter 11's full run as a script, on Keras's JAX or TensorFlow backend.

It trains exactly the notebook's full-mode recipe (sections 11.5-11.7): the codelab's SqueezeNet
(120,613 parameters) with its augmentation layers inside the model (``augment=True``), all 3,670
flower photos at 192x192 pixels from ``flowers.load`` (734 for validation), 64 photos per replica
(``hw.global_batch_size``), the dtype policy ``hw.precision`` (mixed_bfloat16 on a TPU, else
float32), Adam with the chapter's exponentially decaying learning rate (0.01 in the first epoch,
times 0.8 per epoch towards 1e-5) through ``keras.callbacks.LearningRateScheduler``, accuracy
and cross-entropy as weighted metrics (the padding of the last validation batch counts for
nothing), 35 epochs, seed 0. The backend is the one ``hardware.setup`` picks: JAX where
TensorFlow is missing or a TPU is attached, else ``KERAS_BACKEND`` (TensorFlow when unset).

A full run prints and saves, after every epoch, the learning rate, the training and validation
accuracy and cross-entropy, the epoch's time and the elapsed time, to ``<out>.json`` and
``<out>.csv`` (rewritten atomically after every epoch, so a long run can be followed)::

    COURSE_DATA_DIR=<data folder> KERAS_BACKEND=jax \\
        .venv/bin/python benchmarks/full_runs/ch11_squeezenet.py --epochs 35
    COURSE_DATA_DIR=<data folder> KERAS_BACKEND=tensorflow TF_ENABLE_ONEDNN_OPTS=1 \\
        .venv/bin/python benchmarks/full_runs/ch11_squeezenet.py --epochs 35

``--steps N`` times N training steps instead (after two warm-up steps that compile the step) and
one pass over the validation photos, and prints one line ``RESULT {json}`` with the seconds per
training step and the estimated seconds per epoch (steps per epoch x seconds per step + the
validation pass). Run it once per backend, on the same machine, side by side, for a JAX/TF time
ratio::

    KERAS_BACKEND=jax .venv/bin/python benchmarks/full_runs/ch11_squeezenet.py --steps 20
    KERAS_BACKEND=tensorflow .venv/bin/python benchmarks/full_runs/ch11_squeezenet.py --steps 20

On a CPU, TF_ENABLE_ONEDNN_OPTS=1 (oneDNN's kernels) made a TensorFlow training step about 3x
faster in our measurement (chapter 11, section 11.8); the course leaves it off by default only to
keep TensorFlow's start-up line out of the pages.

Options that leave the recipe, for experiments (the log's ``meta.recipe`` says false):
``--limit`` uses only the first photos of the fixed shuffle (for trying the script quickly);
``--image-size``, ``--lr-max`` and ``--lr-decay`` change the photos' size and the schedule
(``--lr-decay 1`` keeps the rate constant). Section 11.7's comparison at 32x32 pixels is, for
example, ``--image-size 32 --lr-max 0.001 --lr-decay 1`` (the codelab's constant rate).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import sys
import time
from pathlib import Path

# The recipe: the notebook's full-mode settings (tests/test_squeezenet.py compares them with
# chapters/en/11-squeezenet.md).
IMAGE_SIZE, PER_REPLICA, EPOCHS, SEED = 192, 64, 35, 0
LR_MAX, LR_MIN, LR_DECAY = 0.01, 0.00001, 0.8


def lr_schedule(lr_max: float = LR_MAX, decay: float = LR_DECAY, lr_min: float = LR_MIN):
    """The chapter's schedule: exponential decay from lr_max towards lr_min, by ``decay`` per
    epoch (``decay=1`` keeps the rate at lr_max)."""

    def lr_fn(epoch: int) -> float:
        return lr_min + (lr_max - lr_min) * decay**epoch

    return lr_fn


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS, help="epochs to train (35)")
    parser.add_argument(
        "--steps",
        type=int,
        default=0,
        help="time this many training steps instead of training (for a JAX/TF time ratio)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="path of the logs without extension (default: ch11_squeezenet_<backend>)",
    )
    parser.add_argument(
        "--limit", type=int, default=None, help="use only the first LIMIT photos (for trying it)"
    )
    parser.add_argument(
        "--image-size",
        type=int,
        default=IMAGE_SIZE,
        help=f"pixels per side, a multiple of 16 ({IMAGE_SIZE}; other sizes leave the recipe)",
    )
    parser.add_argument(
        "--lr-max", type=float, default=LR_MAX, help=f"first epoch's learning rate ({LR_MAX})"
    )
    parser.add_argument(
        "--lr-decay",
        type=float,
        default=LR_DECAY,
        help=f"factor per epoch ({LR_DECAY}; 1 keeps the learning rate constant)",
    )
    parser.add_argument(
        "--cpu-devices",
        type=int,
        default=None,
        help="split a CPU into this many devices (data parallelism without an accelerator)",
    )
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.steps < 0:
        parser.error("--epochs must be at least 1 and --steps at least 0")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)

    import coursekit

    coursekit.silence_tensorflow()
    from coursekit import hardware

    hw = hardware.setup(lang="en", cpu_devices=args.cpu_devices)  # before `import keras`

    import keras

    from coursekit import squeezenet
    from coursekit.data import flowers
    from coursekit.files import write_atomic

    keras.mixed_precision.set_global_policy(hw.precision)
    batch = hw.global_batch_size(PER_REPLICA)
    size = args.image_size
    train_ds, val_ds = flowers.load(size, batch_size=batch, limit=args.limit, seed=SEED)
    keras.utils.set_random_seed(SEED)
    with hw.scope():
        model = squeezenet.codelab_squeezenet(
            size, len(flowers.CLASSES), bn_momentum=0.9, augment=True, seed=SEED
        )
        model.compile(
            optimizer="adam",
            loss="sparse_categorical_crossentropy",
            weighted_metrics=[
                "accuracy",
                keras.metrics.SparseCategoricalCrossentropy(name="cross_entropy"),
            ],
        )
    assert model.count_params() == squeezenet.CODELAB_PARAMS

    engine = sys.modules[keras.backend.backend()]
    meta = {
        "start": time.strftime("%Y-%m-%d %H:%M:%S"),
        "backend": hw.backend,
        "engine_version": engine.__version__,
        "keras": keras.__version__,
        "kind": hw.kind,
        "replicas": hw.replicas,
        "precision": hw.precision,
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS"),
        "image_size": size,
        "batch": batch,
        "train_photos": train_ds.num_examples,
        "val_photos": val_ds.num_examples,
        "steps_per_epoch": len(train_ds),
        "val_batches": len(val_ds),
        "schedule": f"{LR_MIN} + ({args.lr_max} - {LR_MIN}) * {args.lr_decay}**epoch",
        "recipe": (size, args.lr_max, args.lr_decay, args.limit, args.epochs)
        == (IMAGE_SIZE, LR_MAX, LR_DECAY, None, EPOCHS),
    }
    print(f"backend {hw.backend} {engine.__version__}, Keras {keras.__version__}", flush=True)
    print(json.dumps(meta), flush=True)

    if args.steps:
        time_steps(model, train_ds, val_ds, args.steps, meta)
        return

    out = Path(args.out or f"ch11_squeezenet_{hw.backend}")
    # Appended, not with_suffix: a name may hold dots (..._lr0.001_...).
    json_path, csv_path = (out.with_name(out.name + ext) for ext in (".json", ".csv"))
    start = time.perf_counter()
    rows: list[dict] = []

    class Log(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch_start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            now = time.perf_counter()
            row = {
                "epoch": epoch + 1,
                "epoch_s": round(now - self.epoch_start, 1),
                "wall_s": round(now - start, 1),
            }
            row.update({key: float(value) for key, value in (logs or {}).items()})
            rows.append(row)
            print(json.dumps(row), flush=True)
            write_atomic(json_path, json.dumps({"meta": meta, "epochs": rows}, indent=1))
            text = io.StringIO()
            writer = csv.DictWriter(text, fieldnames=list(rows[-1]))
            writer.writeheader()
            writer.writerows(rows)
            write_atomic(csv_path, text.getvalue())

    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=args.epochs,
        callbacks=[
            keras.callbacks.LearningRateScheduler(lr_schedule(args.lr_max, args.lr_decay)),
            Log(),
        ],
        shuffle=False,  # flowers.load() reshuffles the training photos every epoch itself
        verbose=0,
    )
    best = max(rows, key=lambda r: r["val_accuracy"])
    print(
        f"done {time.strftime('%Y-%m-%d %H:%M:%S')} on {hw.backend}: final val_accuracy "
        f"{rows[-1]['val_accuracy']:.4f}, best {best['val_accuracy']:.4f} (epoch "
        f"{best['epoch']}), wall {time.perf_counter() - start:.0f} s; logs in {json_path} and "
        f"{csv_path}",
        flush=True,
    )


def time_steps(model, train_ds, val_ds, steps: int, meta: dict) -> None:
    """Seconds per training step over ``steps`` steps after 2 warm-up steps, one validation pass."""
    warm_up = 2
    if steps + warm_up > len(train_ds):
        raise SystemExit(
            f"--steps {steps}: at most {len(train_ds) - warm_up} steps fit in one pass over the "
            "training photos."
        )
    model.fit(train_ds, epochs=1, steps_per_epoch=warm_up, shuffle=False, verbose=0)
    model.evaluate(val_ds, steps=1, verbose=0)  # compiles the validation step
    start = time.perf_counter()
    model.fit(train_ds, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    per_step = (time.perf_counter() - start) / steps
    start = time.perf_counter()
    model.evaluate(val_ds, verbose=0)
    validation = time.perf_counter() - start
    result = {
        "backend": meta["backend"],
        "keras": meta["keras"],
        "kind": meta["kind"],
        "replicas": meta["replicas"],
        "batch": meta["batch"],
        "steps_timed": steps,
        "seconds_per_step": round(per_step, 4),
        "validation_s": round(validation, 2),
        "epoch_s_estimate": round(per_step * len(train_ds) + validation, 1),
    }
    print("RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
