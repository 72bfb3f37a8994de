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
from pathlib import Path

from ..lang import Messages
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


def stub_source(solution: str, lang: str) -> str:
    """The student's version of one solution cell."""
    tree = ast.parse(solution)
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
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        if SOLUTION_TAG in tags_of(cell):
            cell.source = stub_source(cell.source, lang)
            # The answer cell must be visible and editable for the student.
            cell.metadata["tags"] = [t for t in tags_of(cell) if t not in ("hide-input",)]
    notebook.metadata.pop("jupytext", None)
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
        matches = [p for p in sources if p.stem == stem or p.stem.split("-", 1)[0] == stem]
        if not matches:
            known = sorted({p.stem for p in sources})
            raise StudentError(f"no chapter called {name!r}; the chapters are: {', '.join(known)}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def write_student_versions(root: Path, chapters: list[Path], out: Path) -> list[Path]:
    """Write the student notebooks into ``out/<lang>/``; refuse to write inside the sources."""
    import nbformat

    out = out.resolve()
    chapters_dir = (root / "chapters").resolve()
    if out == root.resolve() or out.is_relative_to(chapters_dir):
        raise StudentError(
            f"refusing to write student notebooks into {out}: it holds the course's sources. "
            "Choose another folder, e.g. --out student/."
        )
    written = []
    for md in chapters:
        target = out / book.lang_of(md) / md.with_suffix(".ipynb").name
        target.parent.mkdir(parents=True, exist_ok=True)
        book.write_atomic(target, nbformat.writes(student_notebook(md)))
        written.append(target)
    return written
