"""Pretrained weights for fine-tuning: SqueezeNet v1.1 (offline) and Xception (needs internet).

SqueezeNet v1.1
    :func:`coursekit.squeezenet.squeezenet_v11` (also importable from here) builds the network of
    Iandola et al. (2016), version 1.1, without its classifier, as keras-squeezenet builds it:
    ``conv1`` (64 filters 3×3, stride 2, ReLU), 3×3 max-pooling with stride 2, fire modules
    ``fire2`` .. ``fire9`` (:data:`FIRE_MODULES`) with two more max-poolings after ``fire3`` and
    ``fire5``. It has 722,496 parameters. The layers are named like the layers of the weights file,
    with ``_`` where the file has ``/`` (Keras 3 refuses ``/`` in layer names): ``fire2/squeeze1x1``
    becomes ``fire2_squeeze1x1``.

    The weights file (:data:`SQUEEZENET_WEIGHTS`, MIT licence, keras-squeezenet by Jesper Wohlert
    and rcmalli) has the old Keras-1 HDF5 layout, which Keras 3 does not load by name.
    :func:`read_weights` reads it with h5py: the file's attribute ``layer_names`` lists one group
    per layer, and each group's attribute ``weight_names`` names its arrays in order (kernel,
    then bias). :func:`assign_weights` puts those arrays into a model layer by layer, checking
    every name and shape, and :func:`load_squeezenet_weights` does both with the verified file
    found by :func:`squeezenet_weights_path` (``COURSE_DATA_DIR``, then the cache, then the
    canonical download, as :func:`coursekit.data.fetch` does).

    The weights come from a Caffe model and expect Caffe's input convention: BGR channel order,
    values 0..255 minus the ImageNet mean of each channel. :func:`caffe_preprocess` turns RGB
    images with values in [0, 1] (what :func:`coursekit.data.flowers.load` delivers) into that form.

Xception
    :func:`xception_weights` looks for Keras's ImageNet weights of Xception without its
    classifier (about 83 MB): in Keras's cache, else on Keras's server after a connection test
    bounded by ``timeout_s`` (downloaded only when ``download`` is true). It never raises for a
    missing network: it returns the path, or ``None`` with one line saying why, in English or
    Bengali.

Backends
    Everything here works on Keras's JAX and TensorFlow backends alike and never imports
    TensorFlow: the weights are read with h5py, assigned with ``layer.set_weights``, and the
    preprocessing is written in ``keras.ops``. Keras is imported only when a function that needs
    it is called, so importing this module chooses no backend. (``keras.utils.set_random_seed``,
    which the chapter calls, imports TensorFlow itself wherever TensorFlow is installed, to seed
    ``tf.data``; that is Keras's doing, and where TensorFlow is missing, as on Colab's TPUs, it
    does not.)
"""

from __future__ import annotations

import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .data.store import RemoteFile, fetch
from .files import call_with_timeout, file_digest
from .lang import Messages, check_lang
from .squeezenet import FIRE_MODULES, POOL_AFTER, SQUEEZENET_PARAMS, squeezenet_v11  # noqa: F401

__all__ = [
    "FIRE_MODULES",
    "IMAGENET_MEAN_BGR",
    "SQUEEZENET_PARAMS",
    "SQUEEZENET_WEIGHTS",
    "WeightsError",
    "XceptionWeights",
    "assign_weights",
    "caffe_preprocess",
    "file_layer_name",
    "load_squeezenet_weights",
    "read_weights",
    "squeezenet_v11",
    "squeezenet_weights_path",
    "xception_weights",
]

SQUEEZENET_WEIGHTS = RemoteFile(
    "squeezenet/squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "https://github.com/DeepCognition/keras-squeezenet/releases/download/v0.4/"
    "squeezenet_weights_tf_dim_ordering_tf_kernels_notop.h5",
    3_002_560,
    "17154246284f555591549ac2c83e127abfbf4307dc4b0060fdaa2931d0fa38da",
)
SQUEEZENET_CREDIT = (
    "SqueezeNet v1.1 ImageNet weights from keras-squeezenet, MIT licence, "
    "Copyright (c) 2016 Jesper Wohlert / rcmalli"
)

IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)
"""The ImageNet mean pixel of the Caffe models, in BGR order, on the 0..255 scale."""


class WeightsError(ValueError):
    """A weights file cannot be read (truncated, another kind of file) or does not fit the model
    (a layer is missing, or an array has another shape); the message names the file and the fix."""


class FileWeights(dict):
    """What :func:`read_weights` returns: ``{layer name: [arrays]}``, and the ``path`` read."""

    path: Path | None = None


_GET_WEIGHTS = (
    "use the verified SqueezeNet v1.1 weights file that squeezenet_weights_path() returns "
    "(or call load_squeezenet_weights(model))"
)


# --- SqueezeNet v1.1 -----------------------------------------------------------------------------


def caffe_preprocess(images: Any) -> Any:
    """RGB images with values in [0, 1] -> BGR, 0..255, minus :data:`IMAGENET_MEAN_BGR`.

    Works on arrays, tensors and Keras's symbolic tensors (so it can sit inside a functional
    model). The same as ``keras.applications.imagenet_utils.preprocess_input(255 * images,
    mode="caffe")``.
    """
    import keras

    bgr = keras.ops.flip(keras.ops.convert_to_tensor(images, dtype="float32"), axis=-1)
    return bgr * 255.0 - keras.ops.convert_to_tensor(IMAGENET_MEAN_BGR, dtype="float32")


def squeezenet_weights_path(*, download: bool = True) -> Path:
    """The verified SqueezeNet v1.1 weights file: COURSE_DATA_DIR, the cache, or a download."""
    return fetch(SQUEEZENET_WEIGHTS, download=download)


def read_weights(path: str | Path) -> FileWeights:
    """The arrays of an old (Keras 1/2) HDF5 weights file, by layer name as the file spells it.

    Only layers that have weights are returned, in the file's order; each list follows the
    layer's ``weight_names`` attribute (for a convolution: kernel, then bias). A file that is not
    there raises FileNotFoundError; one that is truncated, not HDF5, or HDF5 of another layout
    raises :class:`WeightsError` naming the file and what to do.
    """
    import h5py

    path = Path(path)
    if path.is_dir():
        raise WeightsError(f"{path} is a folder, not a weights file. Fix: {_GET_WEIGHTS}.")
    if not path.is_file():
        raise FileNotFoundError(f"no weights file at {path}; {_GET_WEIGHTS}.")
    arrays = FileWeights()
    arrays.path = path
    try:
        file = h5py.File(path, "r")
    except PermissionError:
        raise WeightsError(
            f"{path} cannot be read here (permission denied). Fix: make it readable "
            f"(chmod a+r), or {_GET_WEIGHTS}."
        ) from None
    except OSError as err:  # h5py's words for a truncated file, or for one that is not HDF5
        raise WeightsError(
            f"{path} is not a readable HDF5 weights file ({_first_line(err)}): it is truncated "
            f"(an interrupted download or copy) or another kind of file. Fix: {_GET_WEIGHTS}."
        ) from None
    with file:
        group = file["model_weights"] if "model_weights" in file else file
        if "layer_names" not in group.attrs:
            raise WeightsError(
                f"{path} is an HDF5 file, but not a weights file of the old Keras layout "
                f"(no attribute 'layer_names'), so it holds no SqueezeNet v1.1 weights. "
                f"Fix: {_GET_WEIGHTS}."
            )
        layer = "?"
        try:
            for raw_layer in group.attrs["layer_names"]:
                layer = raw_layer.decode() if isinstance(raw_layer, bytes) else str(raw_layer)
                names = group[layer].attrs.get("weight_names", [])
                names = [n.decode() if isinstance(n, bytes) else str(n) for n in names]
                if names:
                    arrays[layer] = [np.asarray(group[layer][n][()]) for n in names]
        except (KeyError, OSError, ValueError, TypeError) as err:  # listed but absent, unreadable
            raise WeightsError(
                f"{path} is damaged: its layer {layer!r} cannot be read ({_first_line(err)}). "
                f"Fix: {_GET_WEIGHTS}."
            ) from None
    return arrays


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__


