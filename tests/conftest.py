"""Shared fixtures. The book is built once per test worker that needs it; every test that needs
the built site lives in tests/test_book_build.py, so one worker builds it once."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def build() -> subprocess.CompletedProcess:
    """Build the book once, as `make book` does (same output folder, same execution cache)."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    env = {**os.environ, "COURSE_MODE": os.environ.get("COURSE_MODE", "quick")}
    return subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "-W", "-n", "--keep-going"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
    )


@pytest.fixture(scope="session")
def built_site(build) -> Path:
    if build.returncode != 0:
        pytest.skip("the book did not build: see test_book_builds_without_warnings")
    return HTML
