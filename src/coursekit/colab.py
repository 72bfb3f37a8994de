"""Getting a Google Colab session ready for the course: what every chapter's first cell calls.

Colab's runtime already holds most of what the course needs, at its own versions, and has some
of it loaded before the first cell runs (matplotlib, for one). The first cell installs the course
package alone (``pip install --no-deps``); :func:`prepare` then

1. installs the course's requirements that the runtime lacks or has too old (today: matplotlib,
   which shapes Bengali script only from 3.11, while Colab ships 3.10), quietly, and never
   touching what Colab ships and loads itself: the packages in :data:`KEEP` (numpy, torch,
   TensorFlow, Keras, JAX and the kernel's own packages) are held at the versions present;
2. if a package it upgraded was already imported in this session, restarts the session once, with
   a line saying so in the page's language, so that the new version is the one loaded: the old
   module would stay in memory otherwise, half-upgraded, which is the state Colab itself warns
   about. After the restart, "Run all" runs the chapter; nothing is installed the second time.

Where to install the course from is the first cell's ``COURSE_SOURCE`` (any ``pip install``
argument: a fork, a branch, a wheel), so a contributor can try a change in Colab with
``%env COURSE_SOURCE=git+https://github.com/<you>/<fork>@<branch>`` before the first cell.
"""

from __future__ import annotations

import importlib.metadata as metadata
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .lang import Messages, check_lang

PACKAGE = "dl-bangla-course"

# What Colab ships and the install must leave exactly as it is: the array libraries and
# frameworks the chapters import (another version on disk than in memory breaks them), and the
# kernel's own packages (Colab warns that upgrading them can crash the runtime).
KEEP = (
    "numpy",
    "torch",
    "tensorflow",
    "tensorflow-cpu",
    "keras",
    "jax",
    "jaxlib",
    "ipykernel",
    "ipython",
    "jupyter-client",
    "tornado",
    "pyzmq",
    "traitlets",
)

# Distribution name -> the module it is imported as, where they differ.
_MODULES = {"scikit-learn": "sklearn", "pillow": "PIL", "pyzmq": "zmq"}

_MESSAGES = {
    "en": {
        "installing": "Installing what this Colab session lacks for the course: {what} ...",
        "installed": "Installed {what} in {seconds:.0f} s.",
        "failed": (
            "Installing the course's requirements failed ({what}). pip said:\n{tail}\n"
            "Run the first cell again; if it fails again, choose Runtime → Disconnect and delete "
            "runtime, then run all cells."
        ),
        "restart": (
            "Loaded in this session at the old version: {what}. The session restarts now so "
            "that the new version is loaded (Colab may report that the session crashed: "
            "that is this restart). When it has reconnected, run all cells again "
            "(Runtime → Run all); the first cell will not install anything the second time."
        ),
        "cannot_restart": (
            "Loaded at the old version: {what}. Restart the session "
            "(Runtime → Restart session), then run all cells again."
        ),
    },
    "bn": {
        "installing": "এই Colab সেশনে কোর্সের যা নেই তা ইনস্টল হচ্ছে: {what} ...",
        "installed": "ইনস্টল হলো {what}, {seconds:.0f} সেকেন্ডে।",
        "failed": (
            "কোর্সের দরকারি প্যাকেজ ইনস্টল করা গেল না ({what})। pip বলেছে:\n{tail}\n"
            "প্রথম সেলটি আবার চালান; আবারও না হলে Runtime → Disconnect and delete runtime বেছে "
            "নিয়ে সব সেল আবার চালান।"
        ),
        "restart": (
            "এই সেশনে পুরোনো সংস্করণটি আগে থেকেই লোড করা ছিল: {what}। নতুনটি লোড করতে "
            "সেশন এখন নিজে থেকেই আবার শুরু হচ্ছে (Colab হয়তো বলবে সেশন ক্র্যাশ করেছে: সেটি এই "
            "রিস্টার্ট)। আবার যুক্ত হলে সব সেল আবার চালান (Runtime → Run all); দ্বিতীয়বার প্রথম "
            "সেল কিছুই ইনস্টল করবে না।"
        ),
        "cannot_restart": (
            "পুরোনো সংস্করণটি লোড করা আছে: {what}। সেশন রিস্টার্ট করুন "
            "(Runtime → Restart session), তারপর সব সেল আবার চালান।"
        ),
    },
}
_text = Messages(_MESSAGES)


