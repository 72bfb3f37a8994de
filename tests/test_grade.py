"""``coursekit grade`` on a synthetic class: every kind of hand-in an instructor receives gets the
grade and the reason it deserves, whatever the notebook printed or claimed."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.authoring import book, grade, student

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "01-gradient-descent"
# Long enough for chapter 1 on a busy 2-core machine, short enough for the test of the loop.
TIMEOUT_S = 60


def chapter_notebook(lang: str):
    """The chapter with its solutions: what a student who answered everything hands in."""
    return book.read_markdown_notebook(ROOT / "chapters" / lang / f"{CHAPTER}.md")


def solution_cell(notebook, function: str):
    return next(
        c for c in notebook.cells if "solution" in student.tags_of(c) and function in c.source
    )


def check_cells(notebook):
    return [c for c in notebook.cells if student.CHECK_TAG in student.tags_of(c)]


def write(folder: Path, name: str, notebook) -> None:
    nbformat.write(notebook, folder / name)


def wrong_intercept(notebook) -> None:
    """Exercise 1 answered with the gradient's sign flipped."""
    cell = solution_cell(notebook, "def mse_gradient")
    cell.source = cell.source.replace("return -2.0 *", "return 2.0 *").replace(
        ", -2.0 *", ", 2.0 *"
    )


def the_class(folder: Path, lang: str) -> dict[str, str]:
    """Write the hand-ins into ``folder``; return what each deserves, by file name."""
    folder.mkdir()
    write(folder, "all_correct.ipynb", chapter_notebook(lang))
    stubs = student.student_notebook(ROOT / "chapters" / lang / f"{CHAPTER}.md")
    write(folder, "all_stubs.ipynb", stubs)

    wrong = chapter_notebook(lang)
    wrong_intercept(wrong)
    write(folder, "one_wrong.ipynb", wrong)

    raises = chapter_notebook(lang)
    at = raises.cells.index(solution_cell(raises, "def mse_gradient"))
    raises.cells.insert(at, nbformat.v4.new_code_cell("1 / 0  # before exercise 1"))
    write(folder, "raises.ipynb", raises)

    loops = chapter_notebook(lang)
    at = loops.cells.index(solution_cell(loops, "def sgd_decay"))
    loops.cells.insert(at, nbformat.v4.new_code_cell("while True:\n    pass"))
    write(folder, "loops.ipynb", loops)

    # A wrong answer whose check cell was deleted, and a cell that prints what a pass looks like.
    faked = chapter_notebook(lang)
    wrong_intercept(faked)
    first_check = check_cells(faked)[0]
    at = faked.cells.index(first_check)
    faked.cells[at] = nbformat.v4.new_code_cell('print("✔ mse_gradient: correct.")')
    write(folder, "fake_pass.ipynb", faked)

    # A wrong answer, and a cell that replaces the checker with one that always passes.
    tampered = chapter_notebook(lang)
    wrong_intercept(tampered)
    tampered.cells.insert(
        tampered.cells.index(check_cells(tampered)[0]),
        nbformat.v4.new_code_cell(
            # Written so that it does not look like a check cell, which the grader drops.
            "import importlib\n"
            "checks = importlib.import_module('coursekit' + '.exercises' + '.ch01')\n"
            "checks.check_mse_gradient = lambda *args, **kwargs: print('✔ passed')"
        ),
    )
    write(folder, "tampered.ipynb", tampered)

    killer = chapter_notebook(lang)
    at = killer.cells.index(check_cells(killer)[1])  # after exercise 1's answer
    killer.cells.insert(
        at, nbformat.v4.new_code_cell("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    )
    write(folder, "kills_kernel.ipynb", killer)

    (folder / "not_json.ipynb").write_text(
        '{"cells": [{"cell_type": "code", "source": "x = 1"', "utf-8"
    )
    write(folder, "Copy of 01-gradient-descent (1).ipynb", chapter_notebook(lang))
    return {
        "all_correct.ipynb": "graded 111",
        "all_stubs.ipynb": "graded 000",
        "one_wrong.ipynb": "graded 011",
        "raises.ipynb": "graded 111",
        "loops.ipynb": "timed out 110",
        "fake_pass.ipynb": "graded 011",
        "tampered.ipynb": "graded 011",
        "kills_kernel.ipynb": "crashed 000",
        "not_json.ipynb": "unreadable 000",
        "Copy of 01-gradient-descent (1).ipynb": "graded 111",
    }


@pytest.fixture(scope="module")
def graded_en(tmp_path_factory):
    base = tmp_path_factory.mktemp("class_en")
    expected = the_class(base / "handed_in", "en")
    out = base / "results"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "coursekit.authoring.cli",
            "--root",
            str(ROOT),
            "grade",
            "01",
            str(base / "handed_in"),
            "--lang",
            "en",
            "--out",
            str(out),
            "--timeout",
            str(TIMEOUT_S),
            "--jobs",
            "2",
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text("utf-8"))))
    return expected, {row["file"]: row for row in rows}, out, run.stdout


def verdict(row) -> str:
    return row["status"] + " " + "".join(row[f"exercise {k}"] for k in (1, 2, 3))


