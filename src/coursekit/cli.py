"""The ``coursekit`` command.

coursekit pair          write each chapter's .ipynb from its .md (outputs empty)
coursekit first-cell    rewrite each chapter's first cell from the template and the
                        repository URL in _config.yml
coursekit mode          print the run mode this machine would use
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import book, student
from .mode import ModeError, detect_accelerator, run_mode


def _cmd_pair(args: argparse.Namespace) -> int:
    root = book.find_root(args.root)
    for md in book.notebook_sources(root):
        ipynb = book.pair(md)
        print(f"paired {md.relative_to(root)} -> {ipynb.relative_to(root)}")
    return 0


def _cmd_first_cell(args: argparse.Namespace) -> int:
    root = book.find_root(args.root)
    url = book.repository_url(root)
    changed = 0
    for md in book.notebook_sources(root):
        if book.set_first_cell(md, url):
            changed += 1
            book.pair(md)
            print(f"updated the first cell of {md.relative_to(root)} (and its .ipynb)")
    print(f"{changed} chapter(s) updated; repository URL {url}")
    return 0


def _cmd_student(args: argparse.Namespace) -> int:
    root = book.find_root(args.root)
    langs = [args.lang] if args.lang else list(book.CHAPTER_LANGS)
    chapters = student.select_chapters(root, args.chapters, langs)
    for path in student.write_student_versions(root, chapters, Path(args.out)):
        print(f"wrote {path}")
    return 0


def _cmd_mode(args: argparse.Namespace) -> int:
    try:
        mode = run_mode()
    except ModeError as err:
        print(f"coursekit: {err}", file=sys.stderr)
        return 2
    print(f"{mode} (accelerator: {detect_accelerator() or 'none'})")
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
    sub.add_parser("mode", help="print the run mode").set_defaults(func=_cmd_mode)
    p_student = sub.add_parser("student", help="write student notebooks without the solutions")
    p_student.add_argument("chapters", nargs="*", help="e.g. 01 or 01-gradient-descent; none: all")
    p_student.add_argument("--out", required=True, help="folder for the student notebooks")
    p_student.add_argument("--lang", choices=book.CHAPTER_LANGS, help="one language only")
    p_student.set_defaults(func=_cmd_student)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (book.BookError, student.StudentError) as err:
        print(f"coursekit: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