class ColabSetupError(RuntimeError):
    """The course's requirements could not be installed in this session."""


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def requirements(package: str = PACKAGE) -> list:
    """The course package's requirements that apply here (``packaging`` Requirement objects)."""
    from packaging.requirements import Requirement

    found = []
    for line in metadata.requires(package) or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            found.append(requirement)
    return found


def _unmet(found: list) -> list:
    """Those of the Requirement objects ``found`` that no installed version satisfies."""
    unmet = []
    for requirement in found:
        version = _installed_version(requirement.name)
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            unmet.append(requirement)
    return unmet


def missing(package: str = PACKAGE) -> list[str]:
    """The requirements of ``package`` that are not installed, or installed at a version they
    exclude, as ``pip install`` arguments."""
    return [str(requirement) for requirement in _unmet(requirements(package))]


def keep_constraints() -> str:
    """pip constraints that hold every package of :data:`KEEP` that is installed at its version."""
    lines = []
    for name in KEEP:
        version = _installed_version(name)
        if version is not None:
            lines.append(f"{name}=={version}")
    return "\n".join(lines) + "\n"


def stale(names) -> list[str]:
    """Those of the distributions ``names`` whose module is loaded at another version than the
    one installed now (each as "name loaded → installed")."""
    found = []
    for name in names:
        module = sys.modules.get(_MODULES.get(_normal(name), _normal(name).replace("-", "_")))
        loaded = getattr(module, "__version__", None)
        installed = _installed_version(name)
        if loaded is not None and installed is not None and str(loaded) != installed:
            found.append(f"{name} {loaded} → {installed}")
    return found


def install(wanted: list[str], lang: str = "en") -> float:
    """``pip install`` ``wanted`` quietly with :data:`KEEP` held at its versions; return seconds.

    Raises ColabSetupError, with the end of pip's output, when pip fails."""
    what = ", ".join(wanted)
    print(_text(lang, "installing", what=what), flush=True)
    with tempfile.TemporaryDirectory(prefix="coursekit-") as folder:
        constraints = Path(folder) / "keep.txt"
        constraints.write_text(keep_constraints(), encoding="utf-8")
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        command += ["--constraint", str(constraints), *wanted]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ColabSetupError(_text(lang, "failed", what=what, tail=tail))
    return seconds


def restart_session() -> None:
    """End this kernel's process; Colab starts a fresh one in its place (its usual way to restart
    a session from code). The printed lines are flushed first so the reader sees them."""
    sys.stdout.flush()
    sys.stderr.flush()
    time.sleep(1.0)  # let the kernel send the last lines to the page
    os.kill(os.getpid(), signal.SIGKILL)


def prepare(lang: str = "en", restart=restart_session) -> list[str]:
    """Install what the course needs and this session lacks; restart once if that upgraded a
    module already loaded. Returns what was installed ("name version" each; empty when nothing
    was). ``restart`` is called to restart the session (``None``: only print what to do)."""
    check_lang(lang)  # an unknown lang fails here, before any work
    found = requirements()
    unmet = _unmet(found)
    installed: list[str] = []
    if unmet:
        seconds = install([str(r) for r in unmet], lang)
        installed = [f"{r.name} {_installed_version(r.name)}" for r in unmet]
        print(_text(lang, "installed", what=", ".join(installed), seconds=seconds))
    old = stale(r.name for r in found)
    if old:
        if restart is None:
            print(_text(lang, "cannot_restart", what=", ".join(old)))
        else:
            print(_text(lang, "restart", what=", ".join(old)), flush=True)
            restart()
    return installed
