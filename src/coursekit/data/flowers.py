"""The flower photos: 3,670 photos of five kinds of flower, ready for Keras on any backend.

Chapters 10 to 12 train Keras classifiers on these photos. The public API is small:

- :func:`photo_dir` returns a verified folder of the photos (finding or downloading it);
- :func:`arrays` decodes them once per image size into arrays in the cache (no TensorFlow);
- :func:`load` returns training and validation ``keras.utils.PyDataset`` batches read from them;
- :func:`write_tfrecords` and :func:`load_tfrecords`: the codelab's TFRecord shards and
  ``tf.data`` pipeline (TensorFlow only);
- :func:`credits` names the photographers of given photos (CC BY 2.0 asks for it);
- :data:`CLASSES` and :data:`CLASS_NAMES` (English and Bengali), :data:`LICENSE_PATH`.

Finding the photos
    :func:`photo_dir` looks, in this order, at

    1. ``$COURSE_DATA_DIR/flower_photos``, an offline copy;
    2. ``<cache>/flower_photos``, an extracted copy in the user's cache (``COURSE_CACHE_DIR``,
       else ``$XDG_CACHE_HOME/dl-bangla-course``, else ``~/.cache/dl-bangla-course``);
    3. the canonical archive :data:`ARCHIVE_URL`, downloaded into a temporary folder in the
       cache, checked by its size (:data:`ARCHIVE_SIZE` bytes), extracted there, verified, and
       only then renamed to ``<cache>/flower_photos``; the archive itself is deleted.

Verification
    A folder is used only if each class folder holds the expected number of photos (daisy 633,
    dandelion 898, roses 641, sunflowers 699, tulips 799) and the sha256 of every photo is the
    one listed for it either among the ORIGINAL photos of the archive or among the photos of the
    course's re-encoded offline copy (JPEG quality 90, shorter side at most 192 px). Both lists
    ship with this package, in ``coursekit/data/flower_files/``, as ``flower_photos-original-
    sha256.txt.gz`` and ``flower_photos-reencoded-sha256.txt.gz`` (``sha256sum`` format, paths
    relative to ``flower_photos/``). A folder that is present but fails raises
    :class:`~coursekit.data.DataError`, naming the file and what to do (a photo replaced by a
    folder, a missing, extra or changed photo); hidden names (``.*``) are not photos. A folder
    that cannot be read here is skipped, and the search goes on.

The verification stamp
    Hashing 3,670 files takes about a second, so a folder that passed is recorded in a small
    JSON stamp, ``<cache>/flower_photos-verified/<key>.json``, where the key is derived from the
    folder's absolute path. The stamp holds a fingerprint of every photo's name, size and
    modification time (and of the lists above). Later runs recompute only that fingerprint,
    which costs a directory listing, and hash everything again as soon as any photo was added,
    removed, resized or touched. A photo rewritten in place with the same size and the same
    modification time would go unnoticed: delete ``<cache>/flower_photos-verified`` to force a
    full check. Where the cache cannot be written, every run hashes the photos.

TFRecord shards
    :func:`write_tfrecords` centre-crops every photo to a square, resizes it to ``image_size``
    pixels, encodes it as JPEG (quality 95) and writes it with its label into 16 TFRecord files
    (the format TPUs read from cloud storage) in ``<cache>/flowers-tfrecord/<size>px-<id>/``,
    where ``<id>`` identifies the verified photos. Each record is a ``tf.train.Example`` with
    the features ``image`` (JPEG bytes), ``label`` (int64, an index into :data:`CLASSES`),
    ``id`` (int64, the photo's position in the fixed shuffle below) and ``name`` (bytes, the
    photo's path such as ``b"roses/123_abc.jpg"``). The shards are written into a temporary
    folder that is renamed into place when complete; when another process finished first, its
    shards are used. Nothing is ever written into the course's source tree.

Files built into the cache
    The shards and the decoded arrays of :func:`arrays` are listed, with their size and sha256,
    in the ``index.json`` of their folder, written last. Before they are used, the sizes are
    compared and the sha256 computed again once per process and file (and again whenever a file's
    modification time changes); a folder whose files changed, or that an interrupted run left
    incomplete, is built anew. A process killed while building leaves a hidden temporary folder,
    removed the next time the cache is used (:func:`coursekit.files.remove_stale_temps`). Where
    the cache cannot be written, :func:`arrays` decodes the photos into memory (with a warning)
    and the shards raise :class:`~coursekit.data.store.CacheNotWritable`, naming the folder.

The split
    The photos, sorted by path, are shuffled once with a fixed seed; a photo's position in that
    order is its ``id``. The validation set is the first ``validation_fraction`` of the photos in
    use and the training set the rest, so the split is the same on every machine and in every
    run. With ``limit``, only the photos with ``id < limit`` are used, which is the quick mode's
    subset; its validation photos are validation photos of the full data set too.

Nothing here imports TensorFlow or Keras until a function that needs it is called; only
:func:`write_tfrecords` and :func:`load_tfrecords` need TensorFlow.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tarfile
import urllib.error
import urllib.request
import warnings
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..files import NotWritableError, sha256_of, temp_dir, write_atomic
from ..lang import LANGS, Messages
from .store import (
    CacheNotWritable,
    DataError,
    NotReadable,
    cache_dir,
    not_writable,
    search_dirs,
    tidy_cache,
    unreadable,
)

__all__ = [
    "ARCHIVE_SIZE",
    "ARCHIVE_URL",
    "CLASSES",
    "CLASS_NAMES",
    "LICENSE_PATH",
    "LICENSE_URL",
    "credits",
    "load",
    "photo_dir",
    "photo_list",
    "write_tfrecords",
]

CLASSES = ("daisy", "dandelion", "roses", "sunflowers", "tulips")
"""The class folders; a label is an index into this tuple."""

_NAMES = Messages(
    {
        "en": {"classes": CLASSES},
        "bn": {"classes": ("ডেইজি", "ড্যান্ডেলিয়ন", "গোলাপ", "সূর্যমুখী", "টিউলিপ")},
    }
)
CLASS_NAMES = {lang: _NAMES(lang, "classes") for lang in LANGS}
"""The class names in each of the course's languages, in label order: ``CLASS_NAMES["bn"]``."""

