"""Chapter 11's full run as a script: the codelab's SqueezeNet on all 3,670 flower photos at
192x192, with augmentation, batch 64 per replica, Adam, 35 epochs.

The model, the data and the training are those of the notebook's full mode (sections 11.5-11.7,
through `coursekit.flowers` and `coursekit.squeezenet`); the script adds only a callback that
prints and saves the accuracies and the elapsed time after every epoch, so a long run can be
followed and its numbers quoted. Usage:

    COURSE_DATA_DIR=<data folder> TF_ENABLE_ONEDNN_OPTS=1 \
        .venv/bin/python benchmarks/full_runs/ch11_squeezenet.py [log.json]

On a CPU, TF_ENABLE_ONEDNN_OPTS=1 (oneDNN's kernels) made a training step about 3x faster in our
measurement; the course leaves it off by default only to keep TensorFlow's start-up line out of
the pages.
"""

import json
import os
import platform
import sys
import time
from pathlib import Path

import coursekit

coursekit.silence_tensorflow()

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from coursekit import flowers, squeezenet  # noqa: E402
from coursekit.book import write_atomic  # noqa: E402
from coursekit.distribute import detect_strategy  # noqa: E402

EPOCHS, IMAGE_SIZE, PER_REPLICA, SEED = 35, 192, 64, 0


def main() -> None:
    log_path = Path(sys.argv[1] if len(sys.argv) > 1 else "squeezenet_full_run.json")
    info = detect_strategy(lang="en")
    batch = info.global_batch_size(PER_REPLICA)
    train_ds, val_ds = flowers.load(
        IMAGE_SIZE, batch_size=batch, augment=squeezenet.augment, seed=SEED
    )
    keras.utils.set_random_seed(SEED)
    with info.strategy.scope():
        model = squeezenet.codelab_squeezenet(IMAGE_SIZE, len(flowers.CLASSES), bn_momentum=0.9)
        model.compile(
            optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"]
        )
    assert model.count_params() == squeezenet.CODELAB_PARAMS
    print(
        f"start {time.strftime('%Y-%m-%d %H:%M:%S')}, TF {tf.__version__}, Keras "
        f"{keras.__version__}, {platform.processor() or platform.machine()}, cpus "
        f"{os.cpu_count()}, oneDNN {os.environ.get('TF_ENABLE_ONEDNN_OPTS')}, batch {batch}, "
        f"train batches {len(train_ds)}, val batches {len(val_ds)}",
        flush=True,
    )
    start = time.perf_counter()
    rows: list[dict] = []

    class Log(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            row = {"epoch": epoch + 1, "wall_s": round(time.perf_counter() - start, 1)}
            row.update({key: float(value) for key, value in (logs or {}).items()})
            rows.append(row)
            print(json.dumps(row), flush=True)
            write_atomic(log_path, json.dumps(rows, indent=1))

    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=EPOCHS,
        shuffle=False,
        verbose=0,
        callbacks=[Log()],
    )
    best = max(rows, key=lambda r: r["val_accuracy"])
    print(
        f"done {time.strftime('%Y-%m-%d %H:%M:%S')}: final val_accuracy "
        f"{rows[-1]['val_accuracy']:.4f}, best {best['val_accuracy']:.4f} (epoch "
        f"{best['epoch']}), wall {time.perf_counter() - start:.0f} s",
        flush=True,
    )


if __name__ == "__main__":
    main()
