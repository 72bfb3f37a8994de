"""Every chapter runs as in Colab's CPU/GPU runtime, and draws Bengali correctly shaped there.

``.venv-colab-cpu`` holds that runtime's versions (``envs/colab.toml``: TensorFlow 2.20.0, Keras
3.13.2, numpy 2.1.3, matplotlib 3.10.0, ...). Each chapter's notebook runs alone in a fresh
Colab-like session (see colab_harness.py): its first cell installs the course from the wheel,
upgrades matplotlib (3.10 cannot shape Bengali), restarts the session once; "Run all" again runs
the chapter. One language is enough here: test_sources.py proves the twins' code identical, and
test_colab_tpu.py runs the English pages of Part IV. ``COLAB_TEST_LANG=en`` runs the English pages
instead (a contributor's check before a release; CI runs the Bengali ones).
"""

from __future__ import annotations

import os
import sys

import pytest
from colab_cases import SAME_SHAPE, run_chapter
from colab_harness import ROOT, new_session, render_label, shaping_error

BASE = ROOT / ".venv-colab-cpu"
LANG = os.environ.get("COLAB_TEST_LANG", "bn")
if LANG not in ("bn", "en"):
    raise ValueError(f"COLAB_TEST_LANG must be bn or en, not {LANG!r}")
CHAPTERS = sorted(p.stem for p in (ROOT / "chapters" / LANG).glob("[0-9][0-9]-*.ipynb"))


def test_environment_has_colabs_versions():
    import subprocess

    from colab_harness import check_base

    python = check_base(BASE)
    code = "import tensorflow, keras, numpy, matplotlib; print(tensorflow.__version__, "
    code += "keras.__version__, numpy.__version__, matplotlib.__version__)"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    # the versions envs/colab.toml lists for this runtime (the one file to update)
    sys.path.insert(0, str(ROOT / "envs"))
    from colab_requirements import runtime

    listed = runtime("cpu")
    wanted = [listed[name] for name in ("tensorflow-cpu", "keras", "numpy", "matplotlib")]
    assert done.stdout.split()[-4:] == wanted


def test_matplotlib_3_10_draws_the_label_unshaped(colab_wheel, bengali_reference, tmp_path):
    """The comparison can fail: Colab's own matplotlib (3.10), with the course's fonts, draws the
    label differently from matplotlib >= 3.11."""
    import subprocess

    session = new_session(BASE, tmp_path, "colab-cpu-unshaped")
    subprocess.run(
        [str(session.python), "-m", "pip", "install", "--quiet", "--no-deps", str(colab_wheel)],
        check=True,
        capture_output=True,
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")}
    setup = "import coursekit; coursekit.setup_plotting()"
    drawn = render_label(session.python, env, tmp_path / "label.npy", setup)
    assert shaping_error(drawn, bengali_reference) > 2 * SAME_SHAPE


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_as_in_colab(chapter, colab_wheel, bengali_reference, tmp_path):
    run_chapter(BASE, LANG, chapter, colab_wheel, bengali_reference, tmp_path)
