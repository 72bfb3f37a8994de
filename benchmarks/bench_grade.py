"""How long ``coursekit grade`` takes for a whole class: N hand-ins of one chapter.

The class is made from the chapter itself, as an instructor would receive it: most notebooks
answered correctly (some renamed as Colab downloads name them), some with a wrong answer, some
unanswered (the student version), one that raises before the first exercise, one that is not JSON
and one that loops forever (it costs the whole time limit). The script prints the wall time of the
command, the time per notebook, and how many notebooks got each status::

    .venv/bin/python benchmarks/bench_grade.py 05 --lang bn --students 80 --jobs 2 --timeout 120
"""

from __future__ import annotations

import argparse
import ast
import csv
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from coursekit.authoring import book, student  # noqa: E402


def first_solution(notebook):
    return next(c for c in notebook.cells if student.SOLUTION_TAG in student.tags_of(c))


def made_wrong(notebook):
    """The first exercise's answer doubled: a wrong value of the right kind."""
    cell = first_solution(notebook)
    names = [n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)]
    if names:
        name = names[0]
        cell.source += (
            f"\n\n_answer = {name}\n\n\ndef {name}(*args, **kwargs):\n"
            "    result = _answer(*args, **kwargs)\n"
            "    return [2 * r for r in result] if isinstance(result, tuple) else 2 * result\n"
        )
    else:  # a value: assigned on the cell's last line
        target = ast.parse(cell.source).body[-1].targets[0].id
        cell.source += f"\n{target} = 2 * {target}\n"
    return notebook


def write_class(md: Path, folder: Path, students: int) -> None:
    folder.mkdir(parents=True)
    kinds = ["wrong"] * (students // 8) + ["stubs"] * (students // 10)
    kinds += ["raises", "not_json", "loops"]
    kinds += ["renamed"] * (students // 10)
    kinds += ["correct"] * (students - len(kinds))
    for number, kind in enumerate(kinds[:students], start=1):
        name = f"student{number:03d}.ipynb"
        notebook = book.read_markdown_notebook(md)
        if kind == "stubs":
            notebook = student.student_notebook(md)
        elif kind == "wrong":
            notebook = made_wrong(notebook)
        elif kind == "raises":
            at = notebook.cells.index(first_solution(notebook))
            notebook.cells.insert(at, nbformat.v4.new_code_cell("1 / 0"))
        elif kind == "loops":
            notebook.cells.insert(2, nbformat.v4.new_code_cell("while True:\n    pass"))
        elif kind == "renamed":
            name = f"Copy of {md.stem} ({number}).ipynb"
        if kind == "not_json":
            (folder / name).write_text('{"cells": [', encoding="utf-8")
        else:
            nbformat.write(notebook, folder / name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapter", nargs="?", default="05")
    parser.add_argument("--lang", default="bn", choices=("bn", "en"))
    parser.add_argument("--students", type=int, default=80)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    md = student.select_chapters(ROOT, [args.chapter], [args.lang])[0]
    with tempfile.TemporaryDirectory(prefix="bench-grade-") as tmp:
        tmp = Path(tmp)
        write_class(md, tmp / "handed_in", args.students)
        command = [
            str(ROOT / ".venv" / "bin" / "coursekit"), "--root", str(ROOT), "grade", args.chapter,
            str(tmp / "handed_in"), "--lang", args.lang, "--out", str(tmp / "results"),
            "--jobs", str(args.jobs), "--timeout", str(args.timeout),
        ]  # fmt: skip
        start = time.monotonic()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        wall = time.monotonic() - start
        with open(tmp / "results" / "grades.csv", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    seconds = [float(r["seconds"]) for r in rows]
    statuses = Counter(r["status"] for r in rows)
    scores = Counter(f"{r['passed']}/{r['of']}" for r in rows)
    print(
        f"chapter {md.stem} ({args.lang}), {len(rows)} hand-ins, --jobs {args.jobs}, "
        f"--timeout {args.timeout:g} s"
    )
    print(f"  wall time of `coursekit grade`: {wall:.0f} s ({wall / 60:.1f} min)")
    print(
        f"  per notebook: median {statistics.median(seconds):.1f} s, "
        f"longest {max(seconds):.1f} s (the loop stopped at its limit)"
    )
    print("  statuses: " + ", ".join(f"{n} {s}" for s, n in statuses.most_common()))
    print("  scores:   " + ", ".join(f"{n} × {s}" for s, n in scores.most_common()))


if __name__ == "__main__":
    main()
