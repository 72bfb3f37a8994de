"""File plumbing the other modules share: files written whole or not at all, temporary files
and folders (and what a killed process left of them), digests, and calls with a time limit. It
knows nothing of chapters, data sets or frameworks.

Temporary names
    Every temporary file or folder is made here, beside its final place, with a hidden name that
    says who made it: ``.<name>.coursekit-<host>-<pid>-<random>.tmp`` (``.part`` for
    downloads), where ``<host>`` is a short hash of the machine's name and ``<pid>`` the writing
    process. A block that ends or raises removes its temporary; only a process killed outright
    (SIGKILL, a kernel restart, a power cut) leaves one behind. :func:`remove_stale_temps` removes
    such leftovers: those of a process of this machine that is gone, and any older than
    :data:`STALE_AFTER_S` (another machine's, or one whose process number was reused). Every
    writer here calls it on the folder it writes into, so a leftover goes the next time the same
    folder is written. Names of this form are never data: readers look for exact names.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

STALE_AFTER_S = 24 * 3600.0
"""A temporary file or folder untouched for this long is a leftover, whoever made it."""

_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_TEMP_NAME = re.compile(
    r"^\.(?P<name>.+)\.coursekit-(?P<host>[0-9a-f]{8})-(?P<pid>[0-9]+)-[a-z0-9_]+\.(?:tmp|part)$"
)


class NotWritableError(OSError):
    """A folder where a file had to be written cannot be written (read-only, or no permission)."""


def _temp_prefix(name: str) -> str:
    return f".{name}.coursekit-{_HOST}-{os.getpid()}-"


def _process_gone(pid: int) -> bool:
    """True only when no process ``pid`` exists on this machine (never guessed elsewhere)."""
    if os.name != "posix":
        return False  # on Windows, os.kill(pid, 0) would end the process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it exists and belongs to someone else
        return False
    return False


def _last_change(entry: os.DirEntry) -> float:
    """The newest modification time of an entry and, for a folder, of what it holds directly."""
    newest = entry.stat(follow_symlinks=False).st_mtime
    if entry.is_dir(follow_symlinks=False):
        with os.scandir(entry.path) as inside:
            for child in inside:
                try:
                    newest = max(newest, child.stat(follow_symlinks=False).st_mtime)
                except OSError:
                    pass
    return newest


def _legacy_temp(entry_name: str, name: str) -> bool:
    """A temporary of ``name`` in the form older versions of the course used (no process id)."""
    n = re.escape(name)
    return bool(
        re.fullmatch(rf"\.{n}\.[a-z0-9_]{{8}}\.(?:tmp|part)", entry_name)
        or re.fullmatch(rf"\.{n}-(?:stale-)?[a-z0-9_]{{8}}", entry_name)
    )


def remove_stale_temps(
    folder: str | Path, *, name: str | None = None, max_age_s: float = STALE_AFTER_S
) -> list[Path]:
    """Remove what killed processes left in ``folder``; return the paths removed.

    A temporary made by this module is removed when the process that made it on this machine is
    gone, or when it was not touched for ``max_age_s`` seconds. With ``name``, temporaries of that
    name in the form older versions wrote (``.<name>.<random>.tmp``, ``.<name>-<random>``) are
    removed once older than ``max_age_s``. Nothing else is touched, and nothing here raises: a
    folder that cannot be listed, or an entry that another process removes first, is skipped.
    """
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith("."):
            continue
        match = _TEMP_NAME.match(entry.name)
        try:
            if match:
                dead = match["host"] == _HOST and _process_gone(int(match["pid"]))
                stale = dead or now - _last_change(entry) > max_age_s
            elif name is not None and _legacy_temp(entry.name, name):
                stale = now - _last_change(entry) > max_age_s
            else:
                continue
            if not stale:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except OSError:
            continue  # gone already (another process cleaned it), or not ours to remove
        removed.append(Path(entry.path))
    return removed


def _new_temp(parent: Path, name: str, suffix: str, *, folder: bool) -> Path:
    """A new temporary file or folder in ``parent``, after removing leftovers there."""
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(parent, name=name)
        if folder:
            return Path(tempfile.mkdtemp(dir=parent, prefix=_temp_prefix(name), suffix=suffix))
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=_temp_prefix(name), suffix=suffix)
        os.close(fd)
        return Path(tmp)
    except (FileExistsError, NotADirectoryError) as err:
        code, why = err.errno, f"{err.filename} is a file, not a folder"
    except OSError as err:
        if not isinstance(err, PermissionError) and err.errno != errno.EROFS:
            raise
        code, why = err.errno, err.strerror or str(err)
    blocked = parent  # name the folder that has to change: the nearest one that exists
    while not os.path.isdir(blocked) and blocked.parent != blocked:
        blocked = blocked.parent
    raise NotWritableError(code, f"cannot write into {blocked} ({why})", str(blocked))


@contextmanager
def temp_dir(parent: str | Path, name: str) -> Iterator[Path]:
    """Yield a new empty temporary folder in ``parent`` for building ``parent / name``.

    The folder (mode 755) and whatever is in it are removed when the block ends, unless the block
    renamed it away. Leftovers of killed processes in ``parent`` are removed first
    (:func:`remove_stale_temps`). NotWritableError if ``parent`` cannot be written.
    """
    work = _new_temp(Path(parent), name, ".tmp", folder=True)
    try:
        os.chmod(work, 0o755)  # mkdtemp makes the folder private; what is built in it is not
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def atomic_path(path: str | Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; it becomes ``path`` when the block ends.

    If the block raises (or is interrupted), the temporary file is removed and ``path`` is left as
    it was, so a crash never leaves a half-written file. Missing parent folders are created; the
    result is readable by everyone (mode 644), as a file written directly would be, not private
    like a fresh temporary file. ``suffix`` is ``".tmp"`` or ``".part"``. Leftovers of killed
    processes beside ``path`` are removed first (:func:`remove_stale_temps`); NotWritableError if
    the folder cannot be written.
    """
    path = Path(path)
    if suffix not in (".tmp", ".part"):
        raise ValueError(f"suffix={suffix!r}: use '.tmp' or '.part'.")
    tmp = _new_temp(path.parent, path.name, suffix, folder=False)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` whole or not at all."""
    with atomic_path(path) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")


def file_digest(path: str | Path, algorithm: str = "sha256") -> str:
    """The hex digest of a file's bytes (``"sha256"`` or ``"md5"``, as published checksums use)."""
    if algorithm == "md5":  # a checksum to compare with a published one, not a security check

        def factory() -> Any:
            return hashlib.md5(usedforsecurity=False)
    else:
        factory = algorithm  # type: ignore[assignment]
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, factory).hexdigest()


def sha256_of(path: str | Path) -> str:
    return file_digest(path, "sha256")


def call_with_timeout(fn: Callable[[], T], timeout_s: float) -> T:
    """Run ``fn()`` in a daemon thread; return its value, re-raise its error, or TimeoutError.

    A call that hangs (a TPU that never answers, a network that never replies) is left running in
    its thread; the caller gets TimeoutError after ``timeout_s`` seconds and can go on.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    worker = threading.Thread(target=target, name="coursekit-call-with-timeout", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        raise TimeoutError(f"no answer within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]
