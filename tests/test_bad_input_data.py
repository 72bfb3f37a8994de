"""Bad input to the data, weights and checkpoint loaders: each kind fails with one message that
names the file and what to do, or the loader goes on to a place that works.

The kinds, one section each: files that cannot be read here; damaged files (a photo replaced by a
folder, a malformed checksum line, a truncated or foreign weights file, a damaged checkpoint);
a cache that cannot be written; files built into the cache that changed on disk; what a killed
process left in the cache; checkpoints that would run code; and what already behaves well (nothing
unpickled, a wrong sha256 named, download=False stays offline, TPU detection bounded in time).

The tests run as any user and offline. Where root can read a file whatever its mode, reading is
refused by a fake that raises PermissionError for that path; the same cases run once more with
real file modes when the tests do not run as root.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import subprocess
import sys
import textwrap
import time
import traceback
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from test_datasets import remote_for
from test_flowers import make_archive, make_photos, photo_set
from test_pretrained import write_old_layout

from coursekit import files
from coursekit.data import flowers, store
from coursekit.data.store import CacheNotWritable, DataError, RemoteFile

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_real_permissions = pytest.mark.skipif(
    IS_ROOT or os.name != "posix", reason="root reads and writes whatever the file modes say"
)


def put(folder: Path, remote: RemoteFile, content: bytes) -> Path:
    path = folder / remote.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def refuse_reading(monkeypatch, module, *paths: Path) -> None:
    """Make ``module.sha256_of`` fail as a file without read permission does."""
    real = module.sha256_of
    denied = {Path(p) for p in paths}

    def sha256_of(path):
        if Path(path) in denied:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(module, "sha256_of", sha256_of)


def refuse_writing(monkeypatch, below: Path) -> None:
    """Make the creation of temporary files and folders below ``below`` fail as on a read-only
    folder (coursekit.files makes every temporary, so this is the one place to refuse it)."""
    real_mkstemp, real_mkdtemp = files.tempfile.mkstemp, files.tempfile.mkdtemp

    def refused(real):
        def make(*args, dir=None, **kwargs):
            if dir is not None and (Path(dir) == below or below in Path(dir).parents):
                raise PermissionError(13, "Permission denied", str(dir))
            return real(*args, dir=dir, **kwargs)

        return make

    monkeypatch.setattr(files.tempfile, "mkstemp", refused(real_mkstemp))
    monkeypatch.setattr(files.tempfile, "mkdtemp", refused(real_mkdtemp))


@pytest.fixture
def photos_env(dirs, monkeypatch):
    """A fake offline copy of the flower photos in COURSE_DATA_DIR, accepted as the real set."""
    data, cache, origin = dirs
    photos = make_photos(data / "flower_photos")
    monkeypatch.setattr(flowers, "expected_photo_set", lambda: photo_set(photos))
    return data / "flower_photos", cache, photos


def no_network(monkeypatch):
    def urlopen(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


# --- 1. files that cannot be read here: not usable, so the search goes on ---------------------


def test_an_unreadable_offline_file_is_skipped_for_a_good_cached_copy(dirs, monkeypatch):
    data, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    unreadable = put(data, remote, b"the real bytes")
    cached = put(cache, remote, b"the real bytes")
    refuse_reading(monkeypatch, store, unreadable)
    assert store.fetch(remote, download=False) == cached


def test_an_unreadable_offline_file_is_skipped_for_a_download(dirs, monkeypatch):
    data, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    refuse_reading(monkeypatch, store, put(data, remote, b"the real bytes"))
    path = store.fetch(remote)
    assert path == cache / remote.path and path.read_bytes() == b"the real bytes"


def test_when_nothing_works_the_error_names_the_unreadable_file(dirs, monkeypatch):
    data, _, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    unreadable = put(data, remote, b"the real bytes")
    refuse_reading(monkeypatch, store, unreadable)
    with pytest.raises(DataError, match="cannot find a good copy") as info:
        store.fetch(remote, download=False)
    message = str(info.value)
    assert f"{unreadable} (COURSE_DATA_DIR): cannot be read here (Permission denied)" in message
    assert f"Fix: make {unreadable} readable (ask its owner, or chmod a+r)" in message


@needs_real_permissions
def test_real_file_modes_unreadable_file_and_unsearchable_folder(dirs):
    data, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    unreadable = put(data, remote, b"the real bytes")
    try:
        unreadable.chmod(0)
        with pytest.raises(DataError, match="cannot be read here .Permission denied.") as info:
            store.fetch(remote, download=False)
        assert str(unreadable) in str(info.value)
        assert store.fetch(remote) == cache / remote.path  # downloaded instead
        unreadable.chmod(0o644)
        (cache / remote.path).unlink()
        unreadable.parent.chmod(0)  # the folder cannot even be searched
        with pytest.raises(DataError, match="cannot be read here .Permission denied."):
            store.fetch(remote, download=False)
    finally:
        unreadable.parent.chmod(0o755)
        unreadable.chmod(0o644)


def test_an_unreadable_photo_makes_the_search_go_on_to_the_cache(photos_env, monkeypatch):
    folder, cache, photos = photos_env
    copy = shutil.copytree(folder, cache / "flower_photos")
    refuse_reading(monkeypatch, flowers, folder / sorted(photos)[0])
    assert flowers.photo_dir(download=False) == copy


def test_an_unreadable_photo_is_named_when_nothing_works(photos_env, monkeypatch):
    folder, _, photos = photos_env
    photo = folder / sorted(photos)[2]
    refuse_reading(monkeypatch, flowers, photo)
    with pytest.raises(DataError, match="cannot find the flower photos") as info:
        flowers.photo_dir(download=False)
    message = str(info.value)
    assert f"{folder} (COURSE_DATA_DIR): {photo} cannot be read here (Permission denied)" in message
    assert f"Fix: make {folder} readable (ask its owner, or chmod -R a+rX)" in message


@needs_real_permissions
def test_real_file_modes_unreadable_photo_and_class_folder(photos_env):
    folder, _, photos = photos_env
    photo, class_dir = folder / sorted(photos)[0], folder / "roses"
    try:
        photo.chmod(0)
        with pytest.raises(DataError, match=f"{photo} cannot be read here"):
            flowers.photo_dir(download=False)
        photo.chmod(0o644)
        class_dir.chmod(0)
        with pytest.raises(DataError, match=f"{class_dir} cannot be read here"):
            flowers.photo_dir(download=False)
    finally:
        class_dir.chmod(0o755)
        photo.chmod(0o644)


# --- 2. damaged files: named, with what to do --------------------------------------------------


def test_a_photo_replaced_by_a_folder_is_named(photos_env):
    folder, _, photos = photos_env
    photo = folder / sorted(photos)[1]
    photo.unlink()
    photo.mkdir()
    with pytest.raises(DataError, match="is a folder .or something else., not a photo") as info:
        flowers.photo_dir(download=False)
    assert str(photo) in str(info.value) and "Fix: replace" in str(info.value)


def test_a_data_file_replaced_by_a_folder_is_named_and_skipped(dirs):
    data, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    (data / remote.path).mkdir(parents=True)
    with pytest.raises(DataError, match=f"{data / remote.path} is a folder, not the file"):
        store.fetch(remote, download=False)
    assert store.fetch(remote) == cache / remote.path


def test_hidden_files_beside_the_photos_are_not_photos(photos_env):
    folder, _, _ = photos_env
    (folder / "daisy" / "._photo00_0.jpg").write_bytes(b"macOS metadata")
    (folder / "daisy" / ".photo00_0.jpg.coursekit-0-1-x.tmp").write_bytes(b"half")
    assert flowers.photo_dir(download=False) == folder


def test_a_malformed_checksum_line_is_named_with_its_line_number():
    good = "a" * 64
    assert flowers.parse_sums(f"{good}  daisy/1.jpg\n{good} *roses/2.jpg\n\n") == {
        "daisy/1.jpg": good,
        "roses/2.jpg": good,
    }
    for bad in ("daisy/1.jpg", f"{good[:-1]}  daisy/1.jpg", f"{good}", "zz" * 32 + "  x.jpg"):
        with pytest.raises(DataError, match=r"sums\.txt, line 2: .* is not a checksum line"):
            flowers.parse_sums(f"{good}  ok.jpg\n{bad}\n", "sums.txt")
    shipped = flowers.PACKAGE_DATA / "flower_photos-reencoded-sha256.txt.gz"
    with pytest.raises(DataError, match=r"line 1: 'broken' .*Fix: reinstall the course package"):
        flowers.parse_sums("broken\n", shipped)


@pytest.fixture
def fresh_photo_set():
    flowers._shipped_photo_set.cache_clear()
    yield
    flowers._shipped_photo_set.cache_clear()


def test_a_damaged_shipped_checksum_list_says_reinstall(tmp_path, monkeypatch, fresh_photo_set):
    damaged = tmp_path / "flower_photos-reencoded-sha256.txt.gz"
    damaged.write_bytes(b"\x1f\x8b not really gzip")
    monkeypatch.setattr(flowers, "REENCODED_SUMS", damaged)
    with pytest.raises(DataError, match=f"{damaged} cannot be read .*reinstall the course package"):
        flowers.expected_photo_set()


def weights_file(tmp_path: Path) -> Path:
    kernel = np.arange(2 * 2 * 3 * 4, dtype="float32").reshape(2, 2, 3, 4)
    return write_old_layout(
        tmp_path / "w.h5", {"conv1": [("k", kernel), ("b", np.zeros(4, "float32"))]}
    )


def test_a_truncated_or_foreign_weights_file_is_named(tmp_path):
    pretrained = pytest.importorskip("coursekit.pretrained")
    good = weights_file(tmp_path)
    assert [a.shape for a in pretrained.read_weights(good)["conv1"]] == [(2, 2, 3, 4), (4,)]
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(good.read_bytes()[:1500])
    foreign = tmp_path / "notes.h5"
    foreign.write_bytes(b"these are not weights\n" * 50)
    for path in (truncated, foreign):
        with pytest.raises(pretrained.WeightsError, match="not a readable HDF5 weights file") as e:
            pretrained.read_weights(path)
        assert str(path) in str(e.value) and "truncated" in str(e.value)
        assert "Fix: use the verified SqueezeNet v1.1 weights file" in str(e.value)


def test_hdf5_files_of_another_layout_are_named(tmp_path):
    pretrained = pytest.importorskip("coursekit.pretrained")
    import h5py

    other = tmp_path / "model.weights.h5"  # Keras 3's layout: no layer_names attribute
    with h5py.File(other, "w") as file:
        file["layers/dense/vars/0"] = np.zeros((3, 2))
    with pytest.raises(pretrained.WeightsError, match="not a weights file of the old Keras layout"):
        pretrained.read_weights(other)
    listed = weights_file(tmp_path)
    with h5py.File(listed, "a") as file:
        file.attrs["layer_names"] = np.array([b"conv1", b"conv2"])  # conv2 is listed, absent
    with pytest.raises(pretrained.WeightsError, match=r"is damaged: its layer 'conv2' cannot be"):
        pretrained.read_weights(listed)
    with pytest.raises(pretrained.WeightsError, match="is a folder, not a weights file"):
        pretrained.read_weights(tmp_path)
    with pytest.raises(FileNotFoundError, match="no weights file at .*squeezenet_weights_path"):
        pretrained.read_weights(tmp_path / "none.h5")


def test_weights_that_do_not_fit_name_the_file_and_the_fix(tmp_path):
    pretrained = pytest.importorskip("coursekit.pretrained")
    keras = pytest.importorskip("keras")
    path = weights_file(tmp_path)
    x = keras.Input((6, 6, 3))
    model = keras.Model(x, keras.layers.Conv2D(4, 2, name="fire2_squeeze1x1")(x))
    with pytest.raises(pretrained.WeightsError, match="has no layer 'fire2/squeeze1x1'") as info:
        pretrained.assign_weights(model, pretrained.read_weights(path))
    assert str(path) in str(info.value) and "do not belong to this model" in str(info.value)
    with pytest.raises(TypeError, match="give the dict that read_weights.path. returns"):
        pretrained.assign_weights(model, path)


def test_damaged_checkpoints_are_named(tmp_path):
    torch = pytest.importorskip("torch")
    from torch import nn

    from coursekit import torchtools

    good = torchtools.save_checkpoint(nn.Linear(3, 2), tmp_path / "good.pt")
    cases = {
        "truncated.pt": good.read_bytes()[: len(good.read_bytes()) // 2],
        "empty.pt": b"",
        "text.pt": b"hello, not a checkpoint",
    }
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(RuntimeError, match="is not a complete PyTorch checkpoint") as info:
            torchtools.load_checkpoint(nn.Linear(3, 2), tmp_path / name)
        assert str(tmp_path / name) in str(info.value), name
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(TypeError, match="holds a Tensor, not a state_dict"):
        torchtools.load_checkpoint(nn.Linear(3, 2), tmp_path / "tensor.pt")
    with pytest.raises(IsADirectoryError, match="is a folder; give the checkpoint file"):
        torchtools.load_checkpoint(nn.Linear(3, 2), tmp_path)


# --- 2. a cache that cannot be written -----------------------------------------------------------


def test_a_download_into_a_read_only_cache_says_which_folder_and_what_to_do(dirs, monkeypatch):
    _, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    refuse_writing(monkeypatch, cache)
    with pytest.raises(DataError, match="not downloaded: cannot write into") as info:
        store.fetch(remote)
    message = str(info.value)
    assert f"cannot write into {cache / 'set'} (Permission denied)" in message
    assert "or set COURSE_CACHE_DIR to a folder you can write to" in message
    assert "connect to the internet" not in message  # the network is not the problem


def test_a_read_only_cache_does_not_matter_when_the_data_is_found(dirs, monkeypatch):
    data, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    found = put(data, remote, b"the real bytes")
    refuse_writing(monkeypatch, cache)
    assert store.fetch(remote) == found


@needs_real_permissions
def test_real_file_modes_read_only_cache(dirs):
    _, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    cache.chmod(0o555)
    try:
        with pytest.raises(DataError, match=f"cannot write into {cache} .Permission denied."):
            store.fetch(remote)
    finally:
        cache.chmod(0o755)


def test_photos_download_into_a_read_only_cache_is_explained(tmp_path, dirs, monkeypatch):
    _, cache, _ = dirs
    photos = make_photos(tmp_path / "made")
    (tmp_path / "server").mkdir()
    archive = make_archive(tmp_path / "server", photos)
    monkeypatch.setattr(flowers, "expected_photo_set", lambda: photo_set(photos, archive))
    refuse_writing(monkeypatch, cache)
    with pytest.raises(DataError, match="not downloaded: cannot save the flower photos") as info:
        flowers.photo_dir()
    message = str(info.value)
    assert f"cannot write into {cache}" in message
    assert f"Fix: make {cache} writable, or set COURSE_CACHE_DIR" in message
    assert "connect to the internet" not in message


def test_read_only_cache_photos_are_still_verified_every_time(photos_env, monkeypatch):
    folder, cache, _ = photos_env
    refuse_writing(monkeypatch, cache)  # no stamp can be written: the photos are hashed again
    assert flowers.photo_dir(download=False) == folder
    assert flowers.photo_dir(download=False) == folder


def test_read_only_cache_arrays_are_decoded_into_memory_with_a_warning(photos_env, monkeypatch):
    folder, cache, photos = photos_env
    refuse_writing(monkeypatch, cache)
    with pytest.warns(RuntimeWarning, match="cannot save the decoded photos") as caught:
        data = flowers.arrays(10)
    message = str(caught[0].message)
    assert "set COURSE_CACHE_DIR to a folder you can write to" in message
    assert "decoded into memory" in message
    order = flowers.photo_list(download=False)
    assert data.folder is None and data.images.shape == (len(photos), 10, 10, 3)
    assert list(data.names) == [path for path, _ in order]
    assert data.labels.tolist() == [label for _, label in order]
    for image, (path, _) in zip(data.images, order, strict=True):
        assert np.array_equal(image, flowers.square_photo(folder / path, 10))
    with pytest.warns(RuntimeWarning):
        train, validation = flowers.load(10, batch_size=2, validation_fraction=0.5)
    assert train.num_examples + validation.num_examples == len(photos)


def test_read_only_cache_shards_are_explained(photos_env, monkeypatch):
    _, cache, _ = photos_env
    refuse_writing(monkeypatch, cache)
    with pytest.raises(CacheNotWritable, match="cannot save the TFRecord shards into") as info:
        flowers.write_tfrecords(10)
    assert "set COURSE_CACHE_DIR to a folder you can write to" in str(info.value)


# --- 3. files built into the cache that changed on disk: checked by content, built again --------


def corrupt_in_place(path: Path, keep_mtime: bool) -> None:
    """Change bytes in the middle of ``path``, keeping its size (and, if asked, its mtime)."""
    before = path.stat()
    content = bytearray(path.read_bytes())
    middle = len(content) // 2
    content[middle : middle + 8] = bytes(255 - b for b in content[middle : middle + 8])
    path.write_bytes(bytes(content))
    if keep_mtime:  # as bit rot on the disk would
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def count_hashing(monkeypatch) -> list[Path]:
    hashed: list[Path] = []
    real = flowers.sha256_of

    def sha256_of(path):
        hashed.append(Path(path))
        return real(path)

    monkeypatch.setattr(flowers, "sha256_of", sha256_of)
    return hashed


def test_arrays_are_hashed_once_per_process_and_file(photos_env, monkeypatch):
    first = flowers.arrays(10)
    hashed = count_hashing(monkeypatch)
    assert flowers.arrays(10).folder == first.folder and hashed == []  # recorded when written
    monkeypatch.setattr(flowers, "_CHECKED", {})  # as in a new process
    flowers.arrays(10)
    assert sorted(p.name for p in hashed) == ["images.npy", "labels.npy", "names.txt"]
    flowers.arrays(10)
    assert len(hashed) == 3


@pytest.mark.parametrize("keep_mtime", [False, True], ids=["rewritten", "bit-rot"])
def test_arrays_changed_in_place_are_built_again(photos_env, monkeypatch, keep_mtime):
    folder, _, _ = photos_env
    first = flowers.arrays(10)
    where = first.folder
    del first
    corrupt_in_place(where / "images.npy", keep_mtime)
    if keep_mtime:
        monkeypatch.setattr(flowers, "_CHECKED", {})  # found by the next process
    again = flowers.arrays(10)
    assert again.folder == where
    for image, path in zip(again.images, again.names, strict=True):
        assert np.array_equal(image, flowers.square_photo(folder / path, 10))
    assert not [p for p in where.parent.iterdir() if p.name.startswith(".")]


def test_arrays_of_an_older_format_are_built_again(photos_env):
    first = flowers.arrays(10)
    index = first.folder / "index.json"
    index.write_text(index.read_text().replace('"format": 2', '"format": 1'))
    assert flowers._array_index(first.folder) == (
        None,
        "it was written by an older version of the course",
    )
    assert flowers.arrays(10).folder == first.folder
    assert flowers._array_index(first.folder)[0] is not None


def test_changed_arrays_in_a_read_only_cache_are_explained(photos_env, monkeypatch):
    _, cache, _ = photos_env
    where = flowers.arrays(10).folder
    corrupt_in_place(where / "labels.npy", keep_mtime=False)
    refuse_writing(monkeypatch, cache)
    with pytest.warns(RuntimeWarning, match="the copy there cannot be used: labels.npy has sha256"):
        data = flowers.arrays(10)
    assert data.folder is None  # decoded into memory, the damaged files left alone


def test_shards_changed_in_place_are_written_again_before_tensorflow_reads_them(photos_env):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tf = pytest.importorskip("tensorflow")
    _, _, photos = photos_env
    shards = flowers.write_tfrecords(10)
    k = max(range(len(shards)), key=lambda i: shards[i].stat().st_size)
    corrupt_in_place(shards[k], keep_mtime=False)
    with pytest.raises(tf.errors.DataLossError):  # what TensorFlow would have met
        list(tf.data.TFRecordDataset([str(shards[k])]))
    train, validation = flowers.load_tfrecords(10, batch_size=2, validation_fraction=0.5)
    seen = sum(int(labels.shape[0]) for _, labels in validation)
    seen += sum(int(labels.shape[0]) for _, labels in train)
    assert seen == len(photos)
    index, problem = flowers._shard_index(shards[0].parent)
    assert problem is None and index["shards"][k]["sha256"] == files.sha256_of(shards[k])


def test_changed_shards_in_a_read_only_cache_are_explained(photos_env, monkeypatch):
    _, cache, _ = photos_env
    folder = cache / "flowers-tfrecord" / "10px-test"
    folder.mkdir(parents=True)
    (folder / "a.tfrec").write_bytes(b"records")
    index = {"format": flowers.SHARD_FORMAT, "shards": [{"file": "a.tfrec"}]}
    index["shards"][0] |= {"bytes": 7, "sha256": "0" * 64}
    (folder / "index.json").write_text(__import__("json").dumps(index))
    refuse_writing(monkeypatch, cache)
    with pytest.raises(CacheNotWritable, match="a.tfrec has sha256 .*, but had 0{64} when"):
        flowers._build_once(folder, flowers._shard_index, lambda work: {}, "the shards")


# --- 4. what a killed process left behind --------------------------------------------------------


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def temp_name(name: str, pid: int, host: str | None = None, suffix: str = ".tmp") -> str:
    return f".{name}.coursekit-{host or files._HOST}-{pid}-abc123_x{suffix}"


def age(path: Path, seconds: float) -> Path:
    when = time.time() - seconds
    os.utime(path, (when, when))
    return path


def test_a_download_killed_outright_leaves_a_temporary_that_the_next_use_removes(dirs):
    _, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    program = textwrap.dedent(
        f"""
        import os, signal
        from coursekit.files import atomic_path
        with atomic_path({str(cache / remote.path)!r}, suffix=".part") as tmp:
            tmp.write_bytes(b"the real")
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    subprocess.run([sys.executable, "-c", program], check=False, timeout=120)
    left = [p.name for p in (cache / "set").iterdir()]
    assert len(left) == 1 and left[0].startswith(".file.bin.coursekit-"), left
    with pytest.raises(DataError, match="not there"):  # a leftover is never taken for the file
        store.fetch(remote, download=False)
    assert list((cache / "set").iterdir()) == []  # the next use of the cache removed it