def file_layer_name(keras_name: str) -> str:
    """The name a Keras layer of :func:`squeezenet_v11` has in the weights file.

    ``fire2_squeeze1x1`` -> ``fire2/squeeze1x1``; names without a fire module stay as they are.
    """
    head, sep, tail = keras_name.partition("_")
    return f"{head}/{tail}" if sep and head.startswith("fire") else keras_name


@dataclass
class Assignment:
    """What :func:`assign_weights` did: one entry per layer, and the number of values."""

    layers: list[tuple[str, str, list[tuple[int, ...]]]] = field(default_factory=list)
    values: int = 0


def assign_weights(model: Any, arrays: dict[str, list[np.ndarray]]) -> Assignment:
    """Put ``arrays`` (from :func:`read_weights`) into the layers of ``model``.

    Every layer of ``model`` that has weights must find its arrays in ``arrays`` under
    :func:`file_layer_name` of its name, with exactly the shapes of its weights, and every array
    of the file must be used; otherwise :class:`WeightsError` says which layer and which shapes,
    and nothing is assigned. Returns the layers assigned (Keras name, file name, shapes) and
    the number of values.
    """
    if not isinstance(arrays, dict):
        raise TypeError(
            f"arrays={arrays!r}: give the dict that read_weights(path) returns, not "
            f"a {type(arrays).__name__}."
        )
    path = getattr(arrays, "path", None)
    the_file = f"the file {path}" if path else "the file"
    fix = (
        " The weights do not belong to this model: build it with squeezenet_v11() and "
        + _GET_WEIGHTS.removeprefix("use ")
        + "."
    )
    plan = []
    used = set()
    for layer in model.layers:
        if not layer.weights:
            continue
        source = file_layer_name(layer.name)
        if source not in arrays:
            raise WeightsError(
                f"layer {layer.name!r} has weights, but {the_file} has no layer {source!r}.{fix}"
            )
        wanted = [tuple(w.shape) for w in layer.weights]
        found = [tuple(np.shape(a)) for a in arrays[source]]
        if wanted != found:
            raise WeightsError(
                f"layer {layer.name!r} has weights of shapes {wanted}, but the layer {source!r} "
                f"of {the_file} has arrays of shapes {found}.{fix}"
            )
        plan.append((layer, source, arrays[source]))
        used.add(source)
    unused = [name for name in arrays if name not in used]
    if unused:
        raise WeightsError(f"the layers {unused} of {the_file} match no layer of the model.{fix}")
    done = Assignment()
    for layer, source, values in plan:
        layer.set_weights(values)
        done.layers.append((layer.name, source, [tuple(v.shape) for v in values]))
        done.values += sum(int(v.size) for v in values)
    return done


def load_squeezenet_weights(model: Any, *, download: bool = True) -> Assignment:
    """Assign the pretrained SqueezeNet v1.1 weights to a model from :func:`squeezenet_v11`."""
    return assign_weights(model, read_weights(squeezenet_weights_path(download=download)))


# --- Xception's ImageNet weights -----------------------------------------------------------------

XCEPTION_FILE = "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
XCEPTION_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/xception/" + XCEPTION_FILE
)
XCEPTION_MD5 = "b0042744bf5b25fce3cb969f33bebb97"  # as keras.applications.Xception checks it

