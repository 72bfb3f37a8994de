"""Student notebooks: generated for every chapter; for every exercise in both languages the
check fails on the stub (saying "not answered yet" in the notebook's language) and passes on
the solution.

Each chapter is run once, in one kernel: at every exercise the student's stub cell runs first
and its check must fail; then the instructor's solution cell runs and the same check must pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from coursekit.authoring import book, cli, student
from coursekit.checks import unanswered

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = book.notebook_sources(ROOT)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def errors(cell) -> list[str]:
    return [
        f"{o.get('ename')}: {o.get('evalue')} {' '.join(o.get('traceback', []))}"
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]


def text(cell) -> str:
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if "text" in o)


def test_every_chapter_has_three_exercises_with_checks():
    for md in NOTEBOOKS:
        cells = book.read_markdown_notebook(md).cells
        solutions = [c for c in cells if student.SOLUTION_TAG in student.tags_of(c)]
        checks = [c for c in cells if student.CHECK_TAG in student.tags_of(c)]
        assert len(solutions) >= 3 and len(checks) >= 3, f"{rel(md)}: fewer than 3 exercises"


def test_cli_writes_student_notebooks_and_never_into_the_sources(tmp_path, capsys):
    assert cli.main(["--root", str(ROOT), "student", "--out", str(tmp_path)]) == 0
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.ipynb"))
    assert written == sorted(Path(p.parent.name) / f"{p.stem}.ipynb" for p in NOTEBOOKS)
    for path in tmp_path.rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None
    assert cli.main(["--root", str(ROOT), "student", "--out", str(ROOT / "chapters")]) == 2
    assert "refusing" in capsys.readouterr().err
    assert cli.main(["--root", str(ROOT), "student", "99", "--out", str(tmp_path)]) == 2
    assert "no chapter called '99'" in capsys.readouterr().err


def test_cli_selects_chapters_and_languages(tmp_path):
    first = NOTEBOOKS[0].stem
    assert (
        cli.main(
            ["--root", str(ROOT), "student", first[:2], "--lang", "bn", "--out", str(tmp_path)]
        )
        == 0
    )
    assert [p.relative_to(tmp_path) for p in tmp_path.rglob("*.ipynb")] == [
        Path("bn") / f"{first}.ipynb"
    ]


@pytest.mark.parametrize("md", NOTEBOOKS, ids=rel)
def test_checks_fail_on_the_stub_and_pass_on_the_solution(md, tmp_path):
    lang = book.lang_of(md)
    teacher = book.read_markdown_notebook(md)
    learner = student.student_notebook(md)
    stub_message = unanswered(lang)
    client = NotebookClient(
        nbformat.from_dict(teacher),  # scratch copy: the client stores each run cell in it
        kernel_name="python3",
        timeout=900,
        allow_errors=True,
        resources={"metadata": {"path": str(md.parent)}},
    )
    cells = teacher.cells
    pending_check = None
    with client.setup_kernel(env={**os.environ, "COURSE_MODE": "quick", "TQDM_DISABLE": "1"}):
        for index, cell in enumerate(cells):
            if cell.cell_type != "code":
                continue
            tags = student.tags_of(cell)
            if student.SOLUTION_TAG in tags:
                stub_cell = nbformat.v4.new_code_cell(learner.cells[index].source)
                client.execute_cell(stub_cell, index)
                for problem in errors(stub_cell):
                    assert "AnswerStub" in problem, (
                        f"{rel(md)} cell {index}: the stub broke: {problem}"
                    )
                check_index = next(
                    i
                    for i in range(index + 1, len(cells))
                    if student.CHECK_TAG in student.tags_of(cells[i])
                )
                on_stub = nbformat.v4.new_code_cell(cells[check_index].source)
                client.execute_cell(on_stub, check_index)
                found = errors(on_stub)
                assert found and any(stub_message in e for e in found), (
                    f"{rel(md)} cell {check_index}: the check did not report the stub as not "
                    f"answered ({found or text(on_stub)!r})"
                )
                pending_check = check_index
            run = nbformat.v4.new_code_cell(cell.source)
            client.execute_cell(run, index)
            assert not errors(run), f"{rel(md)} cell {index} failed: {errors(run)[0][:2000]}"
            if index == pending_check:
                assert "✔" in text(run), f"{rel(md)} cell {index}: the check printed no success"
                pending_check = None
