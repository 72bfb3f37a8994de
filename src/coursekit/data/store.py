"""Finding, verifying and loading the course's data files (every data set uses this).

Every file is looked for in this order:

1. the folder named by the environment variable ``COURSE_DATA_DIR`` (an offline copy);
2. the user's cache (``COURSE_CACHE_DIR``, else ``$XDG_CACHE_HOME/dl-bangla-course``, else
   ``~/.cache/dl-bangla-course``);
3. its canonical download address, saved into the cache.

A file is used only if its size and sha256 match what the course expects; a file that cannot be
read here (no permission) is skipped like a damaged one, and the search goes on. A download is
written to a temporary file beside its final place and renamed only once verified, so an
interrupted download never leaves a half-written file behind, and what a killed process left in
the cache is removed the next time the cache is used (:func:`tidy_cache`). When nothing works,
:class:`DataError` says in one message where the course looked, what it found and how to fix it;
a cache that cannot be written is named, with the fix (make it writable, or set
``COURSE_CACHE_DIR``).

Nothing is unpickled: arrays load with ``numpy.load(..., allow_pickle=False)``.
"""

from __future__ import annotations

import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..files import NotWritableError, atomic_path, remove_stale_temps, sha256_of

CACHE_NAME = "dl-bangla-course"


class DataError(RuntimeError):
    """A data file is missing or damaged; the message says where the course looked, what to do."""


class NotReadable(DataError):
    """A file or folder exists but cannot be read here (no permission): not usable, look on."""


class CacheNotWritable(DataError):
    """The cache folder cannot be written, so what had to be saved there could not be."""


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


_TIDIED: set[Path] = set()


def tidy_cache() -> None:
    """Remove what killed processes left in the cache (its folder and the folders in it).

    Runs once per process and cache folder; see :func:`coursekit.files.remove_stale_temps`.
    """
    root = cache_dir()
    if root in _TIDIED:
        return
    _TIDIED.add(root)
    remove_stale_temps(root)
    try:
        subfolders = [entry.path for entry in os.scandir(root) if entry.is_dir()]
    except OSError:
        return
    for folder in subfolders:
        remove_stale_temps(folder)


def unreadable(err: OSError) -> str:
    """What the looked-at list says of a file that exists but cannot be read here."""
    return f"cannot be read here ({err.strerror or err}), so it was not used"


def not_writable(err: OSError, what: str) -> CacheNotWritable:
    """The error for a cache folder that cannot be written; ``what`` is what had to go there."""
    folder = err.filename or cache_dir()
    return CacheNotWritable(
        f"cannot save {what}: {err.strerror or err}.\n  Fix: make {folder} writable, or set "
        "COURSE_CACHE_DIR to a folder you can write to (the course keeps its downloads and "
        "prepared data there)."
    )


def _problem(path: Path, remote: RemoteFile) -> str | None:
    """None if ``path`` is the expected file, else what is wrong with it (OSError if unreadable)."""
    if path.is_dir():
        return f"{path} is a folder, not the file"
    size = path.stat().st_size
    if size != remote.size:
        return f"{path} has {size:,} bytes, expected {remote.size:,}"
    digest = sha256_of(path)
    if digest != remote.sha256:
        return f"{path} has sha256 {digest}, expected {remote.sha256}"
    return None


def _download(remote: RemoteFile, target: Path, timeout: float) -> None:
    with atomic_path(target, suffix=".part") as tmp:
        with open(tmp, "wb") as out, urllib.request.urlopen(remote.url, timeout=timeout) as src:
            shutil.copyfileobj(src, out, length=1 << 20)
        problem = _problem(tmp, remote)
        if problem is not None:
            raise DataError(f"the download from {remote.url} is damaged: {problem}")


def fetch(remote: RemoteFile, *, download: bool = True, timeout: float = 60.0) -> Path:
    """Return the path of a verified copy of ``remote``, downloading it into the cache if needed."""
    tidy_cache()
    looked, fixes = [], []
    for origin, folder in search_dirs():
        candidate = folder / remote.path
        try:
            try:
                candidate.stat()
            except (FileNotFoundError, NotADirectoryError):
                looked.append(f"{candidate} ({origin}): not there")
                continue
            problem = _problem(candidate, remote)
        except OSError as err:  # no permission to read it (or the folder it is in)
            looked.append(f"{candidate} ({origin}): {unreadable(err)}")
            fixes.append(f"make {candidate} readable (ask its owner, or chmod a+r)")
            continue
        if problem is None:
            return candidate
        looked.append(f"{candidate} ({origin}): {problem}")
    target: Path | None = cache_dir() / remote.path
    if download:
        try:
            _download(remote, target, timeout)
            return target
        except NotWritableError as err:  # a read-only cache: the network is not the problem
            looked.append(f"{remote.url}: not downloaded: {err.strerror}")
            fixes.append(
                f"make {err.filename} writable, or set COURSE_CACHE_DIR to a folder you can "
                "write to"
            )
            target = None
        except (urllib.error.URLError, OSError, DataError) as err:
            looked.append(f"{remote.url}: download failed ({err})")
    else:
        looked.append(f"{remote.url}: not downloaded (download=False)")
    if target is not None:
        fixes.append(f"connect to the internet and run again, or download {remote.url} to {target}")
    fixes.append(
        "set COURSE_DATA_DIR to a folder that holds "
        f"{remote.path} ({remote.size:,} bytes, sha256 {remote.sha256})"
    )
    raise DataError(
        f"cannot find a good copy of {remote.path}.\n  Looked at:\n    - "
        + "\n    - ".join(looked)
        + "\n  Fix: "
        + ", or ".join(fixes)
        + "."
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
