"""Debian's headless Chromium as the course's tools run it: the PDF edition and the browser tests.

One list of flags, so that every run is alike: no sandbox (it runs as root in containers), no GPU,
and nothing that reaches the network on its own (updates, sync, QUIC, the first-run page).
:func:`serve` puts a built site on localhost for it, :func:`dump_dom` reads a page after its
scripts have run.
"""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder, plus ``extra`` pages held in memory (path -> HTML bytes); logs nothing."""

    extra: dict[str, bytes] = {}

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        body = self.extra.get(urlsplit(self.path).path)
        if body is None:
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def serve(folder: Path, extra: dict[str, str] | None = None) -> Iterator[str]:
    """Serve ``folder`` on localhost, plus ``extra`` pages (path -> HTML); yield the base URL,
    ending in a slash."""
    pages = {k: v.encode() for k, v in (extra or {}).items()}
    handler = type("Handler", (_QuietHandler,), {"extra": pages})
    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def dump_dom(url: str, profile: Path, budget_ms: int, timeout: int = 120) -> str:
    """The DOM of ``url`` after ``budget_ms`` of virtual time for its scripts ("" on failure)."""
    result = subprocess.run(
        [
            "chromium",
            *HEADLESS_FLAGS,
            f"--virtual-time-budget={budget_ms}",
            f"--user-data-dir={profile}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return result.stdout