COUNTS = {"daisy": 633, "dandelion": 898, "roses": 641, "sunflowers": 699, "tulips": 799}

ARCHIVE_URL = (
    "https://storage.googleapis.com/download.tensorflow.org/example_images/flower_photos.tgz"
)
ARCHIVE_SIZE = 228_813_984
FOLDER_NAME = "flower_photos"

PACKAGE_DATA = Path(__file__).with_name("flower_files")
LICENSE_PATH = PACKAGE_DATA / "flower_photos-LICENSE.txt"
"""The photographers of all 3,670 photos: ``flower_photos/LICENSE.txt`` of the archive, verbatim."""
LICENSE_URL = "https://creativecommons.org/licenses/by/2.0/"
ORIGINAL_SUMS = PACKAGE_DATA / "flower_photos-original-sha256.txt.gz"
REENCODED_SUMS = PACKAGE_DATA / "flower_photos-reencoded-sha256.txt.gz"
ORIGINAL_SUMS_SHA256 = "b0e4a7892b26e34391f1a05013ff529f609896cbf59a5fc33f639cc73b192483"

SPLIT_SEED = 2026
N_SHARDS = 16
JPEG_QUALITY = 95
STAMP_VERSION = 1
SHARD_FORMAT = 2


# --- what a good copy looks like -----------------------------------------------------------


@dataclass(frozen=True)
class PhotoSet:
    """The expected photos: per-class counts, sha256 lists by kind, and the archive's address."""

    counts: dict[str, int]
    manifests: dict[str, dict[str, str]]  # kind ("original", "re-encoded") -> {path: sha256}
    archive_url: str
    archive_size: int

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.counts)

    def digest(self) -> str:
        """A short hash of everything above, so that a changed expectation voids old stamps."""
        text = json.dumps(
            [self.counts, sorted((k, sorted(m.items())) for k, m in self.manifests.items())],
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


_SUM_LINE = re.compile(r"^(?P<digest>[0-9a-fA-F]{64}) [ *]?(?P<path>\S.*?)\s*$")


def parse_sums(text: str, source: str | Path = "the checksum list") -> dict[str, str]:
    """``sha256sum`` output (``<hex>  <path>`` per line) as a dict path -> sha256.

    A line that is not of that form raises DataError naming ``source`` and the line.
    """
    sums = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUM_LINE.match(line.strip())
        if match is None:
            raise DataError(
                f"{source}, line {number}: {line[:80]!r} is not a checksum line "
                "('<64 hex digits>  <path>'). "
                + (_REINSTALL if Path(source).parent == PACKAGE_DATA else "Fix that line.")
            )
        sums[match["path"].removeprefix("./")] = match["digest"].lower()
    return sums


def make_manifest(folder: Path) -> str:
    """The ``sha256sum`` text of every ``*/*.jpg`` below ``folder``, sorted by path.

    This is how ``flower_photos-reencoded-sha256.txt.gz`` was made from the offline copy.
    """
    lines = [
        f"{sha256_of(p)}  {p.relative_to(folder).as_posix()}\n"
        for p in sorted(folder.glob("*/*.jpg"))
    ]
    return "".join(lines)


_REINSTALL = "Fix: reinstall the course package (pip install --force-reinstall)."


def _read_gzip(path: Path) -> bytes:
    """A shipped ``.gz`` list, or DataError naming it when it is missing or damaged."""
    try:
        return gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"{path} cannot be read ({err}). {_REINSTALL}") from None


@lru_cache(maxsize=1)
def _shipped_photo_set() -> PhotoSet:
    original = _read_gzip(ORIGINAL_SUMS)
    if hashlib.sha256(original).hexdigest() != ORIGINAL_SUMS_SHA256:
        raise DataError(
            f"{ORIGINAL_SUMS} is damaged (its content's sha256 is not {ORIGINAL_SUMS_SHA256}). "
            + _REINSTALL
        )
    reencoded = _read_gzip(REENCODED_SUMS).decode("utf-8", errors="replace")
    return PhotoSet(
        counts=dict(COUNTS),
        manifests={
            "original": parse_sums(original.decode(), ORIGINAL_SUMS),
            "re-encoded": parse_sums(reencoded, REENCODED_SUMS),
        },
        archive_url=ARCHIVE_URL,
        archive_size=ARCHIVE_SIZE,
    )


def expected_photo_set() -> PhotoSet:
    """What the course accepts as the flower photos (tests replace this with a small set)."""
    return _shipped_photo_set()


# --- verification, with a stamp so that it happens once -----------------------------------------