def test_leftovers_of_gone_processes_go_and_those_of_live_ones_stay(tmp_path):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        gone = dead_pid()
        stale = [
            tmp_path / temp_name("x.bin", gone),
            tmp_path / temp_name("x.bin", gone, suffix=".part"),
            tmp_path / temp_name("y.npz", live.pid),  # old: its process number was reused
            tmp_path / temp_name("z.bin", gone, host="0badc0de"),  # old, another machine's
        ]
        fresh = [
            tmp_path / temp_name("x.bin", live.pid),
            tmp_path / temp_name("x.bin", os.getpid()),
            tmp_path / temp_name("x.bin", gone, host="0badc0de"),  # another machine's process
        ]
        for path in stale + fresh:
            path.write_bytes(b"half")
        for path in stale[2:]:
            age(path, files.STALE_AFTER_S + 60)
        (tmp_path / temp_name("x.bin", gone).replace(".tmp", "")).mkdir()  # no suffix: not ours
        stale_dir = tmp_path / temp_name("flower_photos", gone)
        (stale_dir / "x" / "daisy").mkdir(parents=True)
        (stale_dir / "flower_photos.tgz").write_bytes(b"part of an archive")
        fresh_dir = tmp_path / temp_name("192px-abc", live.pid)
        fresh_dir.mkdir()
        data = [tmp_path / "x.bin", tmp_path / ".keep", tmp_path / ".x.bin.tmp"]
        for path in data:
            path.write_bytes(b"data")
        removed = files.remove_stale_temps(tmp_path)
        assert sorted(removed) == sorted([*stale, stale_dir])
        assert all(p.exists() for p in [*fresh, fresh_dir, *data])
        assert (tmp_path / temp_name("x.bin", gone).replace(".tmp", "")).exists()
    finally:
        live.kill()
        live.wait()
    assert tmp_path / temp_name("x.bin", live.pid) in files.remove_stale_temps(tmp_path)


