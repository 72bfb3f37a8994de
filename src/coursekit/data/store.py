"""Finding, verifying and loading the course's data files (every data set uses this).

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

import os
import shutil
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..files import atomic_path, sha256_of

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
    with atomic_path(target, suffix=".part") as tmp:
        with open(tmp, "wb") as out, urllib.request.urlopen(remote.url, timeout=timeout) as src:
            shutil.copyfileobj(src, out, length=1 << 20)
        problem = _problem(tmp, remote)
        if problem is not None:
            raise DataError(f"the download from {remote.url} is damaged: {problem}")


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
