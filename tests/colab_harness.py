"""Running a chapter's notebook as Google Colab runs it (used by test_colab_cpu/tpu.py).

The environments ``.venv-colab-cpu`` and ``.venv-colab-tpu`` hold Colab's package versions
(``envs/colab.toml``; ``make test`` builds them). Each run gets a fresh Colab session:

- an *overlay* environment on top of the Colab-like one (a venv without packages of its own whose
  ``.pth`` file adds the base environment's packages after its own), so that what the first cell
  installs lands in the overlay and the base stays exactly at Colab's versions for the next run
  (pip leaves the base's copies alone: they are outside the environment it installs into);
- a ``google.colab`` module, imported, with ``matplotlib.pyplot``, before the first cell runs, as
  Colab's kernel does (an IPython start-up file);
- the notebook copied alone into an empty folder, and the first cell executed as it is, with
  ``COURSE_SOURCE`` pointing its install at the course's wheel (built from the sources, not
  editable, nothing from the repository on the path).

The first cell may restart the session (it ends the kernel's process, as in Colab); the run then
does what a student does: "Run all" again, in a new kernel of the same session. What the run saw
comes back as a :class:`ColabRun`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import numpy as np
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(sysconfig.get_path("purelib")).relative_to(sysconfig.get_path("data"))

# The words a figure of chapter 1 showed mis-shaped in matplotlib 3.10 ("লার্নিং রটে"): a vowel
# sign drawn before its consonant (ে), a reph (র্) and a conjunct.
BENGALI_LABEL = "লার্নিং রেট"

# Renders BENGALI_LABEL with the figure settings in force (the course's fonts, after
# coursekit.start) into a grey-level array saved at {path!r}.
PROBE = """\
import matplotlib as _mpl
import numpy as _np
from matplotlib.backends.backend_agg import FigureCanvasAgg as _Canvas
from matplotlib.figure import Figure as _Figure

_figure = _Figure(figsize=(3.2, 0.8), dpi=100)
_figure.text(0.04, 0.25, {label!r}, fontsize=24)
_canvas = _Canvas(_figure)
_canvas.draw()
_np.save({path!r}, _np.asarray(_canvas.buffer_rgba())[..., :3].mean(axis=-1))
print("matplotlib", _mpl.__version__)
"""


STUB_MODULE = """\
\"\"\"Stands in for a module of Colab's: its functions need Colab's front end.\"\"\"


def __getattr__(name):
    def unavailable(*args, **kwargs):
        raise NotImplementedError(f"{__name__}.{name} needs Colab's front end")

    return unavailable
