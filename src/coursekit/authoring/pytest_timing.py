"""pytest plugin: print how long each notebook took to run (nbval, the student-notebook test
and the Colab-like runs).

Loaded with ``-p coursekit.authoring.pytest_timing`` (see pyproject.toml). Works with pytest-xdist
(``--dist loadfile`` keeps a notebook's cells, which share one kernel, on one worker): the
controller receives every cell's report and prints the table at the end of the run.
"""

from __future__ import annotations

import time
from collections import defaultdict

_durations: dict[str, float] = defaultdict(float)
_failed: set[str] = set()
_started = time.monotonic()


# Tests that run a whole chapter notebook, parametrized by the chapter, and how their runs are
# labelled in the table (nbval's own items are the notebook files themselves).
_NOTEBOOK_TESTS = {
    "tests/test_student.py": "pinned, stubs and solutions",
    "tests/test_colab_cpu.py": "Colab CPU/GPU-like",
    "tests/test_colab_tpu.py": "Colab TPU-like",
}


def _notebook_of(nodeid: str) -> str | None:
    path = nodeid.split("::", 1)[0]
    if path.endswith(".ipynb"):
        return path
    label = _NOTEBOOK_TESTS.get(path)
    if label is None or not nodeid.endswith("]") or "[" not in nodeid:
        return None
    return f"{nodeid[nodeid.rindex('[') + 1 : -1]} ({label})"


def pytest_runtest_logreport(report) -> None:
    notebook = _notebook_of(report.nodeid)
    if notebook is None:
        return
    _durations[notebook] += report.duration
    if report.failed:
        _failed.add(notebook)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if hasattr(config, "workerinput") or not _durations:
        return
    tr = terminalreporter
    tr.write_sep("=", "notebook run times")
    width = max(len(name) for name in _durations)
    for name, seconds in sorted(_durations.items(), key=lambda kv: -kv[1]):
        status = "FAILED" if name in _failed else "ok"
        tr.write_line(f"{name:<{width}}  {seconds:8.1f} s  {status}")
    total = sum(_durations.values())
    elapsed = time.monotonic() - _started
    tr.write_line(
        f"{len(_durations)} notebooks: {total:.1f} s of notebook time in a {elapsed:.1f} s session"
    )
