"""coursekit.data.store: the search order, verification, atomic downloads and clear failures."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from coursekit.data import cmaterdb, store
from coursekit.data.store import DataError, RemoteFile

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def remote_for(origin: Path, content: bytes, name: str = "set/file.bin") -> RemoteFile:
    source = origin / Path(name).name
    source.write_bytes(content)
    return RemoteFile(name, source.as_uri(), len(content), hashlib.sha256(content).hexdigest())


def test_offline_copy_is_used_first(dirs):
    data, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    (data / "set").mkdir()
    (data / "set" / "file.bin").write_bytes(b"the real bytes")
    assert store.fetch(remote, download=False) == data / "set" / "file.bin"
    assert not (cache / "set").exists()


def test_damaged_offline_copy_falls_back_to_a_verified_download(dirs):
    data, cache, origin = dirs
    remote = remote_for(origin, b"the real bytes")
    (data / "set").mkdir()
    (data / "set" / "file.bin").write_bytes(b"the fake bytes")
    path = store.fetch(remote)
    assert path == cache / "set" / "file.bin" and path.read_bytes() == b"the real bytes"
    assert store.fetch(remote, download=False) == path  # the cache now serves it


def test_damaged_download_is_refused_and_leaves_nothing(dirs):
    _, cache, origin = dirs
    good = remote_for(origin, b"expected")
    damaged = RemoteFile(good.path, good.url, good.size, "0" * 64)
    with pytest.raises(DataError, match="sha256") as info:
        store.fetch(damaged)
    assert "COURSE_DATA_DIR" in str(info.value) and good.url in str(info.value)
    assert not [p for p in cache.rglob("*") if p.is_file()], "a partial file was left behind"


def test_missing_everywhere_says_where_it_looked_and_what_to_do(dirs):
    data, cache, _ = dirs
    remote = RemoteFile("set/none.bin", "file:///nonexistent/none.bin", 3, "0" * 64)
    with pytest.raises(DataError) as info:
        store.fetch(remote)
    message = str(info.value)
    assert str(data / "set" / "none.bin") in message and str(cache / "set" / "none.bin") in message
    assert "download failed" in message and "Fix:" in message


def test_npz_with_objects_is_not_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, images=np.array([{"a": 1}], dtype=object), labels=np.zeros(1))
    with pytest.raises(DataError, match="not a plain-array"):
        store.load_npz(path, ("images", "labels"))
    np.savez(tmp_path / "partial.npz", images=np.zeros(2))
    with pytest.raises(DataError, match=r"lacks the arrays \['labels'\]"):
        store.load_npz(tmp_path / "partial.npz", ("images", "labels"))


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="choose 'train' or 'test'"):
        cmaterdb.load_cmaterdb("validation")


@pytest.mark.skipif(
    not (os.environ.get("COURSE_DATA_DIR") or SHARED_DATA.is_dir()),
    reason="needs the offline data copy (COURSE_DATA_DIR) or network access",
)
def test_cmaterdb_loads_with_ten_balanced_classes(monkeypatch, tmp_path):
    if not os.environ.get("COURSE_DATA_DIR"):
        monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED_DATA))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    for split, per_class in (("train", 500), ("test", 100)):
        images, labels = cmaterdb.load_cmaterdb(split, download=False)
        assert images.shape == (10 * per_class, 32, 32, 3) and images.dtype == np.uint8
        assert np.bincount(labels, minlength=10).tolist() == [per_class] * 10
