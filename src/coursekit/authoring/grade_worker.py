"""Run one handed-in notebook, then the chapter's own checks on its answers: the process that
``coursekit grade`` starts for each submission (``python -m coursekit.authoring.grade_worker
JOB.json``).

The notebook's code cells run one after another in IPython's shell (the engine of the Jupyter
kernel, so magics and ``display`` work) in this fresh process. A cell that raises is recorded and
the next cell runs, as in a graded run of the whole notebook. The cells share one time limit; when
it is spent the running cell is stopped and no further cell of the notebook runs. Then each
check of the chapter runs, taken from the chapter's source, never from the submission, with a time
limit of its own. Before the checks, the course's check modules are put back as they were before
the notebook ran, so a notebook that replaced a checker does not grade itself.

The result is written to the job's ``result`` file in one step (JSON); before each cell the
worker writes the cell's number to the ``progress`` file, so that the parent can say where a
notebook was when it had to be killed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sys
import time
from pathlib import Path


class _OutOfTime(BaseException):
    """Raised by the alarm. A BaseException, so that a notebook's ``except Exception`` does not
    swallow it."""


def _alarm(signum, frame):
    raise _OutOfTime()


def _write(path: str, data) -> None:
    tmp = Path(path).with_suffix(".part")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def _run_cells(shell, cells: list[dict], budget_s: float, progress: str) -> dict:
    """Run the notebook's cells; return the errors they raised and where time ran out."""
    from coursekit.checks import AnswerStub

    deadline = time.monotonic() + budget_s
    errors, stopped_in = [], None
    for cell in cells:
        left = deadline - time.monotonic()
        if left <= 0:
            stopped_in = cell["number"]
            break
        _write(progress, {"cell": cell["number"]})
        signal.setitimer(signal.ITIMER_REAL, left)
        try:
            result = shell.run_cell(cell["source"], store_history=False)
        except _OutOfTime:  # raised between the cell's end and the alarm's reset
            result = None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        error = None if result is None else (result.error_before_exec or result.error_in_exec)
        if result is None or isinstance(error, _OutOfTime):
            stopped_in = cell["number"]
            break
        if error is not None and not isinstance(error, AnswerStub):
            errors.append({"cell": cell["number"], "error": _short(error)})
        with contextlib.suppress(Exception):  # figures are never looked at: free their memory
            if "matplotlib.pyplot" in sys.modules:
                sys.modules["matplotlib.pyplot"].close("all")
    return {"errors": errors, "stopped_in": stopped_in}


def _pristine(module_names: list[str]) -> dict:
    """The course's check modules as imported now, before any notebook code ran."""
    import importlib

    saved = {}
    for name in module_names:
        module = importlib.import_module(name)
        saved[name] = (module, dict(module.__dict__))
    return saved


def _restore(saved: dict) -> None:
    for name, (module, namespace) in saved.items():
        sys.modules[name] = module
        module.__dict__.clear()
        module.__dict__.update(namespace)


def _run_check(shell, check: dict, timeout_s: float) -> dict:
    """Run one trusted check cell in the notebook's namespace: passed, and what it said."""
    from coursekit.checks import AnswerStub, CheckFailed, unanswered

    out = io.StringIO()
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(check["source"], f"<check of exercise {check['number']}>", "exec"),
                 shell.user_ns)  # fmt: skip
    except _OutOfTime:
        return {"passed": False, "kind": "timeout", "message": ""}
    except CheckFailed as failed:
        return {"passed": False, "kind": "failed", "message": failed.message}
    except AnswerStub:
        return {"passed": False, "kind": "failed", "message": unanswered(check["lang"])}
    except BaseException as error:  # the answer is missing or broke the check itself
        return {"passed": False, "kind": "error", "message": _short(error)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    said = [line for line in out.getvalue().splitlines() if line.startswith("✔")]
    return {"passed": True, "kind": "passed", "message": said[-1] if said else ""}


def main(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text(encoding="utf-8"))
    signal.signal(signal.SIGALRM, _alarm)
    saved = _pristine(job["modules"])
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    run = _run_cells(shell, job["cells"], job["budget_s"], job["progress"])
    _restore(saved)
    _write(job["progress"], {"cell": None, "checks": True})
    checks = [_run_check(shell, check, job["check_timeout_s"]) for check in job["checks"]]
    _write(job["result"], {**run, "checks": checks})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
