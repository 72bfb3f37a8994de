"""Part IV on two Keras backends: how the backend is chosen, data parallelism over 8 devices
(a TPU v2-8's shape, emulated on the CPU), and the same SqueezeNet on JAX and TensorFlow.

The 8-device checks run in a fresh Python process, because JAX fixes its number of CPU devices
when it starts (``XLA_FLAGS=--xla_force_host_platform_device_count=8``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from coursekit import hardware

HERE = Path(__file__).resolve().parent
PROBE = HERE / "data_parallel_probe.py"
TOLERANCE = 1e-6  # float32: the all-reduce adds the same numbers in another order


def run_python(code_or_file, *, backend: str, extra_env: dict | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "KERAS_BACKEND")}
    env |= {"KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    args = [str(code_or_file)] if isinstance(code_or_file, Path) else ["-c", code_or_file]
    done = subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def probe(**extra_env) -> dict:
    lines = run_python(PROBE, backend="jax", extra_env=extra_env).strip().splitlines()
    return json.loads(lines[-1])


def problems(result: dict) -> list[str]:
    """What is wrong with a probe's result for data parallelism over 8 devices (empty: nothing)."""
    found = []
    if result["replicas"] != 8 or result["devices"] != 8:
        found.append(f"{result['replicas']} replicas reported, {result['devices']} devices seen")
    if result["batch_devices"] != result["replicas"]:
        found.append(
            f"the training step saw the batch on {result['batch_devices']} device(s), "
            f"not on all {result['replicas']} replicas"
        )
    if result["rows_per_device"] != [64 // 8]:
        found.append(f"rows per device {result['rows_per_device']}, expected [8]")
    if not result["variables_replicated"]:
        found.append("the variables are not replicated on every device")
    if result["one_device_batch_devices"] != 1:
        found.append("the one-device comparison ran on several devices")
    if not result["weights_changed"] or result["max_weight_difference"] > TOLERANCE:
        found.append(
            f"8 devices and 1 device disagree by {result['max_weight_difference']:.3g} "
            f"(tolerance {TOLERANCE:g})"
        )
    return found


@pytest.fixture(scope="module")
def eight_devices() -> dict:
    return probe()


def test_a_batch_is_split_over_all_eight_devices(eight_devices):
    assert eight_devices["backend"] == "jax"
    assert eight_devices["batch_devices"] == 8 and eight_devices["rows_per_device"] == [8]
    assert eight_devices["variables_replicated"]


def test_one_step_on_eight_devices_equals_one_step_on_one(eight_devices):
    assert problems(eight_devices) == []
    assert eight_devices["max_weight_difference"] <= TOLERANCE


def test_training_on_one_device_while_reporting_eight_is_caught():
    broken = probe(BREAK_REPLICAS="1")
    assert broken["replicas"] == 8  # what is reported ...
    found = problems(broken)  # ... is not what happened, and the checks say so
    assert any("saw the batch on 1 device" in p for p in found), found


@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_squeezenet_has_the_codelabs_parameter_count_on_both_backends(backend):
    code = (
        "from coursekit import hardware, squeezenet\n"
        "hw = hardware.setup(verbose=False)\n"
        "import keras\n"
        "m = squeezenet.codelab_squeezenet(192, 5, augment=True)\n"
        "print(keras.backend.backend(), m.count_params())\n"
    )
    assert run_python(code, backend=backend).split() == [backend, "120613"]


# --- choosing the backend ------------------------------------------------------------------------


@pytest.fixture
def fresh(monkeypatch):
    """No Keras imported yet, no TPU, TensorFlow and JAX both installed; KERAS_BACKEND unset."""
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    monkeypatch.delenv("KERAS_BACKEND", raising=False)
    monkeypatch.setattr(hardware, "tpu_signs", lambda: [])
    monkeypatch.setattr(hardware, "_installed", lambda module: True)
    return monkeypatch


def test_without_tensorflow_the_backend_is_jax(fresh):
    fresh.setattr(hardware, "_installed", lambda module: module != "tensorflow")
    fresh.setenv("KERAS_BACKEND", "tensorflow")
    backend, line = hardware.choose_backend("en", verbose=False)
    assert backend == "jax" == os.environ["KERAS_BACKEND"] and "not installed" in line


def test_with_a_tpu_the_backend_is_jax(fresh):
    fresh.setattr(hardware, "tpu_signs", lambda: ["/dev/accel0"])
    fresh.setenv("KERAS_BACKEND", "tensorflow")
    backend, line = hardware.choose_backend("bn", verbose=False)
    assert backend == "jax" and "TPU" in line


@pytest.mark.parametrize(
    "value, expected", [("", "tensorflow"), ("jax", "jax"), ("TensorFlow", "tensorflow")]
)
def test_otherwise_the_environment_decides(fresh, value, expected):
    fresh.setenv("KERAS_BACKEND", value)
    assert hardware.choose_backend("en", verbose=False)[0] == expected


def test_an_unsupported_backend_is_refused_with_the_fix(fresh):
    fresh.setenv("KERAS_BACKEND", "torch")
    with pytest.raises(ValueError, match="jax or tensorflow"):
        hardware.choose_backend("en", verbose=False)


def test_no_backend_installed_says_what_to_install(fresh):
    fresh.setattr(hardware, "_installed", lambda module: False)
    with pytest.raises(ValueError, match="pip install jax"):
        hardware.choose_backend("en", verbose=False)


def test_keras_already_imported_keeps_its_backend_and_says_so(fresh):
    fake = types.SimpleNamespace(backend=types.SimpleNamespace(backend=lambda: "jax"))
    fresh.setitem(sys.modules, "keras", fake)
    fresh.setenv("KERAS_BACKEND", "tensorflow")
    backend, line = hardware.choose_backend("en", verbose=False)
    assert backend == "jax" and "restart" in line


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_bad_per_replica_and_cpu_devices_are_refused(bad):
    hw = hardware.Hardware(backend="jax", kind="cpu", replicas=8, devices=("cpu:0",) * 8)
    assert hw.global_batch_size(16) == 128
    with pytest.raises(ValueError, match="positive whole number"):
        hw.global_batch_size(bad)
    with pytest.raises(ValueError, match="positive whole number"):
        hardware.setup(cpu_devices=bad, verbose=False)


def test_an_unknown_language_is_refused_before_anything_happens():
    with pytest.raises(ValueError, match="lang"):
        hardware.setup(lang="fr")
