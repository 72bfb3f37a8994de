"""What every Colab-like run of a chapter must show (shared by test_colab_cpu/tpu.py)."""

from __future__ import annotations

from pathlib import Path

from colab_harness import (
    BENGALI_LABEL,
    ROOT,
    new_session,
    run_as_colab,
    shaping_error,
)

from coursekit import colab

# The most a correctly shaped label may differ from matplotlib >= 3.11's drawing of it (the
# same fonts and the same renderer give 0), and the least matplotlib 3.10's unshaped drawing
# differs (measured: far more).
SAME_SHAPE = 0.05

RESTART = {
    "bn": "সেশন এখন নিজে থেকেই আবার শুরু হচ্ছে",
    "en": "The session restarts now",
}


def normal(name: str) -> str:
    return name.lower().replace("_", "-")


def environment(session, wheel: Path) -> dict:
    """The kernel's environment: quick mode, the install pointed at the wheel, none of the
    settings a developer's shell may hold that Colab does not."""
    return {
        "COURSE_SOURCE": str(wheel),
        "COURSE_MODE": "quick",
        "JUPYTER_PATH": str(session.kernels),
        "KERAS_BACKEND": None,
        "XLA_FLAGS": None,
        "PYTHONPATH": None,
        "MPLBACKEND": None,
    }


def run_chapter(base: Path, lang: str, chapter: str, wheel: Path, reference, tmp_path: Path):
    """Run chapters/<lang>/<chapter>.ipynb as Colab does and check what every chapter must show;
    return the run for the caller's own checks."""
    where = f"chapters/{lang}/{chapter}.ipynb"
    session = new_session(base, tmp_path, f"colab-{base.name}-{chapter}")
    folder = tmp_path / "content"
    run = run_as_colab(
        ROOT / "chapters" / lang / f"{chapter}.ipynb",
        session,
        folder,
        tmp_path / "label.npy",
        environment(session, wheel),
    )
    # Colab has matplotlib 3.10 loaded: the first cell upgrades it and restarts once, saying so.
    assert run.restarts == 1, f"{where}: expected one restart of the session, saw {run.restarts}"
    assert RESTART[lang] in run.restart_output, (
        f"{where}: the restart was not announced in the page's language:\n{run.restart_output}"
    )
    # What Colab ships and loads stays as it is.
    touched = sorted({normal(k) for k in colab.KEEP} & set(run.installed))
    assert not touched, (
        f"{where}: the first cell installed {touched} over Colab's own (installed: {run.installed})"
    )
    assert run.installed.get("dl-bangla-course"), f"{where}: the course was not installed"
    assert "matplotlib 3.1" in run.probe_output and "matplotlib 3.10" not in run.probe_output, (
        f"{where}: after the restart the session still draws with {run.probe_output.strip()}"
    )
    error = shaping_error(run.label, reference)
    assert error < SAME_SHAPE, (
        f"{where}: the Bengali label '{BENGALI_LABEL}' is not drawn as matplotlib >= 3.11 "
        f"shapes it (difference {error:.3f}, at most {SAME_SHAPE} allowed)"
    )
    written = {p.name for p in folder.iterdir()} - {f"{chapter}.ipynb"}
    assert not written, f"{where} wrote {sorted(written)} into its folder"
    return run
