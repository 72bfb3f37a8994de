"""Student versions of the chapters: the solutions replaced by stubs, outputs cleared.

The marking convention (see CONTRIBUTING.md): an exercise's solution is a code cell tagged
``solution``; its check is a code cell tagged ``check``. In the student version:

- every top-level function of a solution keeps its signature and docstring, and its body becomes
  ``stub("bn"|"en")``, which raises "write your answer here" in the notebook's language when the
  function is called (so the check reports "not answered yet");
- every top-level name a solution assigns becomes ``UNANSWERED`` (the checks report "not answered
  yet" for it), and the cell then calls ``stub(...)`` so that running it says what to do;
- everything else in the solution is removed; check cells and all other cells are kept; outputs
  are cleared.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..files import write_atomic
from ..lang import LANGS, Messages
from . import book

SOLUTION_TAG = "solution"
CHECK_TAG = "check"

_MESSAGES = {
    "bn": {
        "header": "# ✍ অনুশীলনী: নিচের স্টাবগুলোর জায়গায় আপনার উত্তর লিখুন, তারপর যাচাই-সেলটি চালান।",
    },
    "en": {
        "header": "# ✍ Exercise: replace the stubs below with your answer, then run the check cell.",  # noqa: E501
    },
}
_text = Messages(_MESSAGES)


class StudentError(ValueError):
    """The requested chapters or output folder cannot be used."""


def tags_of(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def stub_source(solution: str, lang: str, where: str = "a solution cell") -> str:
    """The student's version of one solution cell (``where`` names the cell in errors)."""
    try:
        tree = ast.parse(solution)
    except SyntaxError as err:
        shell = [
            (number, line.strip())
            for number, line in enumerate(solution.splitlines(), start=1)
            if line.lstrip().startswith(("%", "!"))
        ]
        if shell:
            number, line = shell[0]
            raise StudentError(
                f"{where} is not plain Python: {line!r} (line {number} of the cell) is an IPython "
                "magic or shell line, and a solution cell is parsed to make the student's stub. "
                "Move that line into a cell of its own, without the solution tag."
            ) from None
        raise StudentError(
            f"{where} is not valid Python ({err.msg} on line {err.lineno} of the cell); fix the "
            "cell, since a solution cell is parsed to make the student's stub."
        ) from None
    lines = [_text(lang, "header"), "from coursekit.checks import UNANSWERED, stub", ""]
    assigned: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            header = ast.get_source_segment(solution, node).splitlines()
            # Keep the decorators and the (possibly multi-line) signature up to the colon.
            body_start = node.body[0].lineno - node.lineno
            lines.extend(header[:body_start])
            indent = " " * node.body[0].col_offset
            doc = ast.get_docstring(node, clean=False)
            if doc is not None:
                first = node.body[0]
                lines.extend(
                    header[first.lineno - node.lineno : first.end_lineno - node.lineno + 1]
                )
            lines.append(f'{indent}stub("{lang}")')
            lines.append("")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name) and name.id not in assigned:
                        assigned.append(name.id)
    for name in assigned:
        lines.append(f"{name} = UNANSWERED")
    if assigned:
        lines.append(f'stub("{lang}")')
    return "\n".join(lines).rstrip() + "\n"


def student_notebook(md_path: Path):
    """The student version of one chapter, as a notebook object without outputs."""
    notebook = book.read_markdown_notebook(md_path)
    lang = book.lang_of(md_path)
    text = book.read_text(md_path)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        if SOLUTION_TAG in tags_of(cell):
            line = book.line_of_cell(text, cell.source)
            where = f"{md_path}{f':{line}' if line else ''} (a code cell tagged {SOLUTION_TAG})"
            cell.source = stub_source(cell.source, lang, where)
            # The answer cell must be visible and editable for the student.
            cell.metadata["tags"] = [t for t in tags_of(cell) if t not in ("hide-input",)]
    notebook.metadata.pop("jupytext", None)
    book.stable_cell_ids(notebook)  # the same chapter gives the same file, byte for byte
    return notebook