def test_leftovers_in_the_old_form_go_when_the_same_file_is_written_a_day_later(tmp_path):
    old_file = tmp_path / ".x.bin.k2j4_9az.part"
    old_file.write_bytes(b"half")
    age(old_file, files.STALE_AFTER_S + 60)
    old_dir = tmp_path / ".flower_photos-ab_12xyz"
    old_dir.mkdir()
    age(old_dir, files.STALE_AFTER_S + 60)
    recent = tmp_path / ".x.bin.zzzzzzzz.tmp"
    recent.write_bytes(b"maybe someone's")
    other = tmp_path / ".y.bin.k2j4_9az.part"  # another file's, and old: not this writer's
    other.write_bytes(b"half")
    age(other, files.STALE_AFTER_S + 60)
    files.write_atomic(tmp_path / "x.bin", b"data")
    assert not old_file.exists() and recent.exists()
    with files.temp_dir(tmp_path, "flower_photos") as work:
        assert work.name.startswith(".flower_photos.coursekit-") and work.is_dir()
    assert not old_dir.exists() and recent.exists() and other.exists()


def test_every_writer_in_the_cache_removes_leftovers(photos_env, monkeypatch):
    folder, cache, _ = photos_env
    gone = dead_pid()
    leftovers = [
        cache / temp_name("flower_photos", gone),
        cache / "flowers-arrays" / temp_name("10px-abc", gone),
        cache / "flowers-tfrecord" / temp_name("10px-abc", gone),
        cache / "flower_photos-verified" / temp_name("0123.json", gone),
        cache / "set" / temp_name("file.bin", gone, suffix=".part"),
    ]
    for path in leftovers:
        path.mkdir(parents=True)
        (path / "half").write_bytes(b"half")
    flowers.photo_dir(download=False)  # the first use of this cache tidies it
    assert not any(p.exists() for p in leftovers)
    leftover = cache / "flowers-arrays" / temp_name("10px-abc", gone)
    leftover.mkdir()
    flowers.arrays(10)  # the writer of that folder tidies it too, whatever tidied before
    assert not leftover.exists()
    assert not [p for p in cache.rglob(".*")]