"""


def build_wheel(into: Path) -> Path:
    """The course package as a wheel, built from a copy of the sources (setuptools writes
    build/ and *.egg-info beside what it builds)."""
    source = into / "source"
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    wheels = into / "wheels"
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
    return wheel


def check_base(base: Path) -> Path:
    python = base / "bin" / "python"
    if not python.exists():
        raise AssertionError(f"{base.name} is missing: `make test` builds it from envs/colab.toml.")
    return python


@dataclasses.dataclass
class Session:
    """A fresh Colab-like session: an overlay environment and a kernel spec for it."""

    base: Path
    overlay: Path
    kernels: Path  # a JUPYTER_PATH entry holding the kernel spec
    kernel_name: str

    @property
    def python(self) -> Path:
        return self.overlay / "bin" / "python"

    @property
    def site(self) -> Path:
        return self.overlay / SITE

    def installed(self) -> dict[str, str]:
        """The distributions installed into the session (not the base): name -> version."""
        found = {}
        for info in self.site.glob("*.dist-info"):
            name, _, version = info.name[: -len(".dist-info")].partition("-")
            found[name.lower().replace("_", "-")] = version
        return found


def new_session(base: Path, where: Path, name: str) -> Session:
    python = check_base(base)
    overlay = where / "session"
    subprocess.run([str(python), "-m", "venv", "--without-pip", str(overlay)], check=True)
    base_site = base / SITE
    site = overlay / SITE
    (site / "colab-base.pth").write_text(f"import site; site.addsitedir({str(base_site)!r})\n")
    colab = site / "google" / "colab"
    colab.mkdir(parents=True)
    (colab / "__init__.py").write_text('"""Stands in for Colab\'s own package."""\n')
    # Libraries import Colab's front-end helpers when they see google.colab (JAX's debugger
    # imports google.colab.output); only calling one would need a browser.
    (colab / "output.py").write_text(STUB_MODULE)
    # Colab's kernel has google.colab and matplotlib imported before the first cell runs.
    startup = overlay / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab\nimport matplotlib.pyplot\n")
    kernels = where / "jupyter"
    spec = kernels / "kernels" / name
    spec.mkdir(parents=True)
    argv = [str(overlay / "bin" / "python"), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    argv.append(f"--profile-dir={overlay / 'ipython' / 'profile_default'}")
    kernel = {"argv": argv, "display_name": f"Colab-like ({base.name})", "language": "python"}
    (spec / "kernel.json").write_text(json.dumps(kernel))
    return Session(base=base, overlay=overlay, kernels=kernels, kernel_name=name)


@dataclasses.dataclass
class ColabRun:
    restarts: int  # sessions restarted by the notebook itself
    restart_output: str  # what the cell that restarted the session printed
    notebook: object  # the executed notebook of the last run (the probe cell removed)
    label: np.ndarray  # BENGALI_LABEL as the session's matplotlib drew it
    probe_output: str
    installed: dict[str, str]  # what the session installed on top of Colab's packages

    def text(self) -> str:
        return cell_text(self.notebook.cells)


def cell_text(cells) -> str:
    parts = []
    for cell in cells:
        for out in cell.get("outputs", []):
            parts.append(str(out.get("text", "")))
            parts.append(str(out.get("data", {}).get("text/plain", "")))
            parts.extend(out.get("traceback", []))
    return "".join(parts)


def run_as_colab(
    source: Path, session: Session, folder: Path, probe_to: Path, env: dict, timeout: int = 900
) -> ColabRun:
    """Run ``source`` as a student in Colab does: "Run all"; if the notebook restarts the session,
    "Run all" once more. ``env`` is set for the kernels (a value of None removes the variable).
    Raises AssertionError with the failing cell's output otherwise."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / source.name)
    restarts, restart_output = 0, ""
    saved = {k: os.environ.get(k) for k in env}
    for key, value in env.items():  # None: not set
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        for _ in range(2):
            notebook = nbformat.read(folder / source.name, as_version=4)
            probe = nbformat.v4.new_code_cell(PROBE.format(label=BENGALI_LABEL, path=str(probe_to)))
            notebook.cells.append(probe)
            client = NotebookClient(
                notebook,
                kernel_name=session.kernel_name,
                timeout=timeout,
                resources={"metadata": {"path": str(folder)}},
            )
            try:
                client.execute()
            except DeadKernelError:
                restarts += 1
                restart_output = cell_text(notebook.cells)
                continue
            except CellExecutionError as err:
                where = source.relative_to(ROOT)
                raise AssertionError(f"{where} failed as Colab runs it:\n{err}") from None
            probe_output = cell_text([notebook.cells.pop()])
            return ColabRun(
                restarts=restarts,
                restart_output=restart_output,
                notebook=notebook,
                label=np.load(probe_to),
                probe_output=probe_output,
                installed=session.installed(),
            )
        raise AssertionError(
            f"{source.relative_to(ROOT)}: the session restarted on every run; the second 'Run all' "
            f"must run the chapter. Last output:\n{restart_output[-3000:]}"
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def render_label(python: Path, env: dict, out: Path, setup: str) -> np.ndarray:
    """BENGALI_LABEL drawn by ``python`` after ``setup`` (code that applies the figure style)."""
    code = setup + "\n" + PROBE.format(label=BENGALI_LABEL, path=str(out))
    subprocess.run([str(python), "-c", code], check=True, capture_output=True, env=env)
    return np.load(out)


def shaping_error(drawn: np.ndarray, reference: np.ndarray) -> float:
    """How far ``drawn`` is from ``reference``: the summed absolute difference of the grey levels
    over the reference's ink (0 for the same picture; a vowel sign in the wrong place gives
    far more than 0.1)."""
    if drawn.shape != reference.shape:
        return float("inf")
    ink = (255.0 - reference).sum()
    return float(np.abs(drawn - reference).sum() / ink)
