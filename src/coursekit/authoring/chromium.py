"""Debian's headless Chromium as the course's tools run it: the PDF edition and the browser tests.

One list of flags, so that every run is alike: no sandbox (it runs as root in containers), no GPU,
and nothing that reaches the network on its own (updates, sync, QUIC, the first-run page).
"""

from __future__ import annotations

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