@dataclass(frozen=True)
class Verified:
    """A folder that passed: its photos' paths (sorted), their labels and a content hash."""

    folder: Path
    paths: tuple[str, ...]
    labels: tuple[int, ...]
    content: str  # sha256 of the sorted "sha256  path" lines
    kinds: dict[str, int]  # how many photos matched each kind of list


def _list_photos(folder: Path, expected: PhotoSet) -> tuple[list[str], list[int]]:
    paths, labels = [], []
    for label, name in enumerate(expected.classes):
        class_dir = folder / name
        if not class_dir.is_dir():
            raise DataError(
                f"{folder} is not a complete copy of the flower photos: it has no folder "
                f"{name}/. {_fix(folder)}"
            )
        found = []
        # hidden names (temporaries, ._ files) are not photos
        with os.scandir(class_dir) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.name.lower().endswith(".jpg"):
                    continue
                if not entry.is_file():
                    raise DataError(
                        f"{entry.path} is a folder (or something else), not a photo. {_fix(folder)}"
                    )
                found.append(entry.name)
        found.sort()
        if len(found) != expected.counts[name]:
            raise DataError(
                f"{class_dir} holds {len(found)} photos, expected {expected.counts[name]}. "
                f"{_fix(folder)}"
            )
        paths += [f"{name}/{f}" for f in found]
        labels += [label] * len(found)
    return paths, labels


def _fix(folder: Path) -> str:
    cache = cache_dir().resolve()
    if folder.parent.resolve() == cache:
        return f"Fix: delete {folder} and run again to download a fresh copy."
    if cache in folder.resolve().parents:  # a download, extracted into a temporary folder
        return (
            "The download was damaged or the archive has changed: run again to download it "
            "anew, or set COURSE_DATA_DIR to a folder that holds a good copy of flower_photos/."
        )
    return (
        f"Fix: replace {folder} with a good copy (the folder flower_photos/ of {ARCHIVE_URL}), "
        "or unset COURSE_DATA_DIR so that the course downloads the photos into its cache."
    )


def _fingerprint(folder: Path, paths: Sequence[str], expected: PhotoSet) -> str:
    digest = hashlib.sha256(f"{STAMP_VERSION} {expected.digest()}\n".encode())
    for path in paths:
        st = (folder / path).stat()
        digest.update(f"{path} {st.st_size} {st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _stamp_path(folder: Path) -> Path:
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:20]
    return cache_dir() / "flower_photos-verified" / f"{key}.json"


def verify(folder: Path, *, use_stamp: bool = True) -> Verified:
    """Check ``folder`` (counts, then every sha256); raise DataError naming what is wrong."""
    expected = expected_photo_set()
    folder = Path(folder)
    try:
        paths, labels = _list_photos(folder, expected)
        fingerprint = _fingerprint(folder, paths, expected)
    except OSError as err:  # a folder or photo that this user may not read
        raise NotReadable(f"{err.filename or folder} {unreadable(err)}") from None
    stamp = _stamp_path(folder)
    if use_stamp:
        try:
            data = json.loads(stamp.read_text(encoding="utf-8"))
            if data.get("fingerprint") == fingerprint and data.get("folder") == str(
                folder.resolve()
            ):
                return Verified(folder, tuple(paths), tuple(labels), data["content"], data["kinds"])
        except (OSError, ValueError, KeyError):
            pass  # no stamp, or an unreadable one: check the photos
    kinds = dict.fromkeys(expected.manifests, 0)
    content = hashlib.sha256()
    for path in paths:
        try:
            digest = sha256_of(folder / path)
        except OSError as err:
            raise NotReadable(f"{folder / path} {unreadable(err)}") from None
        kind = next((k for k, m in expected.manifests.items() if m.get(path) == digest), None)
        if kind is None:
            if not any(path in m for m in expected.manifests.values()):
                problem = "is not one of the flower photos"
            else:
                problem = (
                    f"has sha256 {digest}, which is neither the original photo's nor that of "
                    "the course's re-encoded copy (a damaged or changed file)"
                )
            raise DataError(f"{folder / path} {problem}. {_fix(folder)}")
        kinds[kind] += 1
        content.update(f"{digest}  {path}\n".encode())
    result = Verified(folder, tuple(paths), tuple(labels), content.hexdigest(), kinds)
    if use_stamp:
        record = {"folder": str(folder.resolve()), "fingerprint": fingerprint}
        record |= {"content": result.content, "kinds": kinds}
        try:
            write_atomic(stamp, json.dumps(record, indent=1))
        except OSError:
            pass  # a read-only cache only costs time
    return result


# --- finding or downloading the photos ---------------------------------------------------------


