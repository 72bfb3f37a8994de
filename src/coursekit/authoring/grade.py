"""Grading a class: ``coursekit grade CHAPTER SUBMISSIONS --lang bn --out RESULTS``.

Every file in the submissions folder is one student's hand-in, whatever its name (Colab
downloads arrive as ``Copy of 05-building-chhotograd (1).ipynb`` or renamed by the student). Each
is graded in a temporary copy by a fresh Python process (``grade_worker``): the notebook's code
cells run from top to bottom, without its check cells, within a time limit; then the chapter's
own checks, read from the course's source of the chapter, run against the answers the notebook
defined. What the notebook printed is never read, so a deleted, edited or faked check cell
changes nothing. A file that is not a notebook, a notebook that runs past its time or kills its
process, or one that raises before an exercise still gets its row, with the reason.

Results, written only when every submission has been graded: ``grades.csv`` (one row per file:
each exercise passed or not with the check's message, the run time) and ``feedback/<file>.md``
for each student, in the chapter's language.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..files import temp_dir
from ..lang import Messages, numeral
from . import book
from .student import CHECK_TAG, tags_of

_MESSAGES = {
    "en": {
        "title": "# Chapter {chapter}: feedback on `{file}`",
        "score": "**{passed} of {total} exercises passed.**",
        "how": (
            "Your notebook was run from top to bottom in a fresh Python, without its check cells; "
            "then the chapter's own checks ran on your answers. What your notebook printed was "
            "not used."
        ),
        "exercise": "Exercise {number}",
        "passed": "passed",
        "not_passed": "not passed",
        "notes": "Notes",
        "unreadable": (
            "This file could not be read as a Jupyter notebook ({reason}). Download the notebook "
            "again (in Colab: File → Download → Download .ipynb) and hand in that file."
        ),
        "not_json": "it is not valid JSON: {error}",
        "not_notebook": "it is JSON, but not a notebook: {error}",
        "timed_out": (
            "The notebook did not finish within {limit} s: it was stopped in cell {cell}. "
            "Look for a loop that never ends there; the exercises were checked on what had run."
        ),
        "killed": (
            "The notebook did not finish within {limit} s and had to be killed, in cell {cell}. "
            "Look for a loop that never ends there."
        ),
        "crashed": (
            "The Python process running the notebook died ({how}) in cell {cell}: the notebook "
            "crashed it or used too much memory. No exercise could be checked."
        ),
        "cell_raised": "Cell {cell} raised {error} (the cells after it still ran).",
        "check_timeout": (
            "the check did not finish within {limit} s: does your answer loop forever?"
        ),
        "check_error": "the check could not run on your answer: {error}",
        "not_run": "not checked: the notebook could not be run",
        "status_graded": "graded",
        "status_unreadable": "unreadable",
        "status_timed_out": "timed out",
        "status_crashed": "crashed",
    },
    "bn": {
        "title": "# অধ্যায় {chapter}: `{file}` নিয়ে মতামত",
        "score": "**{total}টি অনুশীলনীর মধ্যে {passed}টি পাস করেছে।**",
        "how": (
            "আপনার নোটবুকটি যাচাই-সেলগুলো বাদ দিয়ে একটি নতুন Python-এ ওপর থেকে নিচ পর্যন্ত চালানো "
            "হয়েছে; তারপর অধ্যায়ের নিজস্ব যাচাইগুলো চলেছে আপনার উত্তরের ওপর। নোটবুক যা প্রিন্ট করেছে, "
            "তা গোনা হয়নি।"
        ),
        "exercise": "অনুশীলনী {number}",
        "passed": "পাস",
        "not_passed": "পাস করেনি",
        "notes": "মন্তব্য",
        "unreadable": (
            "ফাইলটিকে Jupyter নোটবুক হিসেবে পড়া যায়নি ({reason})। নোটবুকটি আবার ডাউনলোড করুন "
            "(Colab-এ: File → Download → Download .ipynb) আর সেই ফাইলটি জমা দিন।"
        ),
        "not_json": "এটি বৈধ JSON নয়: {error}",
        "not_notebook": "এটি JSON, কিন্তু নোটবুক নয়: {error}",
        "timed_out": (
            "নোটবুকটি {limit} s-এর মধ্যে শেষ হয়নি: সেল {cell}-এ একে থামানো হয়েছে। সেখানে কোনো "
            "অশেষ লুপ আছে কি না দেখুন; যতটুকু চলেছে, তার ওপরই অনুশীলনীগুলো যাচাই হয়েছে।"
        ),
        "killed": (
            "নোটবুকটি {limit} s-এর মধ্যে শেষ হয়নি, সেল {cell}-এ একে জোর করে বন্ধ করতে হয়েছে। "
            "সেখানে কোনো অশেষ লুপ আছে কি না দেখুন।"
        ),
        "crashed": (
            "নোটবুক চালানো Python প্রসেসটি সেল {cell}-এ বন্ধ হয়ে গেছে ({how}): নোটবুকটি একে "
            "ক্র্যাশ করিয়েছে বা অতিরিক্ত মেমরি নিয়েছে। কোনো অনুশীলনী যাচাই করা যায়নি।"
        ),
        "cell_raised": "সেল {cell} এরর তুলেছে: {error} (পরের সেলগুলো তবুও চলেছে)।",
        "check_timeout": "যাচাই {limit} s-এর মধ্যে শেষ হয়নি: আপনার উত্তরে কি কোনো অশেষ লুপ আছে?",
        "check_error": "আপনার উত্তরের ওপর যাচাই চালানো যায়নি: {error}",
        "not_run": "যাচাই হয়নি: নোটবুকটি চালানো যায়নি",
        "status_graded": "গ্রেড হয়েছে",
        "status_unreadable": "পড়া যায়নি",
        "status_timed_out": "সময় পেরিয়েছে",
        "status_crashed": "ক্র্যাশ করেছে",
    },
}
_text = Messages(_MESSAGES)

# The modules whose functions the checks call: put back before the checks run.
_TRUSTED = ["coursekit.lang", "coursekit.checks"]
_CHECK_CALL = re.compile(r"\bch\d\d\s*\.\s*check_\w+\s*\(|coursekit\.exercises")
# Seconds the parent waits beyond the notebook's and the checks' limits before it kills.
_GRACE_S = 30.0


class GradeError(ValueError):
    """The chapter, the submissions folder or the results folder cannot be used."""


@dataclass(frozen=True)
class Exercise:
    number: int
    title: str
    check: str  # the check cell's source, from the course's chapter


@dataclass
class Result:
    """One submission's row: ``status`` is graded, unreadable, timed out or crashed."""

    file: str
    status: str
    checks: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(c["passed"] for c in self.checks)