def test_a_killed_array_build_leaves_a_folder_that_the_next_build_removes(photos_env):
    _, cache, _ = photos_env
    program = textwrap.dedent(
        """
        import os, signal, sys
        sys.path.insert(0, "tests")
        from coursekit.data import flowers
        from test_flowers import photo_set, make_photos
        photos = {p.relative_to(sys.argv[1]).as_posix(): p.read_bytes()
                  for p in __import__("pathlib").Path(sys.argv[1]).glob("*/*.jpg")}
        flowers.expected_photo_set = lambda: photo_set(photos)
        def killed(verified, image_size, into):
            (into / "images.npy").write_bytes(b"half")
            os.kill(os.getpid(), signal.SIGKILL)
        flowers._write_arrays = killed
        flowers.arrays(10)
        """
    )
    root = Path(__file__).resolve().parents[1]
    folder = cache.parent / "data" / "flower_photos"
    subprocess.run([sys.executable, "-c", program, str(folder)], cwd=root, check=False, timeout=300)
    left = [p for p in (cache / "flowers-arrays").iterdir()]
    assert len(left) == 1 and left[0].name.startswith(".10px-"), left
    assert flowers.arrays(10).folder.parent == cache / "flowers-arrays"
    assert not [p for p in cache.rglob(".*")]