_MESSAGES = {
    "en": {
        "cached": "Xception's ImageNet weights: found in Keras's cache ({path}).",
        "downloaded": "Xception's ImageNet weights: downloaded ({path}).",
        "no_download": (
            "Xception's ImageNet weights (about 83 MB) are not in Keras's cache, and quick mode "
            "does not download them; run in full mode (COURSE_MODE=full) with internet to "
            "fine-tune Xception."
        ),
        "offline": (
            "Xception's ImageNet weights are not available: there is no internet connection "
            "here ({error}). Continuing with the pretrained SqueezeNet weights of the course's "
            "data instead."
        ),
        "failed": (
            "Xception's ImageNet weights could not be downloaded ({error}). Continuing with the "
            "pretrained SqueezeNet weights of the course's data instead."
        ),
    },
    "bn": {
        "cached": "Xception-এর ImageNet ওয়েট: Keras-এর ক্যাশে পাওয়া গেছে ({path})।",
        "downloaded": "Xception-এর ImageNet ওয়েট: ডাউনলোড হয়েছে ({path})।",
        "no_download": (
            "Xception-এর ImageNet ওয়েট (প্রায় 83 MB) Keras-এর ক্যাশে নেই, আর quick মোড এগুলো "
            "ডাউনলোড করে না; Xception ফাইন-টিউন করতে ইন্টারনেটসহ full মোডে চালান "
            "(COURSE_MODE=full)।"
        ),
        "offline": (
            "Xception-এর ImageNet ওয়েট পাওয়া যাচ্ছে না: এখানে ইন্টারনেট সংযোগ নেই ({error})। "
            "তাই এর বদলে কোর্সের ডেটায় রাখা SqueezeNet-এর প্রি-ট্রেনড ওয়েট দিয়ে এগোনো হচ্ছে।"
        ),
        "failed": (
            "Xception-এর ImageNet ওয়েট ডাউনলোড করা গেল না ({error})। তাই এর বদলে কোর্সের "
            "ডেটায় রাখা SqueezeNet-এর প্রি-ট্রেনড ওয়েট দিয়ে এগোনো হচ্ছে।"
        ),
    },
}
_TEXT = Messages(_MESSAGES)


@dataclass(frozen=True)
class XceptionWeights:
    """The outcome of :func:`xception_weights`: a path, or None; ``how`` is a key of the
    messages ("cached", "downloaded", "no_download", "offline", "failed"); ``message`` is the
    line that was printed."""

    path: Path | None
    how: str
    message: str


def keras_cache_file(name: str = XCEPTION_FILE) -> Path:
    """Where ``keras.utils.get_file(name, ..., cache_subdir="models")`` keeps a file."""
    base = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    return base / "models" / name


def _reachable(url: str, timeout_s: float) -> str | None:
    """None when ``url`` answers within ``timeout_s`` seconds, else a short reason.

    Runs in a worker thread, because a name lookup can hang longer than any socket timeout.
    """

    def probe() -> None:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout_s):
            pass

    try:
        call_with_timeout(probe, timeout_s + 1.0)
    except TimeoutError:  # the lookup hung, or the server accepted and never answered
        return f"no answer from {urllib.parse.urlparse(url).hostname} within {timeout_s:g} s"
    except (urllib.error.URLError, OSError, ValueError) as err:
        return f"{type(err).__name__}: {getattr(err, 'reason', err)}"
    return None


def xception_weights(
    *, download: bool = True, timeout_s: float = 10.0, lang: str = "en", verbose: bool = True
) -> XceptionWeights:
    """Keras's ImageNet weights for Xception without its classifier, if they can be had.

    Order: Keras's cache (``$KERAS_HOME/models`` or ``~/.keras/models``); then a connection
    test bounded by ``timeout_s`` (so that a missing network is reported as such); then, only
    when ``download`` is true, the download with ``keras.utils.get_file`` (checked by its md5,
    as Keras checks it). Prints one line saying
    what happened (unless ``verbose`` is false) and never raises for a network failure.
    """
    check_lang(lang)

    def result(found: Path | None, how: str, **kw: Any) -> XceptionWeights:
        line = _TEXT(lang, how, **kw)
        if verbose:
            print(line)
        return XceptionWeights(found, how, line)

    cached = keras_cache_file()
    if cached.is_file() and file_digest(cached, "md5") == XCEPTION_MD5:
        return result(cached, "cached", path=cached)
    problem = _reachable(XCEPTION_URL, timeout_s)
    if problem is not None:
        return result(None, "offline", error=problem)
    if not download:
        return result(None, "no_download")
    import keras

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(max(timeout_s, 30.0))  # a stalled transfer fails instead of hanging
    try:
        path = keras.utils.get_file(
            XCEPTION_FILE, XCEPTION_URL, cache_subdir="models", file_hash=XCEPTION_MD5
        )
    except Exception as err:  # Keras wraps network errors in plain Exception
        return result(None, "failed", error=f"{type(err).__name__}: {err}")
    finally:
        socket.setdefaulttimeout(previous)
    return result(Path(path), "downloaded", path=path)