def select_chapters(root: Path, names: list[str], langs: list[str]) -> list[Path]:
    """Chapter notebooks matching ``names`` (``"01"``, ``"01-gradient-descent"``, a path);
    all of them when ``names`` is empty."""
    sources = [p for p in book.notebook_sources(root) if book.lang_of(p) in langs]
    if not names:
        return sources
    chosen = []
    for name in names:
        stem = Path(name).stem
        # A path such as chapters/bn/01-gradient-descent.md names one language.
        folder = Path(name).parent.name
        matches = [
            p
            for p in sources
            if (p.stem == stem or p.stem.split("-", 1)[0] == stem)
            and (folder not in LANGS or book.lang_of(p) == folder)
        ]
        if not matches:
            known = sorted({p.stem for p in sources})
            raise StudentError(
                f"no chapter called {name!r} (in {', '.join(langs)}); the chapters are: "
                f"{', '.join(known)}. Name one by its number (01) or its file name."
            )
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


@dataclass(frozen=True)
class Written:
    """What happened to one student notebook: ``"wrote"`` (new), ``"unchanged"`` (the file was
    already this version) or ``"replaced"`` (with ``force``; ``backup`` holds the old file)."""

    path: Path
    action: str
    backup: Path | None = None


def _check_folder(path: Path, what: str) -> None:
    """Refuse ``path`` when it, or the first of its parents that exists, is not a folder."""
    for folder in (path, *path.parents):
        if folder.exists():
            if not folder.is_dir():
                inside = "" if folder == path else f", inside {folder}, which"
                raise StudentError(
                    f"{what} {path}{inside} is a file, not a folder. Give a folder for the "
                    "student notebooks (it is created if missing), e.g. --out student/."
                )
            return


def _backup_path(target: Path) -> Path:
    """``name.YYYYMMDD-HHMMSS.ipynb`` beside ``target``, never the name of an existing file."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = target.with_name(f"{target.stem}.{stamp}{target.suffix}")
    count = 1
    while backup.exists():
        count += 1
        backup = target.with_name(f"{target.stem}.{stamp}-{count}{target.suffix}")
    return backup


def write_student_versions(
    root: Path, chapters: list[Path], out: Path, *, force: bool = False
) -> list[Written]:
    """Write the student notebooks into ``out/<lang>/``; refuse to write inside the sources.

    Every notebook is made before any is written, so a chapter that cannot be made writes
    nothing; each is written whole or not at all. A notebook already in ``out`` that is the same
    as the new one is left alone; one that differs (a student may have written answers in it) is
    never replaced without ``force``, and with ``force`` it is first copied to a dated backup
    beside it (``name.YYYYMMDD-HHMMSS.ipynb``).
    """
    import nbformat

    out = Path(out).resolve()
    chapters_dir = (root / "chapters").resolve()
    if out == root.resolve() or out.is_relative_to(chapters_dir):
        raise StudentError(
            f"refusing to write student notebooks into {out}: it holds the course's sources. "
            "Choose another folder, e.g. --out student/."
        )
    _check_folder(out, "--out")
    planned = []
    for md in chapters:
        target = out / book.lang_of(md) / md.with_suffix(".ipynb").name
        _check_folder(target.parent, "--out")
        if target.exists() and not target.is_file():
            raise StudentError(
                f"{target} is a folder, so the student notebook cannot be written there. "
                "Move it away or choose another --out folder."
            )
        planned.append((target, nbformat.writes(student_notebook(md)).encode("utf-8")))
    there = [target for target, _ in planned if target.exists()]
    differ = [target for target, data in planned if target in there and target.read_bytes() != data]
    if differ and not force:
        raise StudentError(
            f"{len(differ)} student notebook(s) in {out} differ from the new version, and a "
            "student's answers may be in them; nothing was written:\n"
            + "\n".join(f"  {target}" for target in differ)
            + "\nChoose another --out folder, or add --force to replace them (each one is "
            "first copied to a dated backup beside it)."
        )
    written = []
    for target, data in planned:
        if target in there and target not in differ:
            written.append(Written(target, "unchanged"))
            continue
        backup = None
        if target in differ:
            backup = _backup_path(target)
            write_atomic(backup, target.read_bytes())
        write_atomic(target, data)
        written.append(Written(target, "replaced" if backup else "wrote", backup))
    return written