def exercises_of(md_path: Path) -> list[Exercise]:
    """The chapter's exercises in order: the heading above each check cell, and the check."""
    notebook = book.read_markdown_notebook(md_path)
    found, heading = [], ""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            titles = [line for line in cell.source.splitlines() if line.startswith("### ")]
            heading = titles[-1][4:].strip() if titles else heading
        elif CHECK_TAG in tags_of(cell):
            found.append(Exercise(len(found) + 1, heading, cell.source))
    if not found:
        raise GradeError(
            f"{md_path} has no exercise (no code cell tagged {CHECK_TAG}): nothing to grade"
        )
    return found


def _is_check_cell(cell) -> bool:
    return CHECK_TAG in tags_of(cell) or bool(_CHECK_CALL.search(cell.get("source", "")))


def read_submission(path: Path, lang: str):
    """The notebook in ``path``; GradeError with a reason in ``lang`` when it is not one."""
    import nbformat

    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as err:
        raise GradeError(_text(lang, "not_json", error=f"{err.msg} (line {err.lineno})")) from None
    try:
        notebook = nbformat.reads(json.dumps(data), as_version=4)
        if not isinstance(notebook.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as err:  # noqa: BLE001 - any reason nbformat gives is the student's to see
        reason = " ".join(str(err).split())[:200]
        raise GradeError(_text(lang, "not_notebook", error=reason)) from None
    return notebook


def _signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def grade_one(
    path: Path,
    exercises: list[Exercise],
    *,
    lang: str,
    module: str,
    timeout_s: float,
    check_timeout_s: float,
    mode: str,
) -> Result:
    """Grade one file; never raises for anything the file holds."""
    start = time.monotonic()
    result = Result(file=path.name, status="graded")
    not_run = [{"passed": False, "kind": "not_run", "message": _text(lang, "not_run")}] * len(
        exercises
    )
    try:
        notebook = read_submission(path, lang)
    except GradeError as err:
        result.status, result.checks = "unreadable", not_run
        result.notes.append(_text(lang, "unreadable", reason=str(err)))
        result.seconds = time.monotonic() - start
        return result
    cells = [
        {"number": number, "source": cell.source}
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code" and not _is_check_cell(cell)
    ]
    with tempfile.TemporaryDirectory(prefix="coursekit-grade-") as tmp:
        work = Path(tmp)
        shutil.copyfile(path, work / "submission.ipynb")  # the run happens beside a copy
        job = {
            "cells": cells,
            "checks": [{"number": e.number, "source": e.check, "lang": lang} for e in exercises],
            "modules": [*_TRUSTED, module],
            "budget_s": timeout_s,
            "check_timeout_s": check_timeout_s,
            "result": str(work / "result.json"),
            "progress": str(work / "progress.json"),
        }
        (work / "job.json").write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
        env = {
            **os.environ,
            "COURSE_MODE": mode,
            "MPLBACKEND": "Agg",
            "TQDM_DISABLE": "1",
            "PYTHONWARNINGS": "ignore",
        }
        hard_limit = timeout_s + check_timeout_s * len(exercises) + _GRACE_S
        with open(work / "output.txt", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "coursekit.authoring.grade_worker", str(work / "job.json")],
                cwd=work,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole, children too
            )
            try:
                returncode = process.wait(timeout=hard_limit)
            except subprocess.TimeoutExpired:
                returncode = None
            finally:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        progress = _read_json(work / "progress.json") or {}
        report = _read_json(work / "result.json")
    where = progress.get("cell") or "?"
    if report is None:
        result.checks = not_run
        if returncode is None:
            result.status = "timed out"
            result.notes.append(
                _text(lang, "killed", limit=numeral(lang, timeout_s), cell=numeral(lang, where))
            )
        else:
            result.status = "crashed"
            how = _signal_name(returncode) if returncode < 0 else f"exit status {returncode}"
            result.notes.append(_text(lang, "crashed", how=how, cell=numeral(lang, where)))
    else:
        for error in report["errors"]:
            result.notes.append(
                _text(lang, "cell_raised", cell=numeral(lang, error["cell"]), error=error["error"])
            )
        if report["stopped_in"] is not None:
            result.status = "timed out"
            result.notes.append(
                _text(
                    lang,
                    "timed_out",
                    limit=numeral(lang, timeout_s),
                    cell=numeral(lang, report["stopped_in"]),
                )
            )
        for check in report["checks"]:
            if check["kind"] == "timeout":
                check["message"] = _text(
                    lang, "check_timeout", limit=numeral(lang, check_timeout_s)
                )
            elif check["kind"] == "error":
                check["message"] = _text(lang, "check_error", error=check["message"])
        result.checks = report["checks"]
    result.seconds = time.monotonic() - start
    return result


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def csv_text(results: list[Result], exercises: list[Exercise], lang: str) -> str:
    """The class's table: one row per file."""
    out = io.StringIO()
    writer = csv.writer(out)
    header = ["file", "status", "passed", "of"]
    for e in exercises:
        header += [f"exercise {e.number}", f"exercise {e.number} message"]
    writer.writerow([*header, "seconds", "notes"])
    for r in results:
        row = [
            r.file,
            _text(lang, f"status_{r.status.replace(' ', '_')}"),
            r.passed,
            len(exercises),
        ]
        for check in r.checks:
            row += [1 if check["passed"] else 0, check["message"]]
        writer.writerow([*row, f"{r.seconds:.1f}", " ".join(r.notes)])
    return out.getvalue()


