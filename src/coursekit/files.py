"""File plumbing the other modules share: files written whole or not at all, digests, and calls
with a time limit. It knows nothing of chapters, data sets or frameworks.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def atomic_path(path: str | Path, *, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; it becomes ``path`` when the block ends.

    If the block raises (or is interrupted), the temporary file is removed and ``path`` is left as
    it was, so a crash never leaves a half-written file. Missing parent folders are created; the
    result is readable by everyone (mode 644), as a file written directly would be, not private
    like a fresh temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
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
