"""Choose a TensorFlow distribution strategy that works on a TPU, on GPUs and on a bare CPU.

Chapters that train with Keras start with::

    from coursekit.distribute import detect_strategy

    info = detect_strategy(lang="en")          # prints which hardware it chose
    with info.strategy.scope():
        model = ...                            # build and compile the model here
    BATCH_SIZE = info.global_batch_size(64)    # 64 examples per replica

The order is: a TPU when there is one, else every visible GPU, else the default strategy.

**A TPU is tried only when there is a sign of one** (see :func:`tpu_signs`): the variables
``TPU_NAME``, ``COLAB_TPU_ADDR`` or ``TPU_ACCELERATOR_TYPE``, TPU device files (``/dev/accel*``,
or ``/dev/vfio/<n>`` where the ``libtpu`` package is installed). Without a sign nothing is
contacted and nothing waits.

**The TPU attempt is bounded in time and never raises.** Connecting can fail in several ways:
``ValueError`` when no TPU name is known, ``OSError`` (urllib's ``URLError``) when the name has to
be looked up and the lookup fails, ``tf.errors.NotFoundError`` when no TPU answers, and it can
hang for minutes on an unreachable gRPC address. A connection that hangs inside this process
leaves TensorFlow's runtime locked (later TensorFlow calls block too), so the first attempt runs
in a separate Python process that is killed after ``timeout_s`` seconds. Only when that probe
reports TPU cores does this process connect, again in a worker thread bounded by ``timeout_s``.
Any failure prints one line saying what was tried and why, and detection goes on with GPUs.
The probe costs one extra TensorFlow start-up (seconds), and only where a TPU sign exists.

**GPUs**: one or more GPUs get ``tf.distribute.MirroredStrategy`` over all of them. With one GPU
this is a single replica; it is used there too so that the code path is the same on one and on
several GPUs (``OneDeviceStrategy`` would work as well).

**CPU**: the default strategy, ``tf.distribute.get_strategy()``, with one replica.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from .files import call_with_timeout
from .lang import Messages

__all__ = ["StrategyInfo", "detect_strategy", "logical_cpus", "tpu_signs"]

DEFAULT_TIMEOUT_S = 60.0

_MESSAGES = {
    "en": {
        "tpu": "Hardware: TPU with {n} cores ({target}); TPUStrategy, {n} replicas.",
        "gpu": "Hardware: {n} GPU(s); MirroredStrategy, {n} replica(s).",
        "cpu": "Hardware: CPU only (no TPU, no GPU found); default strategy, 1 replica.",
        "fallback": "No TPU used: tried {target} (sign: {signs}), but {reason}; falling back.",
        "timeout": "it gave no answer within {t:g} s (pass a larger timeout_s to wait longer)",
        "error": "it failed with {error}",
        "no_cores": "it answered without any TPU cores",
        "gpu_failed": "MirroredStrategy over {n} GPU(s) failed with {error}; using the default.",
    },
    "bn": {
        "tpu": "হার্ডওয়্যার: TPU, {n}টি কোর ({target}); TPUStrategy, {n}টি রেপ্লিকা।",
        "gpu": "হার্ডওয়্যার: {n}টি GPU; MirroredStrategy, {n}টি রেপ্লিকা।",
        "cpu": "হার্ডওয়্যার: শুধু CPU (TPU বা GPU পাওয়া যায়নি); ডিফল্ট স্ট্র্যাটেজি, 1টি রেপ্লিকা।",
        "fallback": "TPU ব্যবহার হলো না: {target} চেষ্টা করা হয়েছিল (চিহ্ন: {signs}), কিন্তু {reason}; তাই পরের বিকল্প দেখা হচ্ছে।",  # noqa: E501
        "timeout": "{t:g} সেকেন্ডের মধ্যে কোনো উত্তর আসেনি (বেশি অপেক্ষা করতে timeout_s বাড়ান)",
        "error": "এটি {error} তুলেছে",
        "no_cores": "উত্তর এসেছে, কিন্তু কোনো TPU কোর নেই",
        "gpu_failed": "{n}টি GPU-তে MirroredStrategy ব্যর্থ হয়েছে ({error}); ডিফল্ট স্ট্র্যাটেজি নেওয়া হলো।",  # noqa: E501
    },
}
_text = Messages(_MESSAGES)

# The probe that runs in a child process: connect, count the TPU cores, print one JSON line.
_PROBE_MARK = "COURSEKIT_TPU_PROBE "
_PROBE_CODE = f"""
import json, os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
try:
    import tensorflow as tf
    tf.distribute.cluster_resolver.TPUClusterResolver.connect(tpu=sys.argv[1])
    result = {{"cores": len(tf.config.list_logical_devices("TPU"))}}