def feedback_text(result: Result, exercises: list[Exercise], lang: str, chapter: str) -> str:
    """One student's feedback, in ``lang``: the score, each exercise with what its check said."""
    lines = [
        _text(lang, "title", chapter=numeral(lang, chapter), file=result.file),
        "",
        _text(
            lang,
            "score",
            passed=numeral(lang, result.passed),
            total=numeral(lang, len(exercises)),
        ),
        "",
    ]
    for exercise, check in zip(exercises, result.checks, strict=True):
        mark = "✔" if check["passed"] else "✘"
        verdict = _text(lang, "passed" if check["passed"] else "not_passed")
        name = _text(lang, "exercise", number=numeral(lang, exercise.number))
        title = exercise.title.split(":", 1)[-1].strip() if ":" in exercise.title else ""
        lines.append(f"- {mark} **{name}**{f' ({title})' if title else ''}: {verdict}.")
        if check["message"]:
            lines.append(f"  {check['message']}")
    if result.notes:
        lines += ["", f"## {_text(lang, 'notes')}", ""] + [f"- {note}" for note in result.notes]
    lines += ["", _text(lang, "how"), ""]
    return "\n".join(lines)


def _feedback_names(results: list[Result]) -> list[str]:
    """A distinct, safe file name for each submission's feedback."""
    names, used = [], set()
    for r in results:
        # Letters of any script (with their vowel signs) stay; separators, spaces, parentheses
        # and characters that some systems refuse in file names become "_".
        stem = re.sub(r'[\s\\/:*?"<>|()\[\]{}\x00-\x1f]+', "_", Path(r.file).stem)
        stem = stem.strip("._") or "submission"
        name, count = f"{stem}.md", 1
        while name.lower() in used:
            count += 1
            name = f"{stem}-{count}.md"
        used.add(name.lower())
        names.append(name)
    return names


