"""The chapters' code is linted and formatted like the library's.

- `ruff check` (the settings in pyproject.toml) passes on every chapter's .ipynb, which carries the
  same code cells as its .md;
- every code cell of every chapter .md is as `coursekit format` (ruff format) writes it;
- the library itself (src, tests, benchmarks) passes `ruff check` and `ruff format --check`.

Both checks run as `make lint` runs them, and each is shown to fail on a temporary copy of a
chapter with one cell broken on purpose.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.authoring import book, formatting

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "01-gradient-descent"
TIDY_LINE = 'X, y = diabetes_xy(("bmi", "bp"))'
UNTIDY_LINE = 'X,y = diabetes_xy( ("bmi","bp") )'


def ruff_check(root: Path, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(formatting.find_ruff()), "check", "--no-cache", *map(str, paths)],
        cwd=root,
        capture_output=True,
        text=True,
    )


def coursekit(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coursekit.authoring.cli", "--root", str(root), *args],
        cwd=root,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def chapter_copy(tmp_path: Path) -> Path:
    """A repository with one chapter and the project's ruff settings; returns the chapter's .md."""
    for name in ("pyproject.toml", "_config.yml"):
        shutil.copy(ROOT / name, tmp_path / name)
    # ruff sorts imports of the packages it finds under src/ as first-party
    (tmp_path / "src").symlink_to(ROOT / "src", target_is_directory=True)
    (tmp_path / "chapters" / "bn").mkdir(parents=True)  # a book has both language folders
    folder = tmp_path / "chapters" / "en"
    folder.mkdir()
    for suffix in (".md", ".ipynb"):
        shutil.copy(ROOT / "chapters" / "en" / f"{CHAPTER}{suffix}", folder)
    return folder / f"{CHAPTER}.md"


def break_a_cell(md: Path, old: str, new: str) -> None:
    text = md.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is no longer in {CHAPTER}.md: choose another line"
    md.write_text(text.replace(old, new), encoding="utf-8")
    book.pair(md)


def test_ruff_check_passes_on_every_chapter_notebook():
    notebooks = sorted((ROOT / "chapters").glob("*/*.ipynb"))
    assert notebooks, "no chapter notebooks found"
    result = ruff_check(ROOT, *notebooks)
    assert result.returncode == 0, (
        "ruff finds problems in the chapters' code (fix them in the .md, then `make pair`):\n"
        + result.stdout[-6000:]
        + result.stderr
    )


def test_the_library_is_linted_and_formatted_the_same_way():
    folders = [ROOT / name for name in ("src", "tests", "benchmarks")]
    checked = ruff_check(ROOT, *folders)
    assert checked.returncode == 0, "ruff check:\n" + checked.stdout[-6000:] + checked.stderr
    formatted = subprocess.run(
        [str(formatting.find_ruff()), "format", "--check", "--no-cache", *map(str, folders)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert formatted.returncode == 0, "run `.venv/bin/ruff format src tests benchmarks`:\n" + (
        formatted.stdout[-6000:] + formatted.stderr
    )


def test_every_chapter_is_formatted():
    result = coursekit(ROOT, "format", "--check")
    assert result.returncode == 0, (
        "some chapters' code cells are not formatted: run `.venv/bin/coursekit format`\n"
        + result.stdout
        + result.stderr
    )


def test_ruff_check_reports_a_broken_cell(chapter_copy):
    ipynb = chapter_copy.with_suffix(".ipynb")
    assert ruff_check(chapter_copy.parents[2], ipynb).returncode == 0
    break_a_cell(chapter_copy, TIDY_LINE, "import json\n" + TIDY_LINE)
    result = ruff_check(chapter_copy.parents[2], ipynb)
    assert result.returncode == 1
    assert "F401" in result.stdout and "json" in result.stdout


def test_format_check_names_the_chapter_with_an_unformatted_cell(chapter_copy):
    root = chapter_copy.parents[2]
    assert coursekit(root, "format", "--check").returncode == 0
    break_a_cell(chapter_copy, TIDY_LINE, UNTIDY_LINE)
    before = chapter_copy.read_text(encoding="utf-8")
    result = coursekit(root, "format", "--check")
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"chapters/en/{CHAPTER}.md" in result.stdout
    assert chapter_copy.read_text(encoding="utf-8") == before, "--check must not write"


def test_format_fixes_the_cell_keeps_magics_and_pairs_the_notebook(chapter_copy):
    root = chapter_copy.parents[2]
    original = chapter_copy.read_text(encoding="utf-8")
    break_a_cell(chapter_copy, TIDY_LINE, "%matplotlib inline\n!echo hi\n" + UNTIDY_LINE)
    result = coursekit(root, "format")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "reformatted" in result.stdout
    text = chapter_copy.read_text(encoding="utf-8")
    assert "%matplotlib inline\n!echo hi\n" + TIDY_LINE in text
    assert text == original.replace(TIDY_LINE, "%matplotlib inline\n!echo hi\n" + TIDY_LINE)
    ipynb = chapter_copy.with_suffix(".ipynb")
    assert ipynb.read_text(encoding="utf-8") == book.paired_ipynb_text(chapter_copy)
    assert coursekit(root, "format", "--check").returncode == 0


def test_format_explains_a_cell_that_is_not_python(chapter_copy):
    root = chapter_copy.parents[2]
    break_a_cell(chapter_copy, TIDY_LINE, "X, y = = 1")
    result = coursekit(root, "format", "--check")
    assert result.returncode == 2
    # the message points at the line of the .md, where a contributor fixes it
    assert f"chapters/en/{CHAPTER}.md:" in result.stderr
    assert "is not valid Python" in result.stderr and "Traceback" not in result.stderr