def _download(url: str, target: Path, size: int, timeout: float) -> None:
    with open(target, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as src:
        written = 0
        for block in iter(lambda: src.read(1 << 20), b""):
            written += len(block)
            if written > size:
                break
            out.write(block)
    if written != size:
        raise DataError(
            f"the download from {url} has {'more than ' if written > size else ''}{written:,} "
            f"bytes, expected {size:,}"
        )


def _extract(archive: Path, into: Path) -> Path:
    """Extract the photos and LICENSE.txt of ``flower_photos/``; nothing outside it."""
    wanted = re.compile(rf"^{FOLDER_NAME}/(LICENSE\.txt|[a-z]+/[^/]+\.jpg)$")
    with tarfile.open(archive, "r:*") as tar:
        members = [m for m in tar.getmembers() if m.isfile() and wanted.match(m.name)]
        tar.extractall(into, members=members, filter="data")
    return into / FOLDER_NAME


def _download_photos(timeout: float) -> Verified:
    expected = expected_photo_set()
    final = cache_dir() / FOLDER_NAME
    try:
        with temp_dir(final.parent, FOLDER_NAME) as work:
            archive = work / "flower_photos.tgz"
            _download(expected.archive_url, archive, expected.archive_size, timeout)
            extracted = _extract(archive, work / "x")
            archive.unlink()
            verify(extracted, use_stamp=False)
            os.chmod(extracted, 0o755)
            try:
                os.rename(extracted, final)
            except OSError:
                if not final.is_dir():  # not a finished copy of another process: a real failure
                    raise
    except NotWritableError as err:
        raise not_writable(err, f"the flower photos (about 230 MB) into {final}") from None
    return verify(final)  # cheap when another process already stamped it; records the stamp


def photo_dir(*, download: bool = True, timeout: float = 60.0) -> Path:
    """The folder ``flower_photos/`` of verified photos: offline copy, cache, or a download.

    A folder that exists but fails the check raises DataError (naming the file and the fix);
    only a missing folder, or one that cannot be read here (no permission), makes the search go
    on, and the final DataError names it. The download needs about 230 MB.
    """
    return _find(download, timeout).folder


def _find(download: bool, timeout: float = 60.0) -> Verified:
    tidy_cache()
    looked, fixes = [], []
    for origin, base in search_dirs():
        folder = base / FOLDER_NAME
        try:
            if not folder.is_dir():
                looked.append(f"{folder} ({origin}): not there")
                continue
            return verify(folder)
        except NotReadable as err:  # no permission here: not usable, so look on
            looked.append(f"{folder} ({origin}): {err}")
        except OSError as err:
            looked.append(f"{folder} ({origin}): {unreadable(err)}")
        fixes.append(f"make {folder} readable (ask its owner, or chmod -R a+rX)")
    expected = expected_photo_set()
    writable = True
    if download:
        try:
            return _download_photos(timeout)
        except CacheNotWritable as err:
            looked.append(f"{expected.archive_url}: not downloaded: {str(err).splitlines()[0]}")
            fixes.append(
                f"make {cache_dir()} writable, or set COURSE_CACHE_DIR to a folder you can write to"
            )
            writable = False
        except (urllib.error.URLError, OSError, tarfile.TarError, DataError) as err:
            looked.append(f"{expected.archive_url}: download failed ({err})")
    else:
        looked.append(f"{expected.archive_url}: not downloaded (download=False)")
    if writable:
        fixes.append(
            f"connect to the internet and run again, or extract {expected.archive_url} "
            f"({expected.archive_size:,} bytes) into {cache_dir()}"
        )
    fixes.append(f"set COURSE_DATA_DIR to a folder that holds {FOLDER_NAME}/")
    raise DataError(
        "cannot find the flower photos.\n  Looked at:\n    - "
        + "\n    - ".join(looked)
        + "\n  Fix: "
        + ", or ".join(fixes)
        + "."
    )


def _split_order(n: int) -> np.ndarray:
    return np.random.default_rng(SPLIT_SEED).permutation(n)


def photo_list(*, download: bool = True) -> list[tuple[str, int]]:
    """Every photo as ``(path relative to flower_photos/, label)``, in the fixed shuffled order.

    The position in this list is the photo's ``id``: the split and ``limit`` of :func:`load`
    are defined by it.
    """
    verified = _find(download)
    order = _split_order(len(verified.paths))
    return [(verified.paths[i], verified.labels[i]) for i in order]


# --- credits -------------------------------------------------------------------------------------

_CREDIT_FORMS = (
    re.compile(r"^(?P<path>\S+\.jpg) CC-BY by (?P<who>.*?) - (?P<url>https?://\S+)\s*$"),
    re.compile(r"^(?P<path>\S+\.jpg) CC-BY (?P<url>https?://\S+) - by (?P<who>.*?)\s*$"),
)


@lru_cache(maxsize=1)
def _credit_table() -> dict[str, tuple[str, str]]:
    table = {}
    for line in LICENSE_PATH.read_text(encoding="utf-8").splitlines():
        for form in _CREDIT_FORMS:
            match = form.match(line)
            if match:
                table[match["path"]] = (" ".join(match["who"].split()), match["url"])
                break
    return table


def credits(paths: Iterable[str | bytes]) -> list[str]:
    """One line per photo: ``"<path>: <photographer>, <flickr address>"``, from LICENSE.txt.

    Accepts paths as ``str`` or ``bytes`` (the ``name`` feature of a record).
    """
    table = _credit_table()
    lines = []
    for path in paths:
        path = path.decode() if isinstance(path, bytes) else str(path)
        if path not in table:
            raise KeyError(f"{path} is not listed in {LICENSE_PATH}.")
        who, url = table[path]
        lines.append(f"{path}: {who}, {url}")
    return lines


# --- files built into the cache: recorded when written, checked when used ----------------------

_CHECKED: dict[tuple[int, int, int, int], str] = {}
"""Files whose sha256 this process has computed: (device, inode, size, mtime) -> sha256."""


def _file_key(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _record(path: Path) -> dict:
    """The size and sha256 of a file just written, for its folder's index."""
    digest = sha256_of(path)
    key = _file_key(path)
    _CHECKED[key] = digest
    return {"bytes": key[2], "sha256": digest}


def _damage(folder: Path, name: str, size: int, digest: str) -> str | None:
    """None if ``folder / name`` still has the size and sha256 it was written with, else what
    changed. The sha256 is computed once per process and file (a file rewritten since has
    another modification time, and is hashed again)."""
    path = folder / name
    try:
        key = _file_key(path)
    except FileNotFoundError:
        return f"{name} is missing"
    if key[2] != size:
        return f"{name} has {key[2]:,} bytes, but had {size:,} when it was written"
    if _CHECKED.get(key) != digest:
        found = sha256_of(path)
        if found != digest:
            return f"{name} has sha256 {found}, but had {digest} when it was written"
        _CHECKED[key] = found
    return None


def _read_index(folder: Path, fmt: int, files_of: Callable) -> tuple[dict | None, str | None]:
    """``(index, None)`` if ``folder`` holds a complete, intact build, else ``(None, why)``
    (``why`` is None when there is no folder at all). ``files_of(index)`` lists the
    ``(name, bytes, sha256)`` of its files."""
    if not folder.is_dir():
        return None, None
    try:
        index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
        if index.get("format") != fmt:
            return None, "it was written by an older version of the course"
        for name, size, digest in files_of(index):
            problem = _damage(folder, name, size, digest)
            if problem is not None:
                return None, problem
        return index, None
    except FileNotFoundError:
        return None, "it is incomplete (an interrupted run)"
    except OSError as err:
        return None, unreadable(err)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, "its index.json is damaged"


# --- TFRecord shards ----------------------------------------------------------------------------


def _shard_index(folder: Path) -> tuple[dict | None, str | None]:
    """The shards' index if ``folder`` holds a complete, intact set of shards (see _read_index)."""
    return _read_index(
        folder,
        SHARD_FORMAT,
        lambda index: [(s["file"], s["bytes"], s["sha256"]) for s in index["shards"]],
    )


def _square_jpeg(tf: Any, image_size: int) -> Callable:
    def prepare(path):
        image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
        # The shorter side becomes image_size exactly, the longer one keeps the aspect ratio
        # (rounded up); integer arithmetic, so that no float rounding adds a pixel.
        height_width = tf.shape(image)[:2]
        shorter = tf.reduce_min(height_width)
        new_size = (height_width * image_size + shorter - 1) // shorter
        image = tf.image.resize(image, new_size, antialias=True)
        image = tf.image.resize_with_crop_or_pad(image, image_size, image_size)  # central crop
        image = tf.cast(tf.clip_by_value(tf.round(image), 0.0, 255.0), tf.uint8)
        return tf.io.encode_jpeg(image, quality=JPEG_QUALITY)

    return prepare


def _write_shards(verified: Verified, image_size: int, into: Path, n_shards: int) -> dict:
    import tensorflow as tf

    order = _split_order(len(verified.paths))
    files = [str(verified.folder / verified.paths[i]) for i in order]
    jpegs = tf.data.Dataset.from_tensor_slices(files).map(
        _square_jpeg(tf, image_size), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
    bounds = np.linspace(0, len(files), n_shards + 1).round().astype(int)
    shards = []
    records = iter(jpegs.as_numpy_iterator())
    for k in range(n_shards):
        name = f"flowers-{image_size}px-{k:02d}-of-{n_shards:02d}.tfrec"
        with tf.io.TFRecordWriter(str(into / name)) as writer:
            for photo_id in range(bounds[k], bounds[k + 1]):
                source = verified.paths[order[photo_id]]
                features = {
                    "image": _bytes_feature(tf, next(records)),
                    "label": _int_feature(tf, verified.labels[order[photo_id]]),
                    "id": _int_feature(tf, photo_id),
                    "name": _bytes_feature(tf, source.encode()),
                }
                example = tf.train.Example(features=tf.train.Features(feature=features))
                writer.write(example.SerializeToString())
        shards.append(
            {"file": name, "first_id": int(bounds[k]), "stop_id": int(bounds[k + 1])}
            | _record(into / name)
        )
    return {
        "format": SHARD_FORMAT,
        "image_size": image_size,
        "photos": len(files),
        "content": verified.content,
        "shards": shards,
    }


def _bytes_feature(tf: Any, value: bytes):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))


def _int_feature(tf: Any, value: int):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))