# --- 5. a checkpoint that would run code: refused in the course's words -----------------------


def test_a_checkpoint_holding_code_is_refused_without_suggesting_unsafe_loading(tmp_path):
    torch = pytest.importorskip("torch")
    from torch import nn

    from coursekit import torchtools

    path = tmp_path / "whole-model.pt"
    torch.save(nn.Linear(3, 2), path)  # the whole module, not its state_dict: classes to import
    with pytest.raises(pickle.UnpicklingError, match="is not a plain state_dict") as info:
        torchtools.load_checkpoint(nn.Linear(3, 2), path)
    message = str(info.value)
    assert (
        str(path) in message and "Only load checkpoints you made with save_checkpoint()" in message
    )
    shown = "".join(traceback.format_exception(info.value))
    assert "weights_only" not in shown and "Weights only load failed" not in shown


# --- 6. what already behaves well ----------------------------------------------------------------


def _leave_a_mark(path: str) -> str:
    Path(path).write_text("unpickled")
    return "x"


class RunsCode:
    def __init__(self, mark: Path):
        self.mark = str(mark)

    def __reduce__(self):
        return (_leave_a_mark, (self.mark,))


def test_npz_files_are_never_unpickled(tmp_path):
    mark = tmp_path / "mark"
    path = tmp_path / "evil.npz"
    np.savez(path, images=np.array([RunsCode(mark)], dtype=object), labels=np.zeros(1))
    with pytest.raises(DataError, match=f"{path} is not a plain-array .npz file"):
        store.load_npz(path, ("images", "labels"))
    assert not mark.exists()


