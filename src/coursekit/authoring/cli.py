"""The ``coursekit`` command.

coursekit pair          write each chapter's .ipynb from its .md (outputs empty)
coursekit first-cell    rewrite each chapter's first cell from the template and the
                        repository URL in _config.yml
coursekit format        format each chapter's code cells with ruff (the .md, then its .ipynb);
                        --check lists the chapters that would change and exits 1
coursekit student       write student notebooks (solutions replaced by stubs) into --out;
                        a notebook there that differs is replaced only with --force
coursekit grade         grade a class's hand-ins of one chapter: a CSV and one feedback file
                        per student, in the chapter's language
coursekit mode          print the run mode this machine would use
coursekit pdf           print the built site (_build/html) to one PDF per language in
                        _build/pdf, with a copy in the site's pdf/ folder

A command that cannot do its work says why on standard error and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..lang import LANGS
from ..mode import ModeError, detect_accelerator, run_mode
from . import book, formatting, grade, pdf, student


def _root(args: argparse.Namespace) -> Path:
    """The repository root the command works on; refused when it has no chapter notebook."""
    root = book.find_root(args.root)
    if not book.notebook_sources(root):
        folders = " and ".join(f"chapters/{lang}/" for lang in LANGS)
        raise book.BookError(
            f"no chapter notebook in {root / 'chapters'}: a chapter is a .md file in {folders} "
            "whose front matter has jupytext: and kernelspec: (CONTRIBUTING.md). Give the course "
            "repository's folder with --root."
        )
    return root


def _cmd_pair(args: argparse.Namespace) -> int:
    root = _root(args)
    for md in book.notebook_sources(root):
        ipynb = book.pair(md)
        print(f"paired {md.relative_to(root)} -> {ipynb.relative_to(root)}")
    return 0


def _cmd_first_cell(args: argparse.Namespace) -> int:
    root = _root(args)
    url = book.repository_url(root)
    changed = 0
    for md in book.notebook_sources(root):
        if book.set_first_cell(md, url):
            changed += 1
            book.pair(md)
            print(f"updated the first cell of {md.relative_to(root)} (and its .ipynb)")
    print(f"{changed} chapter(s) updated; repository URL {url}")
    return 0


def _chapters(args: argparse.Namespace, root: Path) -> list[Path]:
    """The chapters a command names (all of them by default), in the languages it asks for."""
    langs = [args.lang] if args.lang else list(LANGS)
    return student.select_chapters(root, args.chapters, langs)


_ACTIONS = ("wrote", "replaced", "unchanged")


def _cmd_student(args: argparse.Namespace) -> int:
    root = _root(args)
    chapters = _chapters(args, root)
    results = student.write_student_versions(root, chapters, Path(args.out), force=args.force)
    for result in results:
        if result.action == "unchanged":
            print(f"unchanged {result.path} (already this version)")
        elif result.action == "replaced":
            print(f"replaced {result.path}; the previous file is kept as {result.backup.name}")
        else:
            print(f"wrote {result.path}")
    counts = {action: sum(r.action == action for r in results) for action in _ACTIONS}
    print(", ".join(f"{counts[action]} {action}" for action in _ACTIONS))
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    root = _root(args)
    chapters = student.select_chapters(root, [args.chapter], [args.lang])
    if len(chapters) != 1:
        names = ", ".join(p.stem for p in chapters)
        raise grade.GradeError(
            f"{args.chapter!r} names {len(chapters)} chapters ({names}): name one"
        )
    started = time.monotonic()

    def show(result: grade.Result) -> None:
        print(
            f"{result.file}: {result.status}, {result.passed} of {len(result.checks)} passed "
            f"({result.seconds:.0f} s)",
            flush=True,
        )

    results = grade.grade_class(
        chapters[0],
        Path(args.submissions),
        Path(args.out),
        timeout_s=args.timeout,
        check_timeout_s=args.check_timeout,
        jobs=args.jobs,
        mode=args.mode,
        force=args.force,
        on_result=show,
    )
    print(
        f"graded {len(results)} file(s) in {time.monotonic() - started:.0f} s: "
        f"{Path(args.out) / 'grades.csv'} and {len(results)} feedback file(s) in "
        f"{Path(args.out) / 'feedback'}"
    )
    return 0


def _cmd_format(args: argparse.Namespace) -> int:
    root = _root(args)
    chapters = _chapters(args, root)
    results = formatting.format_chapters(chapters, check=args.check)
    changed = [r for r in results if r.changed]
    for result in changed:
        cells = ", ".join(str(i + 1) for i in result.changed_cells)
        verb = "would reformat" if args.check else "reformatted"
        print(f"{verb} {result.md.relative_to(root)} (cells {cells})")
    if args.check:
        if changed:
            print(f"{len(changed)} chapter(s) would change: run `coursekit format`.")
            return 1
        print(f"{len(results)} chapter(s) already formatted")
        return 0
    unchanged = len(results) - len(changed)
    print(f"{len(changed)} chapter(s) reformatted and paired, {unchanged} unchanged")
    return 0


def _cmd_mode(args: argparse.Namespace) -> int:
    try:
        mode = run_mode()
    except ModeError as err:
        print(f"coursekit: {err}", file=sys.stderr)
        return 2
    print(f"{mode} (accelerator: {detect_accelerator() or 'none'})")
    return 0


def _cmd_pdf(args: argparse.Namespace) -> int:
    root = book.find_root(args.root)
    langs = (args.lang,) if args.lang else LANGS
    results = pdf.build_all(
        root, site=args.site, out_dir=args.out, langs=langs, publish=not args.no_copy
    )
    for result in results:
        size_mb = result.size / 1e6
        print(f"wrote {result.path} ({result.pages} pages, {size_mb:.1f} MB)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="coursekit", description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, default=None, help="the repository root")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("pair", help="write each chapter's .ipynb from its .md").set_defaults(
        func=_cmd_pair
    )
    sub.add_parser(
        "first-cell", help="rewrite every chapter's first cell from the template"
    ).set_defaults(func=_cmd_first_cell)
    p_format = sub.add_parser("format", help="format the chapters' code cells with ruff")
    p_format.add_argument("chapters", nargs="*", help="e.g. 01 or 01-gradient-descent; none: all")
    p_format.add_argument("--lang", choices=LANGS, help="one language only")
    p_format.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a chapter would change"
    )
    p_format.set_defaults(func=_cmd_format)
    sub.add_parser("mode", help="print the run mode").set_defaults(func=_cmd_mode)
    p_pdf = sub.add_parser("pdf", help="print the built site to one PDF per language")
    p_pdf.add_argument("--lang", choices=LANGS, help="one language only")
    p_pdf.add_argument("--site", type=Path, help="the built site (default: _build/html)")
    p_pdf.add_argument("--out", type=Path, help="folder for the PDFs (default: _build/pdf)")
    p_pdf.add_argument(
        "--no-copy", action="store_true", help="leave the site's pdf/ folder unchanged"
    )
    p_pdf.set_defaults(func=_cmd_pdf)
    p_student = sub.add_parser(
        "student",
        help="write student notebooks without the solutions",
        description=(
            "Write each chapter's student notebook into OUT/<lang>/: solutions replaced by\n"
            "stubs, outputs cleared.\n\n"
            "A notebook already in OUT that is the same is left alone. One that differs (a\n"
            "student may have written answers in it) is never replaced unless --force is\n"
            "given; then it is first copied to NAME.YYYYMMDD-HHMMSS.ipynb beside it. Every\n"
            "notebook is made before any is written, and each is written whole or not at all."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_student.add_argument("chapters", nargs="*", help="e.g. 01 or 01-gradient-descent; none: all")
    p_student.add_argument(
        "--out", required=True, help="folder for the student notebooks (created if missing)"
    )
    p_student.add_argument("--lang", choices=LANGS, help="one language only")
    p_student.add_argument(
        "--force",
        action="store_true",
        help="replace notebooks in OUT that differ, keeping each old one as a dated backup",
    )
    p_student.set_defaults(func=_cmd_student)
    p_grade = sub.add_parser(
        "grade",
        help="grade a class's notebooks for one chapter",
        description=(
            "Grade every file in SUBMISSIONS (one student's notebook each, any file name) for\n"
            "one chapter: each runs from top to bottom in a fresh Python in a temporary copy,\n"
            "without its check cells, within --timeout seconds; then the chapter's own checks\n"
            "run on its answers. Writes OUT/grades.csv and OUT/feedback/<file>.md (in the\n"
            "chapter's language) once every file is graded."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p_grade.add_argument("chapter", help="the chapter, e.g. 05 or 05-building-chhotograd")
    p_grade.add_argument("submissions", help="folder of the handed-in notebooks")
    p_grade.add_argument("--lang", choices=LANGS, required=True, help="the chapter's language")
    p_grade.add_argument("--out", required=True, help="folder for the results (created)")
    p_grade.add_argument(
        "--timeout", type=float, default=300.0, help="seconds for one notebook's cells (300)"
    )
    p_grade.add_argument(
        "--check-timeout", type=float, default=60.0, help="seconds for one exercise's check (60)"
    )
    p_grade.add_argument(
        "--jobs", type=int, default=2, help="notebooks graded at the same time (2)"
    )
    p_grade.add_argument(
        "--mode", choices=("quick", "full"), default="quick", help="the run mode (quick)"
    )
    p_grade.add_argument(
        "--force", action="store_true", help="replace the results already in --out"
    )
    p_grade.set_defaults(func=_cmd_grade)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (
        book.BookError,
        formatting.FormatError,
        grade.GradeError,
        pdf.PdfError,
        student.StudentError,
    ) as err:
        print(f"coursekit: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # a file that cannot be read or written: say which, no traceback
        reason = err.strerror or str(err)
        if err.filename and str(err.filename) not in reason:
            reason = f"{err.filename}: {reason}"
        print(
            f"coursekit: {reason}. Check that the path exists and that you may read and write "
            "there, then run the command again.",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