def _shards_for(image_size: int, download: bool) -> tuple[Path, dict]:
    verified, final = _cached_folder("flowers-tfrecord", image_size, download)
    index = _build_once(
        final,
        _shard_index,
        lambda work: _write_shards(verified, int(image_size), work, N_SHARDS),
        f"the TFRecord shards into {final}",
    )
    return final, index


def write_tfrecords(image_size: int = 192, *, download: bool = True) -> list[Path]:
    """The TFRecord shards of all photos at ``image_size`` × ``image_size``, written once.

    Returns the 16 shard paths in order (shard ``k`` holds the photos with consecutive ids).
    The first call for a size writes them into the cache (on two CPU cores, about 3 s at 32 px
    and 12 s at 192 px from the re-encoded photos); later calls only check that they are
    complete.
    """
    folder, index = _shards_for(image_size, download)
    return [folder / shard["file"] for shard in index["shards"]]


# --- decoded arrays: the pipeline that needs no TensorFlow ---------------------------------------

ARRAY_FORMAT = 2


def square_photo(path: str | Path, image_size: int) -> np.ndarray:
    """One photo as a uint8 array [image_size, image_size, 3]: the shorter side scaled to
    ``image_size`` (antialiased), then the central square cut out."""
    from PIL import Image

    with Image.open(path) as photo:
        photo = photo.convert("RGB")
        width, height = photo.size
        shorter = min(width, height)
        # Integer arithmetic (rounding up), so that no float rounding adds or loses a pixel.
        new_w = (width * image_size + shorter - 1) // shorter
        new_h = (height * image_size + shorter - 1) // shorter
        photo = photo.resize((new_w, new_h), Image.Resampling.BILINEAR, reducing_gap=None)
        left, top = (new_w - image_size) // 2, (new_h - image_size) // 2
        photo = photo.crop((left, top, left + image_size, top + image_size))
        return np.asarray(photo, dtype=np.uint8)