def test_every_hand_in_gets_the_grade_it_deserves(graded_en):
    expected, rows, _, _ = graded_en
    assert {name: verdict(rows[name]) for name in expected} == expected


def test_a_wrong_answer_is_reported_with_the_checks_message(graded_en):
    _, rows, _, _ = graded_en
    for name in ("one_wrong.ipynb", "fake_pass.ipynb", "tampered.ipynb"):
        message = rows[name]["exercise 1 message"]
        assert message.startswith("✘ mse_gradient"), (name, message)
    assert rows["all_correct.ipynb"]["exercise 1 message"] == "✔ mse_gradient: correct."
    assert "not answered yet" in rows["all_stubs.ipynb"]["exercise 2 message"]
    # The hand-in's own check cells are not run: a failing one leaves no note.
    assert rows["one_wrong.ipynb"]["notes"] == rows["all_stubs.ipynb"]["notes"] == ""


def test_each_failure_to_run_names_its_reason_and_cell(graded_en):
    _, rows, _, _ = graded_en
    assert "Cell " in rows["raises.ipynb"]["notes"]
    assert "ZeroDivisionError" in rows["raises.ipynb"]["notes"]
    assert f"did not finish within {TIMEOUT_S} s" in rows["loops.ipynb"]["notes"]
    assert "SIGKILL" in rows["kills_kernel.ipynb"]["notes"]
    assert "not valid JSON" in rows["not_json.ipynb"]["notes"]
    for name, row in rows.items():
        assert float(row["seconds"]) >= 0, name
    # The loop was stopped at the limit, not long after it.
    assert float(rows["loops.ipynb"]["seconds"]) < TIMEOUT_S + 45


def test_each_student_gets_feedback_and_nothing_else_is_left(graded_en):
    expected, _, out, stdout = graded_en
    feedback = sorted(p.name for p in (out / "feedback").iterdir())
    assert len(feedback) == len(expected)
    assert "Copy_of_01-gradient-descent_1.md" in feedback
    text = (out / "feedback" / "one_wrong.md").read_text("utf-8")
    assert "**2 of 3 exercises passed.**" in text
    assert "✘ **Exercise 1** (a model with an intercept): not passed." in text
    assert sorted(p.name for p in out.iterdir()) == ["feedback", "grades.csv"]
    assert not list(out.parent.glob("*.tmp"))
    assert f"graded {len(expected)} file(s)" in stdout


def test_feedback_is_in_the_chapters_language(tmp_path):
    folder = tmp_path / "handed_in"
    folder.mkdir()
    wrong = chapter_notebook("bn")
    wrong_intercept(wrong)
    write(folder, "রহিম.ipynb", wrong)
    results = grade.grade_class(
        ROOT / "chapters" / "bn" / f"{CHAPTER}.md", folder, tmp_path / "out", timeout_s=TIMEOUT_S
    )
    assert [r.passed for r in results] == [2]
    text = (tmp_path / "out" / "feedback" / "রহিম.md").read_text("utf-8")
    assert "**৩টি অনুশীলনীর মধ্যে ২টি পাস করেছে।**" in text
    assert "✘ **অনুশীলনী ১**" in text
    assert "পাস করেনি" in text and "গোনা হয়নি" in text


def test_results_already_there_are_not_replaced_without_force(tmp_path):
    folder = tmp_path / "handed_in"
    folder.mkdir()
    (folder / "not_json.ipynb").write_text("{", "utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "grades.csv").write_text("an earlier class", "utf-8")
    md = ROOT / "chapters" / "en" / f"{CHAPTER}.md"
    with pytest.raises(grade.GradeError, match="already exists.*--force"):
        grade.grade_class(md, folder, out)
    assert (out / "grades.csv").read_text("utf-8") == "an earlier class"
    grade.grade_class(md, folder, out, force=True)
    assert "unreadable" in (out / "grades.csv").read_text("utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grade", "01", "missing", "--lang", "en", "--out", "o"], "is not a folder"),
        (["grade", "99", ".", "--lang", "en", "--out", "o"], "no chapter called '99'"),
        (["grade", "01", "empty", "--lang", "en", "--out", "o"], "holds no file to grade"),
        (["grade", "01", "empty", "--lang", "en", "--out", "o", "--jobs", "0"], "at least 1"),
    ],
)
def test_bad_arguments_get_one_clear_line(tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "coursekit.authoring.cli", "--root", str(ROOT), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert run.returncode == 2
    assert message in run.stderr and "Traceback" not in run.stderr
    assert not (tmp_path / "o").exists()


def test_a_json_file_that_is_not_a_notebook_is_named_so(tmp_path):
    path = tmp_path / "list.ipynb"
    path.write_text(json.dumps([1, 2, 3]), "utf-8")
    with pytest.raises(grade.GradeError, match="JSON, but not a notebook"):
        grade.read_submission(path, "en")


def test_numbers_in_feedback_are_written_in_the_pages_language():
    from coursekit.lang import numeral

    assert numeral("bn", 120) == "১২০" and numeral("bn", 2.5) == "২.৫"
    assert numeral("en", 60.0) == "60" and numeral("en", "?") == "?"
