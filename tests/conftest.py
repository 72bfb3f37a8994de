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


@pytest.fixture(scope="session")
def colab_wheel(tmp_path_factory) -> Path:
    """The course package as a wheel, for the Colab-like runs (tests/colab_harness.py)."""
    from colab_harness import build_wheel

    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def bengali_reference(tmp_path_factory):
    """colab_harness.BENGALI_LABEL as this environment (matplotlib >= 3.11) draws it with the
    course's figure settings: correctly shaped Bengali, the reference for the Colab-like runs."""
    import matplotlib
    from colab_harness import render_label

    major, minor = (int(part) for part in matplotlib.__version__.split(".")[:2])
    assert (major, minor) >= (3, 11), "the reference needs matplotlib 3.11 or newer"
    out = tmp_path_factory.mktemp("reference") / "label.npy"
    setup = "import coursekit; coursekit.setup_plotting()"
    return render_label(Path(sys.executable), dict(os.environ), out, setup)


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """An empty COURSE_DATA_DIR, cache and 'internet' (a folder served by file:// addresses)."""
    data, cache, origin = tmp_path / "data", tmp_path / "cache", tmp_path / "origin"
    for folder in (data, cache, origin):
        folder.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(data))
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    return data, cache, origin