def _array_index(folder: Path) -> tuple[dict | None, str | None]:
    """The index of a complete, intact set of arrays in ``folder`` (see _read_index)."""
    return _read_index(
        folder,
        ARRAY_FORMAT,
        lambda index: [(name, f["bytes"], f["sha256"]) for name, f in index["files"].items()],
    )


def _decode_into(images: np.ndarray, verified: Verified, order: np.ndarray) -> None:
    """Fill ``images`` [N, size, size, 3] with the photos in ``order``, in parallel."""
    from concurrent.futures import ThreadPoolExecutor

    image_size = images.shape[1]

    def put(photo_id: int) -> None:
        images[photo_id] = square_photo(
            verified.folder / verified.paths[order[photo_id]], image_size
        )

    with ThreadPoolExecutor(max_workers=min(8, (os.cpu_count() or 1) + 2)) as pool:
        list(pool.map(put, range(len(order))))


def _in_split_order(verified: Verified) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """``(order, labels, names)`` of the photos in the fixed shuffle of :func:`photo_list`."""
    order = _split_order(len(verified.paths))
    labels = np.asarray([verified.labels[i] for i in order], dtype=np.int64)
    return order, labels, tuple(verified.paths[i] for i in order)


def _write_arrays(verified: Verified, image_size: int, into: Path) -> dict:
    order, labels, names = _in_split_order(verified)
    n = len(order)
    images = np.lib.format.open_memmap(
        into / "images.npy", mode="w+", dtype=np.uint8, shape=(n, image_size, image_size, 3)
    )
    _decode_into(images, verified, order)
    images.flush()
    del images  # written and closed before its size and sha256 are recorded
    np.save(into / "labels.npy", labels, allow_pickle=False)
    (into / "names.txt").write_text("".join(name + "\n" for name in names), encoding="utf-8")
    files = {name: _record(into / name) for name in ("images.npy", "labels.npy", "names.txt")}
    return {
        "format": ARRAY_FORMAT,
        "image_size": image_size,
        "photos": n,
        "content": verified.content,
        "files": files,
    }


def _cached_folder(kind: str, image_size: int, download: bool) -> tuple[Verified, Path]:
    if isinstance(image_size, bool) or not isinstance(image_size, int | np.integer):
        raise ValueError(f"image_size={image_size!r}: give a whole number of pixels, 8 to 1024.")
    if not 8 <= image_size <= 1024:
        raise ValueError(f"image_size={image_size!r}: give a whole number of pixels, 8 to 1024.")
    verified = _find(download)
    return verified, cache_dir() / kind / f"{int(image_size)}px-{verified.content[:12]}"


def _build_once(final: Path, read_index: Callable, build: Callable, what: str) -> dict:
    """Build a cache folder in a temporary sibling and rename it into place when complete.

    ``read_index(folder)`` returns ``(index, None)`` for a complete, intact folder, else
    ``(None, why)``; ``build(work)`` fills ``work`` and returns the index, which is written last
    (a folder with an index is complete). A folder that an interrupted run left incomplete, or
    whose files changed since they were written, is moved aside and built again; when another
    process finished first, its folder is used. CacheNotWritable (naming ``what`` had to be
    saved, and why) when the cache cannot be written.
    """
    index, problem = read_index(final)
    if index is not None:
        return index
    try:
        with temp_dir(final.parent, final.name) as work:
            index = build(work)
            write_atomic(work / "index.json", json.dumps(index, indent=1))
            if final.exists() and read_index(final)[0] is None:
                with temp_dir(final.parent, final.name) as stale:
                    try:
                        os.rename(final, stale / "old")
                    except OSError:
                        pass  # another process moved or replaced it first
            try:
                os.rename(work, final)
            except OSError:
                if read_index(final)[0] is None:  # not a finished copy of another process
                    raise
    except NotWritableError as err:
        if problem is not None:
            what += f" (the copy there cannot be used: {problem})"
        raise not_writable(err, what) from None
    return read_index(final)[0] or index


@dataclass(frozen=True)
class FlowerArrays:
    """All photos at one size, in the fixed shuffled order (position = ``id``).

    ``images``: uint8 [N, size, size, 3], a read-only memory map of the cache file (only the
    photos in use are read into memory); ``labels``: int64 [N]; ``names``: the photos' paths.
    """

    images: np.ndarray
    labels: np.ndarray
    names: tuple[str, ...]
    folder: Path | None  # None: the cache could not be written, the arrays are in memory


