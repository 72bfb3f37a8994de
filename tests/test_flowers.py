"""coursekit.data.flowers: the search order, verification with a stamp, the offline download path,
decoded arrays and TFRecord shards written once and atomically, and the deterministic split of
both loaders (the backend-neutral PyDataset and the TensorFlow-only tf.data one).

Most tests use a small fake photo set (coloured rectangles whose colour encodes their number) and
a fake archive served from a file:// address, so they run offline; one test checks the real
offline copy when it is available.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from coursekit.data import flowers
from coursekit.data.store import DataError

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FAKE_CLASSES = {"daisy": 3, "roses": 4, "tulips": 5}


def colour_of(number: int) -> tuple[int, int, int]:
    return (20 + 15 * number, 230 - 12 * number, 60 + 9 * (number % 7))


def make_photos(folder: Path, counts: dict[str, int] = FAKE_CLASSES) -> dict[str, bytes]:
    """Solid-colour JPEGs (40×30, so they must be cropped); returns {path: bytes}."""
    photos, number = {}, 0
    for name, count in counts.items():
        (folder / name).mkdir(parents=True, exist_ok=True)
        for k in range(count):
            buffer = io.BytesIO()
            Image.new("RGB", (40, 30), colour_of(number)).save(buffer, "JPEG", quality=95)
            path = f"{name}/photo{number:02d}_{k}.jpg"
            (folder / path).write_bytes(buffer.getvalue())
            photos[path] = buffer.getvalue()
            number += 1
    return photos


def photo_set(photos: dict[str, bytes], archive: Path | None = None) -> flowers.PhotoSet:
    sums = {path: hashlib.sha256(data).hexdigest() for path, data in photos.items()}
    counts = {name: sum(p.startswith(name + "/") for p in photos) for name in FAKE_CLASSES}
    return flowers.PhotoSet(
        counts=counts,
        manifests={"original": sums, "re-encoded": {}},
        archive_url=archive.as_uri() if archive else "file:///nonexistent/flower_photos.tgz",
        archive_size=archive.stat().st_size if archive else 1,
    )


def make_archive(tmp_path: Path, photos: dict[str, bytes]) -> Path:
    archive = tmp_path / "origin" / "flower_photos.tgz"
    archive.parent.mkdir()
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in [*photos.items(), ("LICENSE.txt", b"credits"), ("../outside.jpg", b"x")]:
            info = tarfile.TarInfo(f"flower_photos/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("outside.txt")  # not below flower_photos/: never extracted
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    return archive


@pytest.fixture
def env(tmp_path, monkeypatch):
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    return data, cache


@pytest.fixture
def offline_copy(env, monkeypatch):
    """A fake offline copy in COURSE_DATA_DIR, accepted by a fake expected photo set."""
    data, cache = env
    photos = make_photos(data / "flower_photos")
    monkeypatch.setattr(flowers, "expected_photo_set", lambda: photo_set(photos))
    return data / "flower_photos", cache, photos


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*"))


# --- the package data -------------------------------------------------------------------------


def test_shipped_lists_cover_every_photo_with_the_expected_counts():
    expected = flowers.expected_photo_set()
    original = gzip.decompress(flowers.ORIGINAL_SUMS.read_bytes())
    assert hashlib.sha256(original).hexdigest() == flowers.ORIGINAL_SUMS_SHA256
    for kind in ("original", "re-encoded"):
        paths = expected.manifests[kind]
        per_class = {name: sum(p.startswith(name + "/") for p in paths) for name in flowers.CLASSES}
        assert per_class == flowers.COUNTS, kind
    assert set(expected.manifests["original"]) == set(expected.manifests["re-encoded"])
    assert sum(flowers.COUNTS.values()) == 3670


def test_every_photo_has_a_credit_in_the_shipped_licence_file():
    paths = sorted(flowers.expected_photo_set().manifests["original"])
    lines = flowers.credits(paths)
    assert len(lines) == 3670 and all("https://www.flickr.com/" in line for line in lines)
    # Both layouts of LICENSE.txt lines are understood.
    assert flowers.credits(["daisy/7568630428_8cf0fc16ff_n.jpg"]) == [
        "daisy/7568630428_8cf0fc16ff_n.jpg: A Guy Taking Pictures, "
        "https://www.flickr.com/photos/80901381@N04/7568630428/"
    ]
    assert flowers.credits([b"dandelion/14283011_3e7452c5b2_n.jpg"]) == [
        "dandelion/14283011_3e7452c5b2_n.jpg: Bruce, https://www.flickr.com/photos/67114894@N00/"
    ]
    with pytest.raises(KeyError, match="not listed"):
        flowers.credits(["daisy/none.jpg"])


def test_class_names_exist_in_both_languages():
    assert flowers.CLASS_NAMES["en"] == flowers.CLASSES
    assert len(flowers.CLASS_NAMES["bn"]) == 5 and flowers.CLASS_NAMES["bn"][2] == "গোলাপ"


# --- finding and verifying ------------------------------------------------------------------


def test_offline_copy_is_used_first_and_nothing_is_downloaded(offline_copy):
    folder, cache, _ = offline_copy
    assert flowers.photo_dir(download=False) == folder
    assert not (cache / "flower_photos").exists()


def test_verification_is_stamped_and_later_runs_hash_nothing(offline_copy, monkeypatch):
    folder, cache, _ = offline_copy
    flowers.photo_dir(download=False)
    assert len(list((cache / "flower_photos-verified").glob("*.json"))) == 1

    def no_hashing(path):
        raise AssertionError(f"{path} was hashed again although nothing changed")

    monkeypatch.setattr(flowers, "sha256_of", no_hashing)
    assert flowers.photo_dir(download=False) == folder


def test_a_changed_photo_is_caught_even_after_a_stamp(offline_copy):
    folder, _, _ = offline_copy
    flowers.photo_dir(download=False)
    damaged = folder / "roses" / sorted(os.listdir(folder / "roses"))[1]
    damaged.write_bytes(damaged.read_bytes()[:-10] + b"0123456789")  # same size, new mtime
    os.utime(damaged, ns=(1, 1))
    with pytest.raises(DataError) as info:
        flowers.photo_dir(download=False)
    message = str(info.value)
    assert str(damaged) in message and "neither the original" in message
    assert "Fix:" in message and "COURSE_DATA_DIR" in message


def test_a_missing_photo_is_reported_with_the_counts(offline_copy):
    folder, _, _ = offline_copy
    next((folder / "tulips").iterdir()).unlink()
    with pytest.raises(DataError, match=r"tulips holds 4 photos, expected 5"):
        flowers.photo_dir(download=False)


def test_an_unknown_photo_is_reported(offline_copy):
    folder, _, _ = offline_copy
    victim = next((folder / "daisy").iterdir())
    victim.rename(victim.with_name("stranger.jpg"))
    with pytest.raises(DataError, match=r"stranger\.jpg is not one of the flower photos"):
        flowers.photo_dir(download=False)


def test_missing_everywhere_says_where_it_looked_and_what_to_do(env, monkeypatch):
    data, cache = env
    monkeypatch.setattr(flowers, "expected_photo_set", lambda: photo_set({}))
    with pytest.raises(DataError) as info:
        flowers.photo_dir(download=False)
    message = str(info.value)
    assert str(data / "flower_photos") in message and str(cache / "flower_photos") in message
    assert "download=False" in message and "Fix:" in message


# --- the download path, offline: a fake archive behind a file:// address ------------------------


def test_download_is_verified_and_extracted_atomically_into_the_cache(tmp_path, env, monkeypatch):
    _, cache = env
    photos = make_photos(tmp_path / "made")
    archive = make_archive(tmp_path, photos)
    monkeypatch.setattr(flowers, "expected_photo_set", lambda: photo_set(photos, archive))
    folder = flowers.photo_dir()
    assert folder == cache / "flower_photos"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.jpg")) == sorted(photos)
    assert (folder / "LICENSE.txt").is_file()
    assert not list(tmp_path.rglob("outside*")), "a member outside flower_photos/ was extracted"
    assert not leftovers(cache), "temporary files were left behind"
    assert not list(cache.rglob("*.tgz")), "the archive was kept after extraction"
    # The extracted copy now serves without any download.
    broken = photo_set(photos)  # its archive address does not exist
    monkeypatch.setattr(flowers, "expected_photo_set", lambda: broken)
    assert flowers.photo_dir(download=False) == folder


def test_an_archive_of_the_wrong_size_is_refused_and_leaves_nothing(tmp_path, env, monkeypatch):
    _, cache = env
    photos = make_photos(tmp_path / "made")
    archive = make_archive(tmp_path, photos)
    wrong = photo_set(photos, archive)
    wrong = flowers.PhotoSet(wrong.counts, wrong.manifests, wrong.archive_url, 1234)
    monkeypatch.setattr(flowers, "expected_photo_set", lambda: wrong)
    with pytest.raises(DataError) as info:
        flowers.photo_dir()
    assert "expected 1,234" in str(info.value) and archive.as_uri() in str(info.value)
    assert not (cache / "flower_photos").exists() and not leftovers(cache)


def test_an_archive_with_damaged_photos_is_refused_and_leaves_nothing(tmp_path, env, monkeypatch):
    _, cache = env
    photos = make_photos(tmp_path / "made")
    archive = make_archive(tmp_path, photos)
    expected = photo_set(photos, archive)
    first = sorted(photos)[0]
    damaged = {kind: dict(sums) for kind, sums in expected.manifests.items()}
    damaged["original"][first] = "0" * 64
    damaged_set = flowers.PhotoSet(
        expected.counts, damaged, expected.archive_url, expected.archive_size
    )
    monkeypatch.setattr(flowers, "expected_photo_set", lambda: damaged_set)
    with pytest.raises(DataError, match=first.replace(".", r"\.")) as info:
        flowers.photo_dir()
    assert "download it anew" in str(info.value)
    assert not (cache / "flower_photos").exists() and not leftovers(cache)


# --- TFRecord shards and the tf.data pipeline ---------------------------------------------------


@pytest.fixture
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow

    return tensorflow


def read_records(tf, shards):
    spec = {
        "image": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "id": tf.io.FixedLenFeature([], tf.int64),
        "name": tf.io.FixedLenFeature([], tf.string),
    }
    return [tf.io.parse_single_example(r, spec) for r in tf.data.TFRecordDataset(shards)]


def number_in(image: np.ndarray) -> int:
    """Which fake photo an image shows, from its (nearly) solid colour."""
    mean = image.reshape(-1, 3).mean(axis=0) * (255 if image.max() <= 1 else 1)
    return int(np.argmin([np.abs(mean - colour_of(n)).sum() for n in range(12)]))


def test_shards_hold_every_photo_once_in_the_split_order(offline_copy, tf):
    folder, cache, photos = offline_copy
    shards = flowers.write_tfrecords(10)
    assert len(shards) == flowers.N_SHARDS
    assert all(cache in p.parents for p in shards), "shards must be written into the cache"
    records = read_records(tf, shards)
    order = flowers.photo_list(download=False)
    assert [int(r["id"]) for r in records] == list(range(len(photos)))
    assert [r["name"].numpy().decode() for r in records] == [path for path, _ in order]
    for record, (path, label) in zip(records, order, strict=True):
        assert int(record["label"]) == label == list(FAKE_CLASSES).index(path.split("/")[0])
        image = tf.io.decode_jpeg(record["image"]).numpy()
        assert image.shape == (10, 10, 3)
        assert number_in(image) == int(path.split("photo")[1][:2])
    assert not leftovers(cache)


def test_shards_are_written_once_and_rewritten_when_damaged(offline_copy, tf, monkeypatch):
    shards = flowers.write_tfrecords(10)
    written = [p.stat().st_mtime_ns for p in shards]

    def no_writing(*args):
        raise AssertionError("the shards were written again")

    with monkeypatch.context() as patch:
        patch.setattr(flowers, "_write_shards", no_writing)
        assert flowers.write_tfrecords(10) == shards
    assert [p.stat().st_mtime_ns for p in shards] == written
    shards[3].write_bytes(b"truncated")
    again = flowers.write_tfrecords(10)
    assert again == shards and len(read_records(tf, again)) == sum(FAKE_CLASSES.values())
    assert not leftovers(shards[0].parents[1])


def test_when_another_process_finishes_first_its_shards_are_used(offline_copy, tf, monkeypatch):
    folder, cache, _ = offline_copy
    real_write = flowers._write_shards
    other = {}

    def write_while_another_process_wins(verified, image_size, into, n_shards):
        index = real_write(verified, image_size, into, n_shards)
        # Meanwhile "another process" completes the same folder (by a real, nested call).
        with monkeypatch.context() as patch:
            patch.setattr(flowers, "_write_shards", real_write)
            other["shards"] = flowers.write_tfrecords(image_size)
        return index

    monkeypatch.setattr(flowers, "_write_shards", write_while_another_process_wins)
    shards = flowers.write_tfrecords(12)
    assert shards == other["shards"]
    assert len(read_records(tf, shards)) == sum(FAKE_CLASSES.values())
    assert not leftovers(cache), "the losing process must clean up its temporary folder"


def test_arrays_hold_every_photo_once_in_the_split_order(offline_copy):
    folder, cache, photos = offline_copy
    data = flowers.arrays(10)
    order = flowers.photo_list(download=False)
    assert data.images.shape == (len(photos), 10, 10, 3) and data.images.dtype == np.uint8
    assert cache in data.folder.parents, "arrays must be written into the cache"
    assert list(data.names) == [path for path, _ in order]
    assert data.labels.tolist() == [label for _, label in order]
    for image, (path, _) in zip(data.images, order, strict=True):
        assert number_in(image) == int(path.split("photo")[1][:2])
        assert np.array_equal(image, flowers.square_photo(folder / path, 10))
    assert not leftovers(cache)


def test_arrays_are_written_once_and_rewritten_when_damaged(offline_copy, monkeypatch):
    first = flowers.arrays(10)
    images_file = first.folder / "images.npy"
    written = images_file.stat().st_mtime_ns

    def no_writing(*args):
        raise AssertionError("the arrays were written again")

    with monkeypatch.context() as patch:
        patch.setattr(flowers, "_write_arrays", no_writing)
        assert flowers.arrays(10).folder == first.folder
    assert images_file.stat().st_mtime_ns == written
    del first
    images_file.write_bytes(b"truncated")
    again = flowers.arrays(10)
    assert again.images.shape[0] == sum(FAKE_CLASSES.values())
    assert not leftovers(again.folder.parents[1])


def test_an_interrupted_write_leaves_nothing_behind(offline_copy, monkeypatch):
    _, cache, _ = offline_copy

    def fail_halfway(verified, image_size, into):
        (into / "images.npy").write_bytes(b"half")
        raise KeyboardInterrupt

    monkeypatch.setattr(flowers, "_write_arrays", fail_halfway)
    with pytest.raises(KeyboardInterrupt):
        flowers.arrays(10)
    assert not leftovers(cache) and not list((cache / "flowers-arrays").iterdir())


def test_square_photo_crops_the_centre_of_a_wide_photo(tmp_path):
    pixels = np.zeros((30, 60, 3), np.uint8)
    pixels[:, 15:45] = (200, 40, 10)  # the central square of a 60×30 photo is coloured
    Image.fromarray(pixels).save(tmp_path / "wide.png")
    square = flowers.square_photo(tmp_path / "wide.png", 10)
    assert square.shape == (10, 10, 3)
    assert np.abs(square[:, 1:-1].astype(int) - (200, 40, 10)).max() <= 2


def seen(dataset):
    """The fake photo numbers and labels of every batch, and the weights of padded batches."""
    numbers, labels, weights = [], [], []
    for batch in dataset:
        images, batch_labels = batch[0], batch[1]
        assert images.dtype == np.float32 and images.shape[1:] == (8, 8, 3)
        assert batch_labels.dtype == np.int32
        assert 0.0 <= images.min() and images.max() <= 1.0
        numbers += [number_in(image) for image in images]
        labels += batch_labels.tolist()
        if len(batch) == 3:
            weights += batch[2].tolist()
    return numbers, labels, weights


def test_load_splits_deterministically_and_without_overlap(offline_copy):
    order = [int(path.split("photo")[1][:2]) for path, _ in flowers.photo_list(download=False)]
    train, validation = flowers.load(8, batch_size=3, limit=10, validation_fraction=0.3, seed=1)
    assert len(train) == 7 // 3 and len(validation) == 1  # 7 training photos, 3 for validation
    assert train.num_examples == 7 and validation.num_examples == 3
    val_numbers, _, weights = seen(validation)
    assert sorted(val_numbers) == sorted(order[:3]) and weights == [1.0, 1.0, 1.0]
    epoch1 = seen(train)[0]
    train.on_epoch_end()
    epoch2 = seen(train)[0]
    assert len(epoch1) == 6 and set(epoch1) <= set(order[3:10]) and set(epoch2) <= set(order[3:10])
    assert epoch1 != epoch2, "the training photos must be reshuffled every epoch"
    # The same seed gives the same order again; the split never changes.
    _, validation_again = flowers.load(8, batch_size=3, limit=10, validation_fraction=0.3)
    assert sorted(seen(validation_again)[0]) == sorted(val_numbers)
    same_seed, _ = flowers.load(8, batch_size=3, limit=10, validation_fraction=0.3, seed=1)
    assert seen(same_seed)[0] == epoch1


def test_the_last_validation_batch_is_padded_with_zero_weights(offline_copy):
    order = [int(path.split("photo")[1][:2]) for path, _ in flowers.photo_list(download=False)]
    _, validation = flowers.load(8, batch_size=4, validation_fraction=0.5)  # 6 photos, 4 + 2
    assert len(validation) == 2
    numbers, labels, weights = seen(validation)
    assert len(numbers) == 8 and weights == [1, 1, 1, 1, 1, 1, 0, 0]
    assert sorted(numbers[:6]) == sorted(order[:6])
    images, array_labels = validation.arrays()
    assert images.shape == (6, 8, 8, 3) and array_labels.tolist() == labels[:6]
    assert [number_in(image) for image in images] == numbers[:6]
    with pytest.raises(IndexError):
        validation[2]


def test_load_applies_augmentation_to_training_images_only(offline_copy):
    def darken(images, labels):
        return images * 0.0, labels

    train, validation = flowers.load(8, batch_size=2, augment=darken)
    assert all(batch[0].max() == 0.0 for batch in train)
    assert all(batch[0].max() > 0.0 for batch in validation)


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"limit": 1}, "between 2 and 12"),
        ({"limit": 99}, "between 2 and 12"),
        ({"validation_fraction": 1.0}, "between 0 and 1"),
        ({"batch_size": 64}, "raise limit or lower batch_size"),
        ({"batch_size": 0}, "positive whole number"),
        ({"augment": "flip", "batch_size": 2}, "give a function"),
    ],
)
def test_load_refuses_impossible_settings(offline_copy, kwargs, text):
    with pytest.raises(ValueError, match=text):
        flowers.load(8, **kwargs)


def test_tfrecord_load_splits_deterministically_and_without_overlap(offline_copy, tf):
    _, _, photos = offline_copy
    order = [int(path.split("photo")[1][:2]) for path, _ in flowers.photo_list(download=False)]
    train, validation = flowers.load_tfrecords(
        8, batch_size=3, limit=10, validation_fraction=0.3, seed=1
    )
    assert len(train) == 7 // 3 and len(validation) == 1  # 7 training photos, 3 for validation

    def shown(dataset):
        numbers, labels = [], []
        for images, batch_labels in dataset:
            assert images.dtype == tf.float32 and images.shape[1:] == (8, 8, 3)
            assert 0.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0
            numbers += [number_in(image) for image in images.numpy()]
            labels += batch_labels.numpy().tolist()
        return numbers, labels

    val_numbers, _ = shown(validation)
    assert sorted(val_numbers) == sorted(order[:3])
    epoch1, _ = shown(train)
    epoch2, _ = shown(train)
    assert len(epoch1) == 6 and set(epoch1) <= set(order[3:10]) and set(epoch2) <= set(order[3:10])
    # The same seed gives the same order again; the split never changes.
    train_again, validation_again = flowers.load_tfrecords(
        8, batch_size=3, limit=10, validation_fraction=0.3
    )
    assert sorted(shown(validation_again)[0]) == sorted(val_numbers)
    same_seed, _ = flowers.load_tfrecords(
        8, batch_size=3, limit=10, validation_fraction=0.3, seed=1
    )
    assert shown(same_seed)[0] == epoch1


def test_tfrecord_load_augments_training_images_only(offline_copy, tf):
    def darken(image, label):
        return image * 0.0, label

    train, validation = flowers.load_tfrecords(8, batch_size=2, augment=darken)
    assert all(float(tf.reduce_max(images)) == 0.0 for images, _ in train)
    assert all(float(tf.reduce_max(images)) > 0.0 for images, _ in validation)


@pytest.mark.parametrize(
    "kwargs, text",
    [
        ({"limit": 1}, "between 2 and 12"),
        ({"limit": 99}, "between 2 and 12"),
        ({"validation_fraction": 1.0}, "between 0 and 1"),
        ({"batch_size": 64}, "raise limit or lower batch_size"),
    ],
)
def test_tfrecord_load_refuses_impossible_settings(offline_copy, tf, kwargs, text):
    with pytest.raises(ValueError, match=text):
        flowers.load_tfrecords(8, **kwargs)


@pytest.mark.parametrize("size", [32.5, True, 4, 5000])
def test_image_size_must_be_a_whole_number_of_pixels(offline_copy, size):
    with pytest.raises(ValueError, match="whole number of pixels"):
        flowers.write_tfrecords(size)
    with pytest.raises(ValueError, match="whole number of pixels"):
        flowers.arrays(size)


# --- the real offline copy ------------------------------------------------------------------


@pytest.mark.skipif(
    not (os.environ.get("COURSE_DATA_DIR") or (SHARED_DATA / "flower_photos").is_dir()),
    reason="needs the offline copy of the flower photos (COURSE_DATA_DIR)",
)
def test_the_offline_copy_verifies_once_then_from_its_stamp(monkeypatch, tmp_path):
    if not os.environ.get("COURSE_DATA_DIR"):
        monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED_DATA))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    verified = flowers.verify(flowers.photo_dir(download=False))
    assert len(verified.paths) == 3670 and sum(verified.kinds.values()) == 3670
    assert np.bincount(verified.labels).tolist() == [633, 898, 641, 699, 799]
    monkeypatch.setattr(flowers, "sha256_of", lambda path: pytest.fail(f"{path} hashed again"))
    assert flowers.photo_dir(download=False) == verified.folder
