"""coursekit.distribute picks a working strategy on a CPU, never raises when a TPU connection
fails, and never waits longer than its bound, whatever the TPU attempt does.

Tests that start a real TPU connection point it at closed ports on the loopback interface
(127.0.0.1:1), and point the cloud metadata lookup there too, with proxies switched off, so
nothing outside this machine is contacted.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import time
import urllib.error

import pytest

tf = pytest.importorskip("tensorflow")

from coursekit import distribute  # noqa: E402

TPU_VARS = (
    "TPU_NAME",
    "COLAB_TPU_ADDR",
    "TPU_ACCELERATOR_TYPE",
    "KUBE_GOOGLE_CLOUD_TPU_ENDPOINTS",
    "TPU_CONFIG",
)
PROXY_VARS = ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "grpc_proxy", "ALL_PROXY")
HAS_GPU = bool(tf.config.list_physical_devices("GPU"))


@pytest.fixture
def offline_env(monkeypatch):
    """No TPU variables, no proxies, and the cloud metadata server 'found' on a closed port."""
    for var in TPU_VARS + PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:1")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:1")
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setattr(distribute, "_CONNECTED", {})
    return monkeypatch


@pytest.fixture
def no_device_files(monkeypatch):
    monkeypatch.setattr(distribute.glob, "glob", lambda pattern: [])


def fallback_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("No TPU used")]
    assert len(lines) == 1, text
    return lines[0]


class FakeStrategy:
    def __init__(self, replicas: int):
        self.num_replicas_in_sync = replicas


# Signs and targets --------------------------------------------------------------------------


def test_tpu_signs_come_from_variables_and_device_files(offline_env, no_device_files):
    assert distribute.tpu_signs() == []
    offline_env.setenv("TPU_NAME", "   ")  # blank: no sign
    assert distribute.tpu_signs() == []
    offline_env.setenv("TPU_NAME", "grpc://10.0.0.2:8470")
    offline_env.setenv("COLAB_TPU_ADDR", "10.0.0.2:8470")
    assert distribute.tpu_signs() == [
        "TPU_NAME=grpc://10.0.0.2:8470",
        "COLAB_TPU_ADDR=10.0.0.2:8470",
    ]


def test_accel_device_files_are_a_sign(offline_env, monkeypatch):
    monkeypatch.setattr(distribute.glob, "glob", lambda p: ["/dev/accel0"] if "accel" in p else [])
    assert distribute.tpu_signs() == ["/dev/accel0"]


def test_tpu_target_prefers_tpu_name_then_colab_address_then_local(offline_env):
    assert distribute._tpu_target() == "local"
    offline_env.setenv("COLAB_TPU_ADDR", "10.0.0.2:8470")
    assert distribute._tpu_target() == "grpc://10.0.0.2:8470"
    offline_env.setenv("TPU_NAME", "my-tpu")
    assert distribute._tpu_target() == "my-tpu"


# No TPU: the CPU -------------------------------------------------------------------------------


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")
def test_without_a_tpu_sign_the_default_strategy_is_used_and_nothing_is_tried(
    offline_env, no_device_files, capsys
):
    def must_not_probe(*args):
        raise AssertionError("a TPU was tried without any sign of one")

    offline_env.setattr(distribute, "_probe_tpu", must_not_probe)
    info = distribute.detect_strategy(timeout_s=1)
    assert info.kind == "cpu" and info.replicas == 1
    assert info.strategy is tf.distribute.get_strategy()
    out = capsys.readouterr().out
    assert out.strip() == info.description
    assert "CPU only" in out and "1 replica" in out


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")
def test_descriptions_speak_bengali_and_unknown_languages_are_refused(
    offline_env, no_device_files, capsys
):
    info = distribute.detect_strategy(lang="bn", verbose=False)
    assert "শুধু CPU" in info.description and capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="lang='fr'"):
        distribute.detect_strategy(lang="fr")


def test_tensorflow_info_lines_are_kept_out_of_notebooks(offline_env, no_device_files):
    # In Jupyter, TensorFlow sets its logger to INFO and prints "INFO:tensorflow:..." lines into
    # cell outputs; detect_strategy puts it back to WARNING, as in a script.
    logger = tf.get_logger()
    before = logger.level
    logger.setLevel("INFO")
    try:
        distribute.detect_strategy(verbose=False)
        assert logger.level == logging.WARNING
    finally:
        logger.setLevel(before)


def test_global_batch_size_is_per_replica_batch_times_replicas():
    info = distribute.StrategyInfo(FakeStrategy(8), "tpu", 8, "")
    assert info.global_batch_size(128) == 1024
    assert info.global_batch_size(16.0) == 128
    assert distribute.StrategyInfo(FakeStrategy(1), "cpu", 1, "").global_batch_size(64) == 64
    for bad in (0, -4, 2.5):
        with pytest.raises(ValueError, match="per_replica"):
            info.global_batch_size(bad)


# A TPU sign, but no TPU: real connection attempts against closed loopback ports ---------------


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU")
def test_unreachable_grpc_tpu_falls_back_within_the_bound(offline_env, no_device_files, capsys):
    # TPUClusterResolver.connect() hangs on this address (for minutes) instead of raising.
    offline_env.setenv("TPU_NAME", "grpc://127.0.0.1:1")
    bound = 6.0
    start = time.monotonic()
    info = distribute.detect_strategy(timeout_s=bound)
    elapsed = time.monotonic() - start
    assert info.kind == "cpu" and info.replicas == 1
    assert elapsed < bound + 5, f"took {elapsed:.1f} s for a {bound} s bound"
    line = fallback_line(capsys.readouterr().out)
    assert "tried grpc://127.0.0.1:1" in line and "TPU_NAME=grpc://127.0.0.1:1" in line


def test_refused_tpu_name_lookup_falls_back_with_the_os_error(offline_env, no_device_files, capsys):
    # A name that is not a gRPC address is looked up through the metadata server: here a closed
    # loopback port, so urllib raises URLError (an OSError), which `except ValueError` misses.
    offline_env.setenv("TPU_NAME", "http://127.0.0.1:1")
    info = distribute.detect_strategy(timeout_s=120)
    assert info.kind in ("cpu", "gpu")
    line = fallback_line(capsys.readouterr().out)
    assert "URLError" in line and "refused" in line


def test_local_tpu_without_chips_falls_back_with_the_tensorflow_error(offline_env, capsys):
    offline_env.setattr(distribute, "tpu_signs", lambda: ["/dev/accel0"])
    info = distribute.detect_strategy(timeout_s=120)
    assert info.kind in ("cpu", "gpu")
    line = fallback_line(capsys.readouterr().out)
    assert "tried local" in line and "NotFoundError" in line


# Hangs and errors, simulated -----------------------------------------------------------------


def test_hanging_probe_is_killed_at_the_bound(offline_env, tmp_path, capsys):
    pid_file = tmp_path / "pid"
    hang = textwrap.dedent(
        f"""
        import os, time
        open({str(pid_file)!r}, "w").write(str(os.getpid()))
        time.sleep(600)
        """
    )
    offline_env.setenv("TPU_NAME", "grpc://127.0.0.1:1")
    offline_env.setattr(distribute, "_probe_command", lambda target: [sys.executable, "-c", hang])
    start = time.monotonic()
    info = distribute.detect_strategy(timeout_s=2)
    elapsed = time.monotonic() - start
    assert info.kind in ("cpu", "gpu") and elapsed < 2 + 5
    assert "no answer within 2 s" in fallback_line(capsys.readouterr().out)
    pid = int(pid_file.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the hanging process is gone, not left behind


def test_probe_that_dies_without_an_answer_falls_back(offline_env, capsys):
    offline_env.setenv("TPU_NAME", "grpc://127.0.0.1:1")
    offline_env.setattr(
        distribute, "_probe_command", lambda t: [sys.executable, "-c", "raise SystemExit(3)"]
    )
    distribute.detect_strategy(timeout_s=30)
    assert "exited with status 3" in fallback_line(capsys.readouterr().out)


def test_hanging_connection_in_this_process_falls_back_within_the_bound(offline_env, capsys):
    offline_env.setenv("TPU_NAME", "grpc://127.0.0.1:1")
    offline_env.setattr(distribute, "_probe_tpu", lambda target, timeout_s: (8, None))
    offline_env.setattr(distribute, "_connect_in_process", lambda target: time.sleep(600))
    start = time.monotonic()
    info = distribute.detect_strategy(timeout_s=1)
    assert info.kind in ("cpu", "gpu") and time.monotonic() - start < 1 + 5
    assert "no answer within 1 s" in fallback_line(capsys.readouterr().out)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("Please provide a TPU Name to connect to."),
        OSError("network is unreachable"),
        urllib.error.URLError("[Errno 111] Connection refused"),
        RuntimeError("TPU cores on each device is not the same"),
        tf.errors.NotFoundError(None, None, "TPUs not found in the cluster"),
        tf.errors.UnavailableError(None, None, "failed to connect to all addresses"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_connection_errors_fall_back_with_one_line_naming_them(offline_env, error, capsys):
    def connect(target):
        raise error

    offline_env.setenv("TPU_NAME", "grpc://127.0.0.1:1")
    offline_env.setattr(distribute, "_probe_tpu", lambda target, timeout_s: (8, None))
    offline_env.setattr(distribute, "_connect_in_process", connect)
    info = distribute.detect_strategy(timeout_s=5, lang="bn")
    assert info.kind in ("cpu", "gpu")
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("TPU ব্যবহার হলো না")]
    assert len(lines) == 1 and type(error).__name__ in lines[0], out


# A TPU that answers, simulated; GPUs, simulated -------------------------------------------------


def test_a_tpu_that_answers_is_used_and_connected_only_once(offline_env, capsys):
    calls = []

    def connect(target):
        calls.append(target)
        return FakeStrategy(8)

    offline_env.setenv("COLAB_TPU_ADDR", "127.0.0.1:1")
    offline_env.setattr(distribute, "_probe_tpu", lambda target, timeout_s: (8, None))
    offline_env.setattr(distribute, "_connect_in_process", connect)
    info = distribute.detect_strategy()
    assert (info.kind, info.replicas, info.global_batch_size(16)) == ("tpu", 8, 128)
    assert "TPU with 8 cores (grpc://127.0.0.1:1)" in capsys.readouterr().out
    again = distribute.detect_strategy(verbose=False)
    assert again.strategy is info.strategy and calls == ["grpc://127.0.0.1:1"]


def test_gpus_get_a_mirrored_strategy(offline_env, no_device_files, monkeypatch, capsys):
    fake_gpus = ["GPU:0", "GPU:1"]
    real_list = tf.config.list_physical_devices
    monkeypatch.setattr(
        tf.config,
        "list_physical_devices",
        lambda kind=None: fake_gpus if kind == "GPU" else real_list(kind),
    )
    monkeypatch.setattr(tf.distribute, "MirroredStrategy", lambda: FakeStrategy(2))
    info = distribute.detect_strategy()
    assert (info.kind, info.replicas) == ("gpu", 2)
    assert "2 GPU(s); MirroredStrategy, 2 replica(s)" in capsys.readouterr().out

    def broken():
        raise RuntimeError("driver too old")

    monkeypatch.setattr(tf.distribute, "MirroredStrategy", broken)
    info = distribute.detect_strategy()
    assert info.kind == "cpu" and "driver too old" in capsys.readouterr().out


# Logical CPUs ---------------------------------------------------------------------------------


def test_logical_cpus_split_before_the_runtime_starts_and_change_nothing_after():
    # In a fresh process: splitting the CPU changes TensorFlow for the whole process.
    code = textwrap.dedent(
        """
        from coursekit.distribute import logical_cpus
        first = logical_cpus(2)
        import tensorflow as tf
        tf.constant(1.0) + 1.0          # the runtime starts here
        print(len(first), len(logical_cpus(3)))
        """
    )
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_ENABLE_ONEDNN_OPTS="0")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["2", "2"]
