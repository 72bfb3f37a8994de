"""One call that readies Keras for the hardware at hand, on the JAX or the TensorFlow backend.

Chapters 9 to 12 start with::

    from coursekit import hardware

    hw = hardware.setup(lang="en")   # before `import keras`: it picks Keras's backend
    import keras

    BATCH_SIZE = hw.global_batch_size(64)   # 64 examples on every replica
    with hw.scope():                        # a no-op on JAX, strategy.scope() on TensorFlow
        model = ...                         # build and compile the model here

:func:`setup` does three things and prints one line for each, in the page's language.

**1. The backend** (:func:`choose_backend`). Keras 3 runs on several numerical engines and reads
the variable ``KERAS_BACKEND`` once, when it is first imported. The course uses JAX where
TensorFlow is not installed (Colab's TPU runtimes ship none since 2025) or where a TPU is attached
(Keras on a TPU today means Keras on JAX), and otherwise what ``KERAS_BACKEND`` says, with
Keras's own default, TensorFlow, when it says nothing. Keras already imported with another
backend is kept, with a line saying how to change it (restart, run from the top).

**2. The devices.** On JAX, ``jax.devices()`` lists the TPU cores, else the GPUs, else the CPU.
On TensorFlow, :func:`coursekit.distribute.detect_strategy` picks ``TPUStrategy``,
``MirroredStrategy`` or the default strategy, bounded in time and never crashing.

**3. Data parallelism.** On JAX with more than one device, the Keras distribution API spreads every
batch over all of them: ``keras.distribution.DataParallel`` over a one-axis
``DeviceMesh((n,), ["batch"])``; variables are replicated on every device, each device gets
``1/n`` of every global batch, and the gradients are averaged across devices (an all-reduce)
inside the compiled training step. On TensorFlow the strategy does the same.

``cpu_devices=n`` splits a CPU into ``n`` devices, so that data parallelism can be tried without
an accelerator: on JAX through ``XLA_FLAGS=--xla_force_host_platform_device_count=n`` (it must be
set before JAX starts), on TensorFlow through logical CPU devices. It is ignored on a TPU or GPU.

``precision`` is the Keras dtype policy that suits the hardware: ``"mixed_bfloat16"`` on a TPU
(whose matrix unit multiplies bfloat16), ``"float32"`` elsewhere. :func:`setup` does not set it;
a chapter calls ``keras.mixed_precision.set_global_policy(hw.precision)``.

Nothing here imports TensorFlow when the backend is JAX.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from .distribute import DEFAULT_TIMEOUT_S, tpu_signs
from .files import call_with_timeout
from .lang import Messages
from .mode import detect_accelerator

__all__ = ["BACKENDS", "Hardware", "choose_backend", "setup"]

BACKENDS = ("jax", "tensorflow")

_MESSAGES = {
    "en": {
        "no_tf": "Keras backend: jax (TensorFlow is not installed here).",
        "tpu": "Keras backend: jax (a TPU is attached: Keras runs on TPUs through JAX).",
        "env": "Keras backend: {backend} (from KERAS_BACKEND).",
        "default": "Keras backend: tensorflow (Keras's default; KERAS_BACKEND=jax switches).",
        "kept": (
            "Keras backend: {backend} (Keras was already imported with it; to change it, restart "
            "the kernel and run the notebook from the top)."
        ),
        "jax_devices": "Hardware: {n} {kind} device(s) ({names}); {how}.",
        "data_parallel": "keras.distribution.DataParallel over a ('batch': {n}) mesh",
        "one_device": "one device, no distribution needed",
        "jax_fallback": "JAX could not start its {platform} backend ({error}); using the CPU.",
        "tf_cpus": "Hardware: CPU split into {n} logical devices; MirroredStrategy, {n} replicas.",
        "cpu_late": (
            "cpu_devices={n} ignored: JAX was already started with {have} CPU device(s); restart "
            "the kernel to split the CPU."
        ),
    },
    "bn": {
        "no_tf": "Keras ব্যাকএন্ড: jax (এখানে TensorFlow ইনস্টল করা নেই)।",
        "tpu": "Keras ব্যাকএন্ড: jax (TPU যুক্ত আছে: TPU-তে Keras চলে JAX-এর মাধ্যমে)।",
        "env": "Keras ব্যাকএন্ড: {backend} (KERAS_BACKEND থেকে)।",
        "default": "Keras ব্যাকএন্ড: tensorflow (Keras-এর ডিফল্ট; KERAS_BACKEND=jax দিলে বদলায়)।",
        "kept": (
            "Keras ব্যাকএন্ড: {backend} (Keras আগেই এটি দিয়ে ইমপোর্ট হয়েছে; বদলাতে কার্নেল "
            "রিস্টার্ট করে নোটবুকটি শুরু থেকে চালান)।"
        ),
        "jax_devices": "হার্ডওয়্যার: {n}টি {kind} ডিভাইস ({names}); {how}।",
        "data_parallel": "('batch': {n}) মেশের ওপর keras.distribution.DataParallel",
        "one_device": "একটিই ডিভাইস, ভাগ করার দরকার নেই",
        "jax_fallback": "JAX তার {platform} ব্যাকএন্ড চালু করতে পারেনি ({error}); CPU নেওয়া হলো।",
        "tf_cpus": "হার্ডওয়্যার: CPU-কে {n}টি লজিক্যাল ডিভাইসে ভাগ করা হয়েছে; MirroredStrategy, {n}টি রেপ্লিকা।",  # noqa: E501
        "cpu_late": (
            "cpu_devices={n} মানা গেল না: JAX আগেই {have}টি CPU ডিভাইস নিয়ে চালু হয়েছে; CPU ভাগ "
            "করতে কার্নেল রিস্টার্ট করুন।"
        ),
    },
}
_text = Messages(_MESSAGES)


def _installed(module: str) -> bool:
    if module in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def choose_backend(lang: str = "en", verbose: bool = True) -> tuple[str, str]:
    """Set ``KERAS_BACKEND`` for the coming ``import keras``; return ``(backend, reason line)``.

    JAX where TensorFlow is missing or a TPU is attached; otherwise ``KERAS_BACKEND`` if set,
    else ``"tensorflow"``. Raises ValueError for a backend the course does not support, or when
    the backend it needs is not installed, saying what to install.
    """
    _text(lang, "default")  # reject an unknown language first
    if "keras" in sys.modules:
        backend = sys.modules["keras"].backend.backend()
        line = _text(lang, "kept", backend=backend)
        if backend not in BACKENDS:
            raise ValueError(
                f"Keras was imported with the {backend!r} backend, which these chapters do not "
                f"use. Restart the kernel, set KERAS_BACKEND to one of {BACKENDS} (or leave it "
                "unset), and run the notebook from the top."
            )
    elif not _installed("tensorflow"):
        backend, line = "jax", _text(lang, "no_tf")
    elif tpu_signs():
        backend, line = "jax", _text(lang, "tpu")
    else:
        wanted = os.environ.get("KERAS_BACKEND", "").strip().lower()
        if wanted and wanted not in BACKENDS:
            raise ValueError(
                f"KERAS_BACKEND={wanted!r}: these chapters run on {' or '.join(BACKENDS)}. "
                "Set one of them, or leave KERAS_BACKEND unset, and restart the kernel."
            )
        backend = wanted or "tensorflow"
        line = _text(lang, "env", backend=backend) if wanted else _text(lang, "default")
    if backend == "jax" and not _installed("jax"):
        raise ValueError(
            "Keras needs JAX here (TensorFlow is not installed, or a TPU is attached), but JAX "
            "is not installed either: pip install jax (or jax[tpu] on a TPU machine), then "
            "restart the kernel."
        )
    os.environ["KERAS_BACKEND"] = backend
    if verbose:
        print(line)
    return backend, line


@dataclass(frozen=True)
class Hardware:
    """What :func:`setup` chose.

    ``backend``: ``"jax"`` or ``"tensorflow"``; ``kind``: ``"tpu"``, ``"gpu"`` or ``"cpu"``;
    ``replicas``: how many devices share every batch; ``devices``: their names;
    ``distribution``: the ``keras.distribution.DataParallel`` in force (JAX, several devices),
    else None; ``strategy``: the ``tf.distribute.Strategy`` (TensorFlow), else None;
    ``precision``: the dtype policy that suits the hardware; ``lines``: what was printed.
    """

    backend: str
    kind: str
    replicas: int
    devices: tuple[str, ...]
    distribution: Any = None
    strategy: Any = None
    precision: str = "float32"
    lines: tuple[str, ...] = field(default_factory=tuple)

    def global_batch_size(self, per_replica: int) -> int:
        """``per_replica`` examples on every replica: the batch size to give ``model.fit``.

        Keras splits every global batch evenly over the replicas, so each one sees
        ``per_replica`` examples when the batches hold ``per_replica * replicas``.
        """
        if isinstance(per_replica, bool) or int(per_replica) != per_replica or per_replica < 1:
            raise ValueError(f"per_replica must be a positive whole number, got {per_replica!r}.")
        return int(per_replica) * self.replicas

    def scope(self):
        """Where to build and compile a model: the strategy's scope on TensorFlow; on JAX the
        distribution is already in force, so this is a context that does nothing."""
        if self.strategy is not None:
            return self.strategy.scope()
        return contextlib.nullcontext()

    @contextlib.contextmanager
    def single_device(self):
        """Inside this block, models built and trained use one device only (for comparisons):
        on JAX the distribution is lifted and put back afterwards; on TensorFlow a model built
        outside ``scope()`` already uses the default strategy, one device."""
        if self.backend != "jax":
            yield
            return
        import keras

        previous = keras.distribution.distribution()
        keras.distribution.set_distribution(None)
        try:
            yield
        finally:
            keras.distribution.set_distribution(previous)


def _split_cpu_for_jax(n: int, lang: str, say) -> None:
    if "jax" in sys.modules:
        import jax

        have = len(jax.devices("cpu"))
        if have != n:
            say(_text(lang, "cpu_late", n=n, have=have))
        return
    flag = f"--xla_force_host_platform_device_count={n}"
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if "device_count" not in f]
    os.environ["XLA_FLAGS"] = " ".join([*flags, flag])


def _jax_devices(lang: str, timeout_s: float, say) -> list:
    import jax

    try:
        return list(call_with_timeout(jax.devices, timeout_s))
    except Exception as exc:  # a busy or broken TPU/GPU must not stop the notebook
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
        platform = os.environ.get("JAX_PLATFORMS") or "default"
        say(_text(lang, "jax_fallback", platform=platform, error=f"{type(exc).__name__}: {first}"))
        return list(jax.devices("cpu"))


def _setup_jax(lang: str, timeout_s: float, say) -> Hardware:
    import keras

    devices = _jax_devices(lang, timeout_s, say)
    kind = {"tpu": "tpu", "gpu": "gpu", "cuda": "gpu", "rocm": "gpu"}.get(
        devices[0].platform, "cpu"
    )
    names = tuple(f"{d.platform}:{d.id}" for d in devices)
    distribution = None
    if len(devices) > 1:
        mesh = keras.distribution.DeviceMesh(
            (len(devices),), ["batch"], devices=[f"{d.platform}:{d.id}" for d in devices]
        )
        distribution = keras.distribution.DataParallel(device_mesh=mesh)
        how = _text(lang, "data_parallel", n=len(devices))
    else:
        how = _text(lang, "one_device")
    keras.distribution.set_distribution(distribution)
    shown = ", ".join(names) if len(names) <= 4 else f"{names[0]} … {names[-1]}"
    say(_text(lang, "jax_devices", n=len(devices), kind=kind.upper(), names=shown, how=how))
    return Hardware(
        backend="jax",
        kind=kind,
        replicas=len(devices),
        devices=names,
        distribution=distribution,
        precision="mixed_bfloat16" if kind == "tpu" else "float32",
    )


def _setup_tensorflow(
    lang: str, timeout_s: float, cpu_devices: int | None, say, verbose: bool
) -> Hardware:
    from .distribute import detect_strategy, logical_cpus

    split = bool(cpu_devices and cpu_devices > 1 and not tpu_signs())
    if split:
        logical_cpus(cpu_devices)
    # detect_strategy prints its own lines (a TPU that failed, then its choice); when the CPU is
    # to be split, its "CPU only, one replica" line would be replaced at once, so it stays quiet.
    info = detect_strategy(timeout_s=timeout_s, verbose=verbose and not split, lang=lang)
    import tensorflow as tf

    if split and info.kind == "cpu":
        # The default strategy has one replica; MirroredStrategy over the logical CPUs has more.
        cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
        if len(cpus) > 1:
            strategy = tf.distribute.MirroredStrategy(cpus)
            say(_text(lang, "tf_cpus", n=len(cpus)))
            return Hardware(
                backend="tensorflow",
                kind="cpu",
                replicas=int(strategy.num_replicas_in_sync),
                devices=tuple(cpus),
                strategy=strategy,
            )
    # Without a split, detect_strategy has printed its choice already: record it, quietly.
    say(info.description, echo=split)
    if info.kind == "tpu":
        names = tuple(d.name for d in tf.config.list_logical_devices("TPU"))
    elif info.kind == "gpu":
        names = tuple(info.strategy.extended.worker_devices)
    else:
        names = ("/device:CPU:0",)
    return Hardware(
        backend="tensorflow",
        kind=info.kind,
        replicas=info.replicas,
        devices=names,
        strategy=info.strategy,
        precision="mixed_bfloat16" if info.kind == "tpu" else "float32",
    )


def setup(
    lang: str = "en",
    *,
    cpu_devices: int | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    verbose: bool = True,
) -> Hardware:
    """Choose Keras's backend, find the devices, spread batches over them; print what was chosen.

    Call it before ``import keras``. ``cpu_devices`` splits a CPU into that many devices (for
    trying data parallelism without an accelerator; see the module's documentation).
    ``timeout_s`` bounds every attempt to reach an accelerator. No hardware problem raises: it
    falls back to the CPU with a line saying why. Raises ValueError only for an unknown
    ``lang``, a bad ``cpu_devices``, or a Keras backend that cannot be used (saying what to do).
    """
    _text(lang, "default")
    if cpu_devices is not None and (
        isinstance(cpu_devices, bool) or int(cpu_devices) != cpu_devices or cpu_devices < 1
    ):
        raise ValueError(f"cpu_devices must be a positive whole number, got {cpu_devices!r}.")
    lines: list[str] = []

    def say(line: str, echo: bool = True) -> None:
        """Record ``line`` for ``Hardware.lines``; print it too unless ``echo`` is False (a
        line that another function has printed already)."""
        lines.append(line)
        if verbose and echo:
            print(line)

    backend, line = choose_backend(lang, verbose=False)
    say(line)
    if backend == "jax":
        if cpu_devices and cpu_devices > 1 and not tpu_signs() and detect_accelerator() != "cuda":
            _split_cpu_for_jax(int(cpu_devices), lang, say)
        hw = _setup_jax(lang, float(timeout_s), say)
    else:
        hw = _setup_tensorflow(lang, float(timeout_s), cpu_devices, say, verbose)
    return dataclasses.replace(hw, lines=tuple(lines))