def test_a_wrong_sha256_is_refused_naming_both_digests(dirs):
    data, _, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    put(data, remote, b"the fake bytes")  # same size
    found = hashlib.sha256(b"the fake bytes").hexdigest()
    with pytest.raises(DataError, match=f"has sha256 {found}, expected {remote.sha256}"):
        store.fetch(remote, download=False)


def test_download_false_never_uses_the_network(dirs, monkeypatch):
    _, _, origin = dirs
    no_network(monkeypatch)
    remote = remote_for(origin, b"the real bytes")
    with pytest.raises(DataError, match=r"not downloaded \(download=False\)"):
        store.fetch(remote, download=False)
    monkeypatch.setattr(flowers, "expected_photo_set", lambda: photo_set({}))
    with pytest.raises(DataError, match=r"not downloaded \(download=False\)"):
        flowers.photo_dir(download=False)
    pretrained = pytest.importorskip("coursekit.pretrained")
    with pytest.raises(DataError, match=r"squeezenet_weights_tf_dim_ordering.*download=False"):
        pretrained.squeezenet_weights_path(download=False)


@pytest.fixture
def no_tpu_env(monkeypatch):
    distribute = pytest.importorskip("coursekit.distribute")
    pytest.importorskip("tensorflow")
    for var in ("TPU_NAME", "COLAB_TPU_ADDR", "TPU_ACCELERATOR_TYPE", "http_proxy", "https_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(distribute, "_CONNECTED", {})
    monkeypatch.setenv("TPU_NAME", "grpc://127.0.0.1:1")  # a TPU sign, closed loopback port
    return distribute


def test_tpu_detection_with_a_hanging_probe_returns_within_its_bound(
    no_tpu_env, monkeypatch, capsys
):
    distribute = no_tpu_env
    hang = [sys.executable, "-c", "import time; time.sleep(600)"]
    monkeypatch.setattr(distribute, "_probe_command", lambda target: hang)
    start = time.monotonic()
    info = distribute.detect_strategy(timeout_s=1)
    assert info.kind in ("cpu", "gpu") and time.monotonic() - start < 1 + 5
    lines = [line for line in capsys.readouterr().out.splitlines() if "No TPU used" in line]
    assert len(lines) == 1 and "no answer within 1 s" in lines[0], lines


def test_tpu_detection_with_a_hanging_connection_returns_within_its_bound(
    no_tpu_env, monkeypatch, capsys
):
    distribute = no_tpu_env
    monkeypatch.setattr(distribute, "_probe_tpu", lambda target, timeout_s: (8, None))
    monkeypatch.setattr(distribute, "_connect_in_process", lambda target: time.sleep(600))
    start = time.monotonic()
    info = distribute.detect_strategy(timeout_s=1, lang="bn")
    assert info.kind in ("cpu", "gpu") and time.monotonic() - start < 1 + 5
    out = capsys.readouterr().out
    assert "TPU ব্যবহার হলো না" in out and "1 সেকেন্ডের মধ্যে কোনো উত্তর আসেনি" in out
