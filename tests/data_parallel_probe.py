"""Run by tests/test_data_parallel.py in a fresh process (JAX must start with 8 CPU devices).

Prints one JSON line: the hardware chosen, the devices each part of a batch went to inside the
compiled training step, whether the variables are replicated, and the largest difference between
the weights after one SGD step over 8 devices and after the same step on one device.
"""

import json
import os

import numpy as np

from coursekit import hardware

hw = hardware.setup(lang="en", cpu_devices=8, verbose=False)

import jax  # noqa: E402
import keras  # noqa: E402

GLOBAL_BATCH = 64
seen_shardings = []


class RecordSharding(keras.layers.Layer):
    """Passes its input through; records how the batch is laid out over the devices."""

    def call(self, x):
        jax.debug.inspect_array_sharding(x, callback=seen_shardings.append)
        return x


def one_step(context):
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(GLOBAL_BATCH, 12)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("int32")
    with context:
        model = keras.Sequential(
            [
                keras.Input((12,)),
                RecordSharding(),
                keras.layers.Dense(32, activation="relu"),
                keras.layers.Dense(2, activation="softmax"),
            ]
        )
        model.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0)
    weights = [np.asarray(keras.ops.convert_to_numpy(w)) for w in model.weights]
    replicated = all(
        len(v.value.sharding.device_set) == hw.replicas and v.value.sharding.is_fully_replicated
        for v in model.weights
    )
    return weights, replicated


if os.environ.get("BREAK_REPLICAS") == "1":
    # Deliberately wrong: report 8 replicas but train on one device.
    keras.distribution.set_distribution(None)

spread, replicated = one_step(hw.scope())
spread_layout = seen_shardings[-1]
with hw.single_device():
    alone, _ = one_step(hw.scope())
alone_layout = seen_shardings[-1]

shard_rows = sorted(
    {
        int(idx[0].stop or GLOBAL_BATCH) - int(idx[0].start or 0)
        for idx in spread_layout.devices_indices_map((GLOBAL_BATCH, 12)).values()
    }
)
print(
    json.dumps(
        {
            "backend": hw.backend,
            "replicas": hw.replicas,
            "devices": len(jax.devices()),
            "batch_devices": len(spread_layout.device_set),
            "rows_per_device": shard_rows,
            "one_device_batch_devices": len(alone_layout.device_set),
            "variables_replicated": replicated,
            "max_weight_difference": max(
                float(np.abs(a - b).max()) for a, b in zip(spread, alone, strict=True)
            ),
            "weights_changed": max(float(np.abs(a).max()) for a in spread) > 0,
        }
    )
)
