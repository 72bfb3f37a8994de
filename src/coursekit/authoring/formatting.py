"""Format the chapters' code cells with ruff, the formatter the library uses.

A chapter's .md is the source of truth, so its code cells are formatted in place and its .ipynb
is paired again from it. Ruff formats a whole notebook at once and leaves IPython magics and
``!`` shell lines alone, so the cells go to it as one .ipynb on standard input, under the name
of the chapter's paired .ipynb: ruff then finds the project's settings (pyproject.toml) as it
does for ``ruff check chapters``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..files import write_atomic
from . import book


class FormatError(RuntimeError):
    """Ruff is missing, or could not format a chapter (a cell that is not valid Python)."""


@dataclass(frozen=True)
class Formatted:
    """One chapter's result: its .md, and the indices (among all cells) of the code cells that
    the formatter changed."""

    md: Path
    changed_cells: tuple[int, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changed_cells)


def find_ruff() -> Path:
    """The ruff beside this Python (the virtual environment's), else the one on PATH."""
    beside = Path(sys.executable).with_name("ruff")
    if beside.is_file():
        return beside
    found = shutil.which("ruff")
    if found:
        return Path(found)
    raise FormatError(
        f"ruff is not installed: neither {beside} nor a `ruff` on PATH exists. "
        "Run `make venv` (it installs the pinned ruff from requirements.txt)."
    )


def format_sources(sources: list[str], stdin_filename: Path, ruff: Path | None = None) -> list[str]:
    """The code cell sources ``sources``, each formatted by ``ruff format`` as a cell of one
    notebook named ``stdin_filename`` (which decides the settings ruff reads)."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    notebook.metadata["language_info"] = {"name": "python"}
    result = subprocess.run(
        [str(ruff or find_ruff()), "format", "--stdin-filename", str(stdin_filename), "-"],
        input=nbformat.writes(notebook),
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=stdin_filename.parent,
        check=False,
    )
    if result.returncode != 0:
        raise FormatError(
            f"ruff format failed on the code cells of {stdin_filename.with_suffix('.md')}:\n"
            f"{result.stderr.strip()}"
        )
    cells = json.loads(result.stdout)["cells"]
    formatted = ["".join(cell["source"]) for cell in cells]
    if len(formatted) != len(sources):
        raise FormatError(
            f"ruff returned {len(formatted)} cells for the {len(sources)} of {stdin_filename}."
        )
    # A jupytext cell's source has no final newline; keep each cell's own convention.
    return [
        new if old.endswith("\n") or not new.endswith("\n") else new.rstrip("\n")
        for old, new in zip(sources, formatted, strict=True)
    ]


def format_chapter(md: Path, *, check: bool = False, ruff: Path | None = None) -> Formatted:
    """Format the code cells of the chapter ``md``. Unless ``check``, write the .md back when a
    cell changed and pair the .ipynb again; with ``check``, write nothing."""
    import jupytext

    notebook = book.read_markdown_notebook(md)
    code = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]
    sources = [notebook.cells[i].source for i in code]
    try:
        formatted = format_sources(sources, md.with_suffix(".ipynb"), ruff)
    except FormatError as err:
        raise _where_in_markdown(err, md, sources) from None
    changed = tuple(i for i, old, new in zip(code, sources, formatted, strict=True) if old != new)
    if changed and not check:
        for i, new in zip(code, formatted, strict=True):
            notebook.cells[i].source = new
        write_atomic(md, jupytext.writes(notebook, fmt="md:myst"))
    if not check:
        book.pair(md)
    return Formatted(md, changed)


_PARSE_ERROR_RE = re.compile(r"Failed to parse \S+\.ipynb:(\d+):(\d+):(\d+): (.+)")


def _where_in_markdown(err: FormatError, md: Path, sources: list[str]) -> FormatError:
    """Ruff's "cell N, line L" of a cell it cannot parse, as a line of the chapter's .md."""
    match = _PARSE_ERROR_RE.search(str(err))
    if not match:
        return err
    cell, line, column, message = int(match[1]), int(match[2]), int(match[3]), match[4]
    if not 1 <= cell <= len(sources):
        return err
    start = book.line_of_cell(book.read_text(md), sources[cell - 1])
    where = f"{md}:{start + line - 1}:{column}" if start else f"{md}"
    return FormatError(
        f"{where}: code cell {cell} is not valid Python ({message}), so ruff cannot format the "
        "chapter. Fix the cell and run the command again."
    )


def format_chapters(chapters: list[Path], *, check: bool = False) -> list[Formatted]:
    ruff = find_ruff()
    return [format_chapter(md, check=check, ruff=ruff) for md in chapters]
