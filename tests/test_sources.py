"""The chapters' sources follow the course's conventions.

- every chapter exists in both languages, and twin notebooks run the same program (code cells
  identical once comments and string literals are set aside);
- every chapter .md and its committed .ipynb hold the same notebook, and the .ipynb carries no
  outputs;
- every notebook starts with the standard first cell, built from the one repository URL in
  _config.yml.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jupytext.compare import compare_notebooks

from coursekit.authoring import book
from coursekit.authoring.codecompare import code_fingerprint, first_difference

ROOT = Path(__file__).resolve().parents[1]
SOURCES = book.chapter_sources(ROOT)
NOTEBOOKS = book.notebook_sources(ROOT)
BN_NOTEBOOKS = [p for p in NOTEBOOKS if p.parent.name == "bn"]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_there_are_chapters_in_both_languages():
    assert {p.parent.name for p in NOTEBOOKS} == {"bn", "en"}


@pytest.mark.parametrize("source", SOURCES, ids=rel)
def test_every_chapter_has_a_twin(source):
    twin = book.twin_path(source)
    assert twin.is_file(), f"{rel(source)} has no twin: create {rel(twin)} (same file name)."
    assert book.is_notebook_source(twin) == book.is_notebook_source(source), (
        f"{rel(source)} and {rel(twin)}: one is a notebook (jupytext front matter), the other not."
    )


@pytest.mark.parametrize("bn_source", BN_NOTEBOOKS, ids=rel)
def test_twin_notebooks_run_the_same_code(bn_source):
    en_source = book.twin_path(bn_source)
    bn_cells = [
        c.source for c in book.read_markdown_notebook(bn_source).cells if c.cell_type == "code"
    ]
    en_cells = [
        c.source for c in book.read_markdown_notebook(en_source).cells if c.cell_type == "code"
    ]
    diff = first_difference(bn_cells, en_cells)
    assert diff is None, f"{rel(bn_source)} and {rel(en_source)}: {diff}"


@pytest.mark.parametrize("md", NOTEBOOKS, ids=rel)
def test_markdown_and_ipynb_hold_the_same_notebook(md):
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{rel(md)} has no paired {rel(ipynb)}: run `make pair`."
    import jupytext

    from_md = book.read_markdown_notebook(md)
    from_ipynb = jupytext.read(ipynb)
    try:
        compare_notebooks(from_ipynb, from_md, fmt="md:myst")
    except Exception as err:  # jupytext raises several types for a mismatch
        pytest.fail(
            f"{rel(md)} and {rel(ipynb)} differ ({type(err).__name__}: {str(err)[:600]}). "
            "Edit the .md, then run `make pair`.",
            pytrace=False,
        )


@pytest.mark.parametrize("md", NOTEBOOKS, ids=rel)
def test_committed_ipynb_has_no_outputs(md):
    ipynb = md.with_suffix(".ipynb")
    data = json.loads(ipynb.read_text(encoding="utf-8"))
    for index, cell in enumerate(data["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert not cell.get("outputs") and cell.get("execution_count") is None, (
            f"{rel(ipynb)} cell {index} carries outputs: run `make pair` to strip them."
        )


@pytest.mark.parametrize("md", NOTEBOOKS, ids=rel)
def test_notebook_starts_with_the_standard_first_cell(md):
    url = book.repository_url(ROOT)
    cell = book.first_code_cell(book.read_markdown_notebook(md))
    assert cell is not None, f"{rel(md)} has no code cell."
    assert cell.source == book.first_cell_source(book.lang_of(md), url), (
        f"{rel(md)}: the first code cell is not the standard one; run `coursekit first-cell`."
    )


ASCII_NUMBER = re.compile(r"(?<![\w.\-])[0-9]+(?:\.[0-9]+)*(?![\w\-])", re.ASCII)


@pytest.mark.parametrize("bn_source", [p for p in SOURCES if p.parent.name == "bn"], ids=rel)
def test_bengali_headings_use_bengali_digits(bn_source):
    """Numbers in Bengali prose are written with Bengali digits (names like ResNet-34 aside)."""
    notebook = book.read_markdown_notebook(bn_source)
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if not line.startswith("#"):
                continue
            prose = re.sub(r"`[^`]*`|\$[^$]*\$", "", line)
            match = ASCII_NUMBER.search(prose)
            assert match is None, (
                f"{rel(bn_source)}: heading {line.strip()!r} writes {match.group(0)!r} in ASCII "
                "digits; use Bengali digits (০১২৩৪৫৬৭৮৯) in Bengali prose."
            )


def test_fingerprint_ignores_comments_and_strings_only():
    a = 'x = f(1, "এক")  # বাংলা মন্তব্য\nprint(f"{x} টি")'
    b = 'x = f(1, "one")  # an English comment\nprint(f"{x} items")'
    c = 'x = f(2, "one")\nprint(f"{x} items")'
    assert code_fingerprint(a) == code_fingerprint(b)
    assert code_fingerprint(a) != code_fingerprint(c)
    assert first_difference([a], [c]).startswith("code cell 1 differs")
    assert "number of code cells" in first_difference([a], [a, a])
