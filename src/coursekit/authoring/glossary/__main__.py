"""The command: ``python -m coursekit.authoring.glossary [files or folders]``.

Checks Bengali pages (default: ``chapters/bn``) against the glossary, prints every rejected form
with its file, line, column and the preferred term, and exits with status 1 when it finds one.
A folder stands for its Bengali pages: its own ``*.md`` files, or those of its ``bn/`` folder
when it has one (``chapters/``); a folder with none, or the English pages' folder, is refused
(status 2), so the command never reports success having checked nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ...lang import LANGS
from .markdown import bengali_pages, scan_file
from .model import GlossaryError, find_glossary, load_glossary


def main(argv: list[str] | None = None) -> int:
    """Check Bengali pages (files or folders; default chapters/bn) against the glossary."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.authoring.glossary",
        description="Check Bengali pages (.md files or folders) against glossary.yml and print "
        "every rejected term with its file, line, column and the preferred term.",
    )
    parser.add_argument("paths", nargs="*", help="files or folders (default: chapters/bn)")
    args = parser.parse_args(argv).paths
    missing = [a for a in args if not Path(a).exists()]
    if missing:
        print(
            f"No such file or folder: {', '.join(missing)}. Give .md files or folders "
            "of Bengali pages, e.g. chapters/bn.",
            file=sys.stderr,
        )
        return 2
    try:
        entries = load_glossary()
    except GlossaryError as error:
        print(error, file=sys.stderr)
        return 2
    root = find_glossary().parent
    targets = [Path(a) for a in args] or [root / "chapters" / "bn"]
    try:
        pages = [page for target in targets for page in _pages(target)]
        findings = [finding for page in pages for finding in _scan(page, entries, root)]
    except (_Refused, OSError) as error:
        print(error, file=sys.stderr)
        return 2
    for finding in findings:
        print(finding)
    print(
        f"{len(pages)} page(s) checked: {len(findings)} rejected form(s) found; the glossary has "
        f"{len(entries)} concepts."
    )
    return 1 if findings else 0


class _Refused(Exception):
    """A path that holds no Bengali page to check."""


def _scan(page: Path, entries, root: Path):
    try:
        return scan_file(page, entries, root)
    except UnicodeDecodeError as error:
        raise _Refused(
            f"{page} is not UTF-8 text ({error.reason} at byte {error.start}): save it as UTF-8 "
            "and run the check again."
        ) from None


def _pages(target: Path) -> list[Path]:
    """The Bengali pages ``target`` stands for: a .md file, a folder's pages, or the pages of
    its ``bn/`` folder (``chapters/``). Refuses a path that holds none."""
    if not target.is_dir():
        if target.suffix != ".md":
            raise _Refused(
                f"{target} is not a .md page. Give .md files or folders of Bengali pages."
            )
        return [target]
    if (target / "bn").is_dir():
        target = target / "bn"
    elif target.resolve().name in LANGS and target.resolve().name != "bn":
        raise _Refused(
            f"{target} holds the pages in '{target.resolve().name}', not Bengali ones; the "
            "glossary checks Bengali pages. Give chapters/bn (or chapters/)."
        )
    pages = bengali_pages(target)
    if not pages:
        raise _Refused(
            f"{target} holds no Bengali page (*.md) to check. Give chapters/bn, chapters/ or "
            ".md files."
        )
    return pages


if __name__ == "__main__":
    sys.exit(main())
