"""Finding, verifying and loading the course's data files.

Every file is looked for in this order:

1. the folder named by the environment variable ``COURSE_DATA_DIR`` (an offline copy);
2. the user's cache (``COURSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/dl-bangla-course``, else
   ``~/.cache/dl-bangla-course``);
3. its canonical download address, saved into the cache.

A file is used only if its size and sha256 match what the course expects. A download is written
to a temporary file beside its final place and renamed only once verified, so an interrupted
download never leaves a half-written file behind. When nothing works, :class:`DataError` says
in one message where the course looked, what it found and how to fix it.

Nothing is unpickled: arrays load with ``numpy.load(..., allow_pickle=False)``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CACHE_NAME = "dl-bangla-course"


class DataError(RuntimeError):
    """A data file is missing or damaged; the message says where the course looked, what to do."""


@dataclass(frozen=True)
class RemoteFile:
    """One file of a data set: its path below the data folder, address, size and sha256."""

    path: str
    url: str
    size: int
    sha256: str


def cache_dir() -> Path:
    if os.environ.get("COURSE_CACHE_DIR"):
        return Path(os.environ["COURSE_CACHE_DIR"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / CACHE_NAME


def search_dirs() -> list[tuple[str, Path]]:
    """The folders searched, in order, each with the name of where it came from."""
    dirs = []
    if os.environ.get("COURSE_DATA_DIR"):
        dirs.append(("COURSE_DATA_DIR", Path(os.environ["COURSE_DATA_DIR"]).expanduser()))
    dirs.append(("cache", cache_dir()))
    return dirs


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _problem(path: Path, remote: RemoteFile) -> str | None:
    """None if ``path`` is the expected file, else what is wrong with it."""
    size = path.stat().st_size
    if size != remote.size:
        return f"{path} has {size:,} bytes, expected {remote.size:,}"
    digest = sha256_of(path)
    if digest != remote.sha256:
        return f"{path} has sha256 {digest}, expected {remote.sha256}"
    return None


def _download(remote: RemoteFile, target: Path, timeout: float) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(remote.url, timeout=timeout) as src:
            shutil.copyfileobj(src, out, length=1 << 20)
        problem = _problem(tmp, remote)
        if problem is not None:
            raise DataError(f"the download from {remote.url} is damaged: {problem}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def fetch(remote: RemoteFile, *, download: bool = True, timeout: float = 60.0) -> Path:
    """Return the path of a verified copy of ``remote``, downloading it into the cache if needed."""
    looked = []
    for origin, folder in search_dirs():
        candidate = folder / remote.path
        if not candidate.is_file():
            looked.append(f"{candidate} ({origin}): not there")
            continue
        problem = _problem(candidate, remote)
        if problem is None:
            return candidate
        looked.append(f"{candidate} ({origin}): {problem}")
    target = cache_dir() / remote.path
    if download:
        try:
            _download(remote, target, timeout)
            return target
        except (urllib.error.URLError, OSError, DataError) as err:
            looked.append(f"{remote.url}: download failed ({err})")
    else:
        looked.append(f"{remote.url}: not downloaded (download=False)")
    raise DataError(
        f"cannot find a good copy of {remote.path}.\n  Looked at:\n    - "
        + "\n    - ".join(looked)
        + f"\n  Fix: connect to the internet and run again, or download {remote.url} to {target}, "
        "or set COURSE_DATA_DIR to a folder that holds "
        f"{remote.path} ({remote.size:,} bytes, sha256 {remote.sha256})."
    )


def load_npz(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Load the named arrays of an ``.npz`` file without unpickling anything."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in keys if k not in archive.files]
            if missing:
                raise DataError(f"{path} lacks the arrays {missing}; it holds {archive.files}.")
            return {k: archive[k] for k in keys}
    except ValueError as err:  # object arrays would need pickle: refuse them
        raise DataError(f"{path} is not a plain-array .npz file: {err}") from None


# --- CMATERdb 3.1.1: handwritten Bengali digits ------------------------------------------------

CMATERDB_URL = (
    "https://raw.githubusercontent.com/prabhuomkar/CMATERdb/master/datasets/bangla-numerals/"
)
CMATERDB_FILES = {
    "train": RemoteFile(
        "cmaterdb-bangla-numerals/training-images.npz",
        CMATERDB_URL + "training-images.npz",
        489_289,
        "502957392649eecad013ac425b54fecc6d06dbc06bc647a46b0cfc6b96e2c130",
    ),
    "test": RemoteFile(
        "cmaterdb-bangla-numerals/testing-images.npz",
        CMATERDB_URL + "testing-images.npz",
        98_295,
        "d1c9780ba5decc135175a021bd29961cd7316db009f428d8c04b84ba36a6d67a",
    ),
}
BENGALI_DIGITS = "০১২৩৪৫৬৭৮৯"
CMATERDB_CREDIT = (
    "CMATERdb 3.1.1 handwritten Bengali numerals, CMATER (Center for Microprocessor Applications "
    "for Training Education and Research), Jadavpur University, Kolkata; free for non-commercial "
    "use. Das et al., 'A genetic algorithm based region sampling for selection of local features "
    "in handwritten digit recognition application', Applied Soft Computing 12(5), 2012."
)


def load_cmaterdb(split: str = "train", *, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """CMATERdb handwritten Bengali digits ০–৯.

    Returns ``images`` of shape (N, 32, 32, 3), dtype uint8, and ``labels`` of shape (N,),
    int64 in 0..9; N is 5,000 for ``"train"`` and 1,000 for ``"test"``.
    """
    if split not in CMATERDB_FILES:
        raise ValueError(f"split={split!r}: choose 'train' or 'test'.")
    path = fetch(CMATERDB_FILES[split], download=download)
    arrays = load_npz(path, ("images", "labels"))
    images, labels = arrays["images"], arrays["labels"]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (32, 32, 3):
        raise DataError(f"{path}: images have shape {images.shape} and dtype {images.dtype}.")
    if labels.shape != (images.shape[0],) or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"{path}: labels have shape {labels.shape}, range outside 0..9.")
    return images, labels.astype(np.int64)