def submissions_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise GradeError(
            f"{folder} is not a folder: give the folder that holds the students' notebooks "
            "(one file per student)"
        )
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise GradeError(f"{folder} holds no file to grade: put the students' .ipynb files there")
    return files


def grade_class(
    md_path: Path,
    submissions: Path,
    out: Path,
    *,
    timeout_s: float = 300.0,
    check_timeout_s: float = 60.0,
    jobs: int = 2,
    mode: str = "quick",
    force: bool = False,
    on_result=None,
) -> list[Result]:
    """Grade every file in ``submissions`` against the chapter ``md_path``; write the results
    into ``out`` (``grades.csv`` and ``feedback/``) only when all are graded."""
    if timeout_s <= 0 or check_timeout_s <= 0:
        raise GradeError("the time limits must be positive numbers of seconds, e.g. --timeout 300")
    if jobs < 1:
        raise GradeError(f"--jobs must be at least 1, not {jobs}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not force:
        raise GradeError(
            f"{out} already exists and is not an empty folder: choose another --out, or pass "
            "--force to replace the results there"
        )
    files = submissions_in(Path(submissions))
    if out.resolve().is_relative_to(Path(submissions).resolve()):
        raise GradeError(
            f"--out {out} lies inside the submissions folder: choose a folder outside it"
        )
    lang = book.lang_of(md_path)
    chapter = md_path.stem.split("-", 1)[0]
    exercises = exercises_of(md_path)
    module = f"coursekit.exercises.ch{chapter}"

    def one(path: Path) -> Result:
        result = grade_one(
            path,
            exercises,
            lang=lang,
            module=module,
            timeout_s=timeout_s,
            check_timeout_s=check_timeout_s,
            mode=mode,
        )
        if on_result is not None:
            on_result(result)
        return result

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        results = list(pool.map(one, files))
    out.parent.mkdir(parents=True, exist_ok=True)
    with temp_dir(out.parent, out.name) as staging:
        (staging / "grades.csv").write_text(csv_text(results, exercises, lang), encoding="utf-8")
        (staging / "feedback").mkdir()
        for result, name in zip(results, _feedback_names(results), strict=True):
            text = feedback_text(result, exercises, lang, str(int(chapter)))
            (staging / "feedback" / name).write_text(text, encoding="utf-8")
        if out.exists():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        os.replace(staging, out)
    return results