def _arrays_in_memory(verified: Verified, image_size: int) -> FlowerArrays:
    order, labels, names = _in_split_order(verified)
    images = np.empty((len(order), image_size, image_size, 3), np.uint8)
    _decode_into(images, verified, order)
    images.flags.writeable = False
    return FlowerArrays(images, labels, names, None)


def arrays(image_size: int = 192, *, download: bool = True) -> FlowerArrays:
    """The photos decoded once into ``<cache>/flowers-arrays/<size>px-<id>/``, as arrays.

    Every photo is scaled (shorter side to ``image_size``) and centre-cropped to a square, in
    the fixed shuffle of :func:`photo_list`. The first call for a size writes the files (about
    10 s at 192 px on two cores, 0.4 GB) with their sizes and sha256; later calls open them,
    after checking them (the sha256 once per process, about a second at 192 px; files that
    changed are written again).
    Where the cache cannot be written, the photos are decoded into memory instead (again in
    every session), with a warning that says how to let the course keep them.
    """
    verified, final = _cached_folder("flowers-arrays", image_size, download)
    try:
        _build_once(
            final,
            _array_index,
            lambda work: _write_arrays(verified, int(image_size), work),
            f"the decoded photos into {final}",
        )
    except CacheNotWritable as err:
        warnings.warn(
            f"{err}\n  Meanwhile the photos are decoded into memory, again in every session.",
            RuntimeWarning,
            stacklevel=2,
        )
        return _arrays_in_memory(verified, int(image_size))
    images = np.load(final / "images.npy", mmap_mode="r", allow_pickle=False)
    labels = np.load(final / "labels.npy", allow_pickle=False)
    names = tuple((final / "names.txt").read_text(encoding="utf-8").splitlines())
    if not (len(images) == len(labels) == len(names)):
        raise DataError(f"{final} is inconsistent; delete it and run again.")
    return FlowerArrays(images, labels, names, final)


def split_sizes(used: int, validation_fraction: float) -> tuple[int, int]:
    """``(validation photos, training photos)`` among the first ``used`` photos."""
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"validation_fraction={validation_fraction!r}: choose between 0 and 1.")
    n_validation = min(max(1, round(used * validation_fraction)), used - 1)
    return n_validation, used - n_validation


def _split_for(total: int, limit, validation_fraction: float, batch_size: int):
    """``(photos used, validation photos, training photos)``; ValueError for impossible settings."""
    used = total if limit is None else int(limit)
    if not 2 <= used <= total:
        raise ValueError(f"limit={limit!r}: use between 2 and {total} photos, or None for all.")
    n_validation, n_train = split_sizes(used, validation_fraction)
    if n_train < batch_size:
        raise ValueError(
            f"only {n_train} training photos for batch_size={batch_size}: raise limit or lower "
            "batch_size."
        )
    return used, n_validation, n_train


