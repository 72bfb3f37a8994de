"""Part IV's notebooks run where TensorFlow is not installed, as on Colab's TPU runtime.

The environment ``.venv-colab-tpu`` (made by ``make test`` from ``envs/colab-tpu.txt``) holds
Colab's TPU-runtime versions of keras, jax, numpy, matplotlib, scikit-learn and h5py, and no
TensorFlow. The course is built into a wheel and installed there (not editable), and each
notebook of chapters 9 to 12 is copied alone into an empty folder and run top to bottom in a
kernel of that environment, in quick mode, with no ``KERAS_BACKEND`` set: the notebook itself
must pick JAX. One language is enough: a test in test_sources.py proves the twins' code identical.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]
ENV = ROOT / ".venv-colab-tpu"
PYTHON = ENV / "bin" / "python"
CHAPTERS = ["09-tpus", "10-keras-flowers", "11-squeezenet", "12-xception"]
LANG = "bn"
KERNEL = "coursekit-colab-tpu"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """The course installed as a wheel into the TensorFlow-free environment, and a kernel spec."""
    if not PYTHON.exists():
        pytest.fail(f"{ENV} is missing: `make test` creates it from envs/colab-tpu.txt.")
    no_tf = subprocess.run([str(PYTHON), "-c", "import tensorflow"], capture_output=True)
    assert no_tf.returncode != 0, f"{ENV} must not hold TensorFlow"
    wheels = tmp_path_factory.mktemp("wheel")
    # Build from a copy: setuptools writes build/ and *.egg-info beside the sources it builds.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("*.whl")
    # --no-deps: the environment keeps Colab's versions exactly (the package asks for newer
    # matplotlib than Colab has); what the notebooks import must be in envs/colab-tpu.txt.
    subprocess.run(
        [
            str(PYTHON),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--force-reinstall",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    specs = tmp_path_factory.mktemp("jupyter")
    spec_dir = specs / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [str(PYTHON), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab TPU runtime (no TensorFlow)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return specs


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_notebook_runs_on_jax_without_tensorflow(chapter, kernel, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_PATH", str(kernel))
    monkeypatch.setenv("COURSE_MODE", "quick")
    for var in ("KERAS_BACKEND", "XLA_FLAGS", "PYTHONPATH"):
        monkeypatch.delenv(var, raising=False)
    source = ROOT / "chapters" / LANG / f"{chapter}.ipynb"
    shutil.copy(source, tmp_path / source.name)
    notebook = nbformat.read(tmp_path / source.name, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=900,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    try:
        client.execute()
    except CellExecutionError as err:
        pytest.fail(f"chapters/{LANG}/{chapter}.ipynb failed without TensorFlow:\n{err}")
    outputs = "".join(
        str(out.get("text", "")) for cell in notebook.cells for out in cell.get("outputs", [])
    )
    assert "Keras ব্যাকএন্ড: jax" in outputs, "the notebook must say it chose JAX"
    written = {p.name for p in tmp_path.iterdir()} - {source.name}
    assert not written, f"the notebook wrote {sorted(written)} into its folder"
