"""coursekit.pretrained: SqueezeNet v1.1 is built with the right shape, its old-layout weights file
is read with h5py and assigned with every name and shape checked, the Caffe input convention
matches Keras's, the search for Xception's ImageNet weights reports a missing network quickly
and never raises, and all of it works on Keras's JAX backend without importing TensorFlow.

The file runs on either backend (KERAS_BACKEND=jax or tensorflow); one test starts a JAX
process of its own, so the JAX path is tested whichever backend runs the rest."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402

from coursekit import pretrained  # noqa: E402
from coursekit.data.store import DataError  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

# On the JAX backend, Keras's get_weights() converts its variables with np.array(variable), and
# NumPy 2 warns that the variable's __array__ takes no `copy` argument: Keras's affair, not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@pytest.fixture
def weights_file(monkeypatch) -> Path:
    """The real weights file: the offline copy, else the cache, else a download (or a skip)."""
    if not os.environ.get("COURSE_DATA_DIR") and SHARED_DATA.is_dir():
        monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED_DATA))
    try:
        return pretrained.squeezenet_weights_path()
    except DataError as err:
        pytest.skip(f"the SqueezeNet weights are not available here: {err}")


def test_squeezenet_has_the_architecture_of_version_1_1():
    model = pretrained.squeezenet_v11((224, 224, 3))
    assert model.count_params() == pretrained.SQUEEZENET_PARAMS == 722_496
    assert tuple(model.output.shape) == (None, 13, 13, 512)
    # conv1: 3x3x3x64 + 64; a fire module: squeeze 1x1, then two expand branches side by side.
    by_formula = 3 * 3 * 3 * 64 + 64
    channels = 64
    for _, squeeze, expand in pretrained.FIRE_MODULES:
        by_formula += (channels + 1) * squeeze + (squeeze + 1) * expand + (9 * squeeze + 1) * expand
        channels = 2 * expand
    assert by_formula == 722_496
    assert all("/" not in layer.name for layer in model.layers)


def test_works_on_jax_without_importing_tensorflow(weights_file):
    # A fresh process, because this one may already hold Keras on TensorFlow. The weights are
    # the verified file (COURSE_DATA_DIR, set by the fixture, is inherited).
    program = textwrap.dedent(
        """
        import sys
        import numpy as np
        import keras
        from coursekit import pretrained

        assert keras.backend.backend() == "jax", keras.backend.backend()
        model = pretrained.squeezenet_v11((64, 64, 3))
        done = pretrained.load_squeezenet_weights(model, download=False)
        images = np.random.default_rng(0).uniform(size=(2, 64, 64, 3)).astype("float32")
        features = keras.ops.convert_to_numpy(model(pretrained.caffe_preprocess(images)))
        assert done.values == model.count_params() == 722_496
        assert features.shape == (2, 3, 3, 512) and np.isfinite(features).all()
        assert features.min() >= 0 and features.max() > 0  # fire9 ends in a ReLU
        imported = sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow")
        print("tensorflow modules:", imported[:3], len(imported))
        """
    )
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "tensorflow modules: [] 0" in result.stdout, result.stdout[-500:]


def test_file_layer_names():
    assert pretrained.file_layer_name("fire2_squeeze1x1") == "fire2/squeeze1x1"
    assert pretrained.file_layer_name("fire9_expand3x3") == "fire9/expand3x3"
    assert pretrained.file_layer_name("conv1") == "conv1"


def test_real_weights_are_read_and_assigned_completely(weights_file):
    model = pretrained.squeezenet_v11((96, 96, 3))
    done = pretrained.load_squeezenet_weights(model)
    assert done.values == model.count_params() == 722_496
    assert len(done.layers) == 1 + 3 * 8  # conv1 and three convolutions per fire module
    # An independent read of two arrays by their full paths in the file.
    with h5py.File(weights_file, "r") as file:
        kernel = file["fire2/squeeze1x1/uniform2"][()]
        bias = file["fire9/expand3x3/fire9/expand3x3_b"][()]
    np.testing.assert_array_equal(model.get_layer("fire2_squeeze1x1").get_weights()[0], kernel)
    np.testing.assert_array_equal(model.get_layer("fire9_expand3x3").get_weights()[1], bias)


def write_old_layout(path: Path, layers: dict[str, list[tuple[str, np.ndarray]]]) -> Path:
    """An HDF5 file in the Keras-1 layout: layer_names, and weight_names per layer group."""
    with h5py.File(path, "w") as file:
        file.attrs["layer_names"] = np.array([name.encode() for name in layers])
        for name, weights in layers.items():
            group = file.create_group(name)
            group.attrs["weight_names"] = np.array([w.encode() for w, _ in weights], dtype="S30")
            for weight_name, value in weights:
                group[weight_name] = value
    return path


def small_model():
    x = keras.Input((6, 6, 2))
    y = keras.layers.Conv2D(3, 1, name="fire2_squeeze1x1")(x)
    y = keras.layers.ReLU(name="relu")(y)
    y = keras.layers.Conv2D(4, 3, name="conv9")(y)
    return keras.Model(x, y)


def small_file(tmp_path: Path, conv9_kernel_shape=(3, 3, 3, 4)) -> Path:
    rng = np.random.default_rng(0)
    path = tmp_path / "old.h5"
    write_old_layout(
        path,
        {
            "input_1": [],
            "fire2/squeeze1x1": [
                ("k0", rng.normal(size=(1, 1, 2, 3)).astype("float32")),
                ("fire2/squeeze1x1_b", rng.normal(size=3).astype("float32")),
            ],
            "relu": [],
            "conv9": [
                ("k1", rng.normal(size=conv9_kernel_shape).astype("float32")),
                ("conv9_b", rng.normal(size=4).astype("float32")),
            ],
        },
    )
    return path


def test_old_layout_is_read_in_weight_names_order(tmp_path):
    arrays = pretrained.read_weights(small_file(tmp_path))
    assert list(arrays) == ["fire2/squeeze1x1", "conv9"]
    assert [a.shape for a in arrays["conv9"]] == [(3, 3, 3, 4), (4,)]
    model = small_model()
    done = pretrained.assign_weights(model, arrays)
    assert done.values == model.count_params() == (2 + 1) * 3 + (27 + 1) * 4
    np.testing.assert_array_equal(model.get_layer("conv9").get_weights()[0], arrays["conv9"][0])


def test_a_wrong_shape_is_named_and_nothing_is_assigned(tmp_path):
    arrays = pretrained.read_weights(small_file(tmp_path, conv9_kernel_shape=(1, 1, 3, 4)))
    model = small_model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(pretrained.WeightsError, match=r"'conv9'.*\(3, 3, 3, 4\).*\(1, 1, 3, 4\)"):
        pretrained.assign_weights(model, arrays)
    for old, new in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def test_a_missing_or_an_extra_layer_is_an_error(tmp_path):
    arrays = pretrained.read_weights(small_file(tmp_path))
    with pytest.raises(pretrained.WeightsError, match="no layer 'conv9'"):
        pretrained.assign_weights(small_model(), {"fire2/squeeze1x1": arrays["fire2/squeeze1x1"]})
    with pytest.raises(pretrained.WeightsError, match="extra"):
        pretrained.assign_weights(small_model(), {**arrays, "extra": arrays["conv9"]})


def test_caffe_preprocessing_matches_keras():
    from keras.applications import imagenet_utils

    images = np.random.default_rng(1).uniform(size=(2, 4, 5, 3)).astype("float32")
    ours = keras.ops.convert_to_numpy(pretrained.caffe_preprocess(images))
    theirs = imagenet_utils.preprocess_input(255.0 * images, mode="caffe")
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-3)


# --- Xception's weights ---------------------------------------------------------------------


@pytest.fixture
def keras_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


def test_offline_is_reported_plainly_in_both_languages(keras_home, monkeypatch, capsys):
    monkeypatch.setattr(pretrained, "_reachable", lambda url, t: "URLError: no network")
    for lang, word in [("en", "no internet connection"), ("bn", "ইন্টারনেট সংযোগ নেই")]:
        got = pretrained.xception_weights(lang=lang)
        assert got.path is None and got.how == "offline" and word in got.message
        assert "SqueezeNet" in got.message and got.message in capsys.readouterr().out


def test_quick_mode_does_not_download(keras_home, monkeypatch):
    monkeypatch.setattr(pretrained, "_reachable", lambda url, t: None)

    def no_download(*args, **kwargs):
        raise AssertionError("must not download")

    monkeypatch.setattr(keras.utils, "get_file", no_download)
    got = pretrained.xception_weights(download=False, verbose=False)
    assert got.path is None and got.how == "no_download" and "full" in got.message


def test_cached_weights_are_used_without_the_network(keras_home, monkeypatch):
    cached = pretrained.keras_cache_file()
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"pretend weights")
    monkeypatch.setattr(pretrained, "XCEPTION_MD5", hashlib.md5(b"pretend weights").hexdigest())
    monkeypatch.setattr(pretrained, "_reachable", lambda url, t: pytest.fail("no probe needed"))
    got = pretrained.xception_weights(lang="bn", verbose=False)
    assert got.path == cached and got.how == "cached"


def test_a_damaged_cached_file_is_not_used(keras_home, monkeypatch):
    cached = pretrained.keras_cache_file()
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a download")
    monkeypatch.setattr(pretrained, "_reachable", lambda url, t: "URLError: no network")
    assert pretrained.xception_weights(verbose=False).how == "offline"


def test_download_success_and_failure(keras_home, monkeypatch):
    monkeypatch.setattr(pretrained, "_reachable", lambda url, t: None)
    monkeypatch.setattr(keras.utils, "get_file", lambda *a, **k: str(keras_home / "w.h5"))
    got = pretrained.xception_weights(verbose=False)
    assert got.how == "downloaded" and got.path == keras_home / "w.h5"

    def broken(*args, **kwargs):
        raise Exception("URL fetch failure")

    monkeypatch.setattr(keras.utils, "get_file", broken)
    got = pretrained.xception_weights(verbose=False)
    assert got.path is None and got.how == "failed" and "URL fetch failure" in got.message
    assert socket.getdefaulttimeout() is None


def test_the_connection_test_fails_fast_on_a_refused_and_on_a_silent_server():
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))
    port = refused.getsockname()[1]
    refused.close()  # nothing listens there now
    start = time.perf_counter()
    assert pretrained._reachable(f"http://127.0.0.1:{port}/w.h5", 2.0) is not None
    assert time.perf_counter() - start < 2.0

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections, never answers
    try:
        start = time.perf_counter()
        reason = pretrained._reachable(f"http://127.0.0.1:{silent.getsockname()[1]}/w.h5", 0.5)
        assert reason is not None and time.perf_counter() - start < 3.0
    finally:
        silent.close()


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang"):
        pretrained.xception_weights(lang="fr")
