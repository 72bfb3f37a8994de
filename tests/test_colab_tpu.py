"""Part IV's notebooks run as in Colab's TPU runtime: no TensorFlow, Keras on JAX.

``.venv-colab-tpu`` holds that runtime's versions (``envs/colab.toml``: Keras 3.13.2, JAX 0.7.2,
numpy 2.1.3, matplotlib 3.10.0, ..., and no TensorFlow). Each notebook of chapters 9 to 12 runs
alone in a fresh Colab-like session (see colab_harness.py), with no ``KERAS_BACKEND`` set: the
notebook itself must pick JAX. The English pages run here, the Bengali ones in
test_colab_cpu.py; test_sources.py proves the twins' code identical.
"""

from __future__ import annotations

import subprocess

import pytest
from colab_cases import run_chapter
from colab_harness import ROOT, check_base

BASE = ROOT / ".venv-colab-tpu"
LANG = "en"
CHAPTERS = ["09-tpus", "10-keras-flowers", "11-squeezenet", "12-xception"]


def test_environment_has_no_tensorflow():
    python = check_base(BASE)
    no_tf = subprocess.run([str(python), "-c", "import tensorflow"], capture_output=True)
    assert no_tf.returncode != 0, f"{BASE.name} must not hold TensorFlow"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_runs_on_jax_without_tensorflow(chapter, colab_wheel, bengali_reference, tmp_path):
    run = run_chapter(BASE, LANG, chapter, colab_wheel, bengali_reference, tmp_path)
    assert "Keras backend: jax" in run.text(), "the notebook must say it chose JAX"
    assert "tensorflow" not in run.installed, "the first cell installed TensorFlow"