except Exception as exc:
    result = {{"error": type(exc).__name__ + ": " + str(exc).strip().splitlines()[0][:200]
              if str(exc).strip() else type(exc).__name__}}
print({_PROBE_MARK!r} + json.dumps(result), flush=True)
"""

# A TPU this process has already connected to, by address: connecting twice would reset it.
_CONNECTED: dict[str, Any] = {}


@dataclass(frozen=True)
class StrategyInfo:
    """What :func:`detect_strategy` chose.

    ``strategy`` is the ``tf.distribute.Strategy``; ``kind`` is ``"tpu"``, ``"gpu"`` or ``"cpu"``;
    ``replicas`` is ``strategy.num_replicas_in_sync`` (TPU cores, GPUs, or 1); ``description`` is
    the line that was printed, in the language asked for.
    """

    strategy: Any
    kind: str
    replicas: int
    description: str

    def global_batch_size(self, per_replica: int) -> int:
        """The batch size to give Keras or tf.data: ``per_replica`` examples on every replica.

        Keras splits each global batch evenly across the replicas, so a model that should see
        ``per_replica`` examples per core (or GPU) needs batches of ``per_replica * replicas``.
        """
        if int(per_replica) != per_replica or per_replica < 1:
            raise ValueError(f"per_replica must be a positive whole number, got {per_replica!r}.")
        return int(per_replica) * self.replicas


def _import_tensorflow():
    """Import TensorFlow with its Python logger at WARNING, as in a script.

    In an interactive session (where ``sys.ps1`` exists, as in Jupyter) TensorFlow sets its Python
    logger to INFO and sends it to stdout, so strategies print lines such as "INFO:tensorflow:Using
    MirroredStrategy with devices ..." into cell outputs. TF_CPP_MIN_LOG_LEVEL, which
    ``coursekit.start`` sets, quiets only the C++ side.
    """
    import logging

    from .quiet import import_tensorflow

    tf = import_tensorflow()
    logger = tf.get_logger()
    if logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)
    return tf


def tpu_signs() -> list[str]:
    """The evidence that a TPU may be attached, as short strings; empty when there is none.

    Looks only at environment variables and device files: it imports nothing and contacts
    nothing, so it is free to call anywhere.
    """
    signs = []
    for var in ("TPU_NAME", "COLAB_TPU_ADDR", "TPU_ACCELERATOR_TYPE"):
        value = os.environ.get(var, "").strip()
        if value:
            signs.append(f"{var}={value}")
    signs.extend(sorted(glob.glob("/dev/accel[0-9]*")))
    vfio = sorted(glob.glob("/dev/vfio/[0-9]*"))
    if vfio and importlib.util.find_spec("libtpu") is not None:
        signs.append(f"libtpu with {vfio[0]}")
    return signs


def _tpu_target() -> str:
    """The ``tpu`` argument for TPUClusterResolver: a name or address, else ``"local"``.

    ``TPU_NAME`` wins; ``COLAB_TPU_ADDR`` (older Colab TPUs reached over the network) becomes a
    gRPC address; a TPU VM, where the chips sit in the machine itself, needs ``"local"`` (on such
    machines ``TPUClusterResolver()`` without an argument raises ValueError).
    """
    name = os.environ.get("TPU_NAME", "").strip()
    if name:
        return name
    colab = os.environ.get("COLAB_TPU_ADDR", "").strip()
    if colab:
        return colab if colab.startswith("grpc://") else f"grpc://{colab}"
    return "local"


def _probe_command(target: str) -> list[str]:
    return [sys.executable, "-c", _PROBE_CODE, target]


def _probe_tpu(target: str, timeout_s: float) -> tuple[int, str | None]:
    """Connect to ``target`` in a child process; return (TPU cores, None) or (0, why not).

    The child is killed (with any process it started) when it runs past ``timeout_s``.
    """
    popen_kw: dict[str, Any] = {}
    if os.name == "posix":
        popen_kw["start_new_session"] = True
    try:
        proc = subprocess.Popen(
            _probe_command(target),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # TensorFlow's start-up log belongs to the child only
            text=True,
            **popen_kw,
        )
    except OSError as exc:
        return 0, f"error:{type(exc).__name__}: {exc}"
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill(proc)
        return 0, "timeout"
    for line in out.splitlines():
        if line.startswith(_PROBE_MARK):
            result = json.loads(line[len(_PROBE_MARK) :])
            if "error" in result:
                return 0, f"error:{result['error']}"
            return int(result["cores"]), None if result["cores"] else "no_cores"
    return 0, f"error:the probe process exited with status {proc.returncode}"


def _kill(proc: subprocess.Popen) -> None:
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        pass


def _connect_in_process(target: str):
    """Connect this process to the TPU and build its strategy (may raise or hang)."""
    import tensorflow as tf

    resolver = tf.distribute.cluster_resolver.TPUClusterResolver.connect(tpu=target)
    return tf.distribute.TPUStrategy(resolver)


def _reason(lang: str, code: str, timeout_s: float) -> str:
    if code == "timeout":
        return _text(lang, "timeout", t=timeout_s)
    if code == "no_cores":
        return _text(lang, "no_cores")
    return _text(lang, "error", error=code.removeprefix("error:"))


def _try_tpu(signs: list[str], timeout_s: float, lang: str, say) -> Any | None:
    target = _tpu_target()
    if target in _CONNECTED:
        return _CONNECTED[target]
    cores, why = _probe_tpu(target, timeout_s)
    if cores:
        try:
            strategy = call_with_timeout(lambda: _connect_in_process(target), timeout_s)
        except TimeoutError:
            why = "timeout"
        except Exception as exc:  # ValueError, OSError, RuntimeError, tf.errors.*: never crash
            first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
            why = f"error:{type(exc).__name__}" + (f": {first}" if first else "")
        else:
            _CONNECTED[target] = strategy
            return strategy
    reason = _reason(lang, why, timeout_s)
    say(_text(lang, "fallback", target=target, signs=", ".join(signs), reason=reason))
    return None


def detect_strategy(
    timeout_s: float = DEFAULT_TIMEOUT_S, verbose: bool = True, lang: str = "en"
) -> StrategyInfo:
    """Pick a TPU, else all visible GPUs, else the CPU; print one line saying which.

    ``timeout_s`` bounds each of the two TPU steps (the probe in a child process, then the
    connection in this one); without a TPU sign no time is spent on TPUs at all. No hardware
    problem raises: every TPU failure prints one line (what was tried, why it failed) and
    detection goes on. Only an unknown ``lang`` raises ValueError, before anything is tried.
    ``lang`` (``"en"`` or ``"bn"``) is the language of the printed lines and of ``description``.
    """
    _text(lang, "cpu")  # reject an unknown language before doing anything
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if verbose:
            print(line)

    tf = _import_tensorflow()

    signs = tpu_signs()
    if signs:
        strategy = _try_tpu(signs, float(timeout_s), lang, say)
        if strategy is not None:
            n = int(strategy.num_replicas_in_sync)
            say(_text(lang, "tpu", n=n, target=_tpu_target()))
            return StrategyInfo(strategy, "tpu", n, lines[-1])

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        try:
            strategy = tf.distribute.MirroredStrategy()
        except Exception as exc:  # a broken driver must not stop the notebook
            say(_text(lang, "gpu_failed", n=len(gpus), error=f"{type(exc).__name__}: {exc}"))
        else:
            n = int(strategy.num_replicas_in_sync)
            say(_text(lang, "gpu", n=n))
            return StrategyInfo(strategy, "gpu", n, lines[-1])

    strategy = tf.distribute.get_strategy()
    say(_text(lang, "cpu"))
    return StrategyInfo(strategy, "cpu", int(strategy.num_replicas_in_sync), lines[-1])


def logical_cpus(n: int = 2) -> list[str]:
    """Split the CPU into ``n`` logical devices, so that MirroredStrategy can be tried on a CPU.

    TensorFlow allows this only before its runtime starts (before the first operation). Called
    later, it changes nothing. Returns the names of the logical CPU devices that now exist, e.g.
    ``['/device:CPU:0', '/device:CPU:1']``; the length tells whether the split took effect.
    """
    tf = _import_tensorflow()

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(n)]
        )
    except RuntimeError:
        pass  # the runtime has started; keep what it has
    return [d.name for d in tf.config.list_logical_devices("CPU")]
