"""The command: ``python -m coursekit.authoring.glossary [files or folders]``.

Checks Bengali pages (default: ``chapters/bn``) against the glossary, prints every rejected form
with its file, line, column and the preferred term, and exits with status 1 when it finds one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .markdown import scan_chapters, scan_file
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
    findings = []
    for target in targets:
        if target.is_dir():
            findings += scan_chapters(target, entries, root)
        else:
            findings += scan_file(target, entries, root)
    for finding in findings:
        print(finding)
    print(f"{len(findings)} rejected form(s) found; the glossary has {len(entries)} concepts.")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