@lru_cache(maxsize=1)
def _batches_class():
    import keras

    class FlowerBatches(keras.utils.PyDataset):
        """Batches of flower photos for ``model.fit``, on any Keras backend.

        Training (``shuffle=True``): ``(images, labels)``, every batch full (the last,
        incomplete one is dropped), reshuffled every epoch from ``seed``, ``augment`` applied.
        Validation: ``(images, labels, weights)``, the last batch filled up to ``batch_size``
        with copies whose weight is 0, so that every batch has the same shape (TPUs and
        ``DataParallel`` need that). Compile with ``weighted_metrics=[...]``: those metrics
        count every photo exactly once, while Keras's plain ``metrics`` ignore the weights and
        count the copies too. The reported ``loss`` is divided by the padded number of photos,
        so it reads low by (photos / padded slots): 734/736 for the full validation set at
        batch 32.
        ``images``: float32 [batch, size, size, 3] in [0, 1]; ``labels``: int32 [batch].
        """

        def __init__(self, source, ids, batch_size, *, shuffle, seed, augment):
            super().__init__(workers=1, use_multiprocessing=False)
            self.source = source
            self.ids = np.asarray(ids)
            self.batch_size = int(batch_size)
            self.shuffle = shuffle
            self.seed = seed
            self.augment = augment
            self.epoch = 0
            self._order = self._epoch_order()

        def _epoch_order(self):
            if not self.shuffle:
                return self.ids
            rng = np.random.default_rng([self.seed, self.epoch])
            return self.ids[rng.permutation(len(self.ids))]

        def __len__(self):
            if self.shuffle:
                return len(self.ids) // self.batch_size
            return -(-len(self.ids) // self.batch_size)

        @property
        def num_examples(self) -> int:
            return len(self.ids)

        def __getitem__(self, index):
            if not 0 <= index < len(self):
                raise IndexError(f"batch {index} of {len(self)}")
            chosen = self._order[index * self.batch_size : (index + 1) * self.batch_size]
            # A memory map reads fastest in increasing order; the batch keeps the shuffled one.
            rank = np.argsort(chosen)
            images = np.empty((len(chosen), *self.source.images.shape[1:]), np.float32)
            images[rank] = self.source.images[chosen[rank]]
            images /= 255.0
            labels = self.source.labels[chosen].astype(np.int32)
            if self.shuffle:
                if self.augment is not None:
                    images, labels = self.augment(images, labels)
                return images, labels
            weights = np.ones(self.batch_size, np.float32)
            missing = self.batch_size - len(chosen)
            if missing:
                weights[len(chosen) :] = 0.0
                images = np.concatenate([images, np.repeat(images[:1], missing, axis=0)])
                labels = np.concatenate([labels, np.repeat(labels[:1], missing)])
            return images, labels, weights

        def on_epoch_end(self):
            self.epoch += 1
            self._order = self._epoch_order()

        def arrays(self):
            """Every photo of this set once, in order: (float32 images in [0, 1], int32 labels)."""
            ids = np.sort(self.ids) if self.shuffle else self.ids
            images = np.asarray(self.source.images[np.sort(ids)], dtype=np.float32) / 255.0
            order = np.argsort(np.argsort(ids))
            return images[order], self.source.labels[ids].astype(np.int32)

    return FlowerBatches


def load(
    image_size: int = 192,
    *,
    batch_size: int = 32,
    validation_fraction: float = 0.2,
    limit: int | None = None,
    augment: Callable | None = None,
    seed: int = 0,
    download: bool = True,
):
    """Training and validation batches of the flower photos, for ``model.fit`` on any backend.

    Returns two ``keras.utils.PyDataset`` objects (see ``FlowerBatches`` above): the training
    set yields ``(images, labels)``, the validation set ``(images, labels, weights)`` with zero
    weights on the padding of its last batch (compile with ``weighted_metrics``; see
    ``FlowerBatches``). ``images``: float32 [batch_size, image_size,
    image_size, 3] in [0, 1]; ``labels``: int32 [batch_size], indices into :data:`CLASSES`.

    The photos come from :func:`arrays` (decoded once into the cache, then memory-mapped, so
    memory stays bounded). ``limit`` uses only the first ``limit`` photos of the fixed shuffle
    (quick mode); the first ``validation_fraction`` of those are the validation set, the same on
    every machine. The training batches are reshuffled every epoch (``seed`` makes the order
    repeatable) and are all full. ``augment(images, labels)``, if given, is applied to training
    batches only (NumPy arrays in, NumPy arrays out). ``len(dataset)`` is the number of batches;
    ``dataset.arrays()`` gives every photo of the set once, unpadded (for predictions).
    """
    if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size={batch_size!r}: give a positive whole number.")
    source = arrays(image_size, download=download)
    used, n_validation, n_train = _split_for(
        len(source.labels), limit, validation_fraction, batch_size
    )
    if augment is not None and not callable(augment):
        raise ValueError(
            f"augment={augment!r}: give a function (images, labels) -> (images, labels)."
        )
    batches = _batches_class()
    train = batches(
        source, np.arange(n_validation, used), batch_size, shuffle=True, seed=seed, augment=augment
    )
    validation = batches(
        source, np.arange(n_validation), batch_size, shuffle=False, seed=seed, augment=None
    )
    return train, validation


# --- the codelab's pipeline: TFRecords read with tf.data (TensorFlow only) ------------------------


def _record_spec(tf: Any) -> dict:
    return {
        "image": tf.io.FixedLenFeature([], tf.string),
        "label": tf.io.FixedLenFeature([], tf.int64),
        "id": tf.io.FixedLenFeature([], tf.int64),
    }


def load_tfrecords(
    image_size: int = 192,
    *,
    batch_size: int = 32,
    validation_fraction: float = 0.2,
    limit: int | None = None,
    augment: Callable | None = None,
    seed: int = 0,
    download: bool = True,
):
    """The same split as :func:`load`, as ``tf.data.Dataset`` objects read from TFRecord shards.

    TensorFlow only (the codelab's pipeline, for the TensorFlow backend). ``images``: float32,
    shape [batch, image_size, image_size, 3], values in [0, 1]; ``labels``: int32, shape [batch].
    The records are read from the shards of :func:`write_tfrecords`, decoded in parallel,
    cached in memory after the first pass, batched and prefetched. The training set is
    reshuffled every epoch and its incomplete last batch dropped; the validation set keeps every
    image. ``augment(image, label)``, if given, is mapped over single training images.
    """
    import tensorflow as tf

    folder, index = _shards_for(image_size, download)
    used, n_validation, n_train = _split_for(
        index["photos"], limit, validation_fraction, batch_size
    )
    files = [str(folder / s["file"]) for s in index["shards"] if s["first_id"] < used]
    spec = _record_spec(tf)
    records = tf.data.TFRecordDataset(files, num_parallel_reads=tf.data.AUTOTUNE).map(
        lambda record: tf.io.parse_single_example(record, spec),
        num_parallel_calls=tf.data.AUTOTUNE,
    )

    def decode(example):
        image = tf.io.decode_jpeg(example["image"], channels=3)
        return image, tf.cast(example["label"], tf.int32)

    def to_float(image, label):
        image = tf.image.resize(tf.cast(image, tf.float32) / 255.0, [image_size, image_size])
        return image, label

    def part(keep, count):
        return (
            records.filter(lambda example: keep(example["id"]))
            .map(decode, num_parallel_calls=tf.data.AUTOTUNE)
            .cache()
            .apply(tf.data.experimental.assert_cardinality(count))
        )

    train = part(lambda i: (i >= n_validation) & (i < used), n_train)
    train = train.shuffle(n_train, seed=seed, reshuffle_each_iteration=True)
    train = train.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    if augment is not None:
        train = train.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    train = train.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    validation = part(lambda i: i < n_validation, n_validation)
    validation = validation.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    validation = validation.batch(batch_size).prefetch(tf.data.AUTOTUNE)
    return train, validation
