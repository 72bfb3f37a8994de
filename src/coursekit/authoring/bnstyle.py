"""The Bengali pages' writing rules that a program can check (CONTRIBUTING.md, "Bengali prose").

The glossary (:mod:`.glossary`) decides the words; this module checks the forms around them, in
the prose of a Bengali page only (what :func:`.glossary.markdown.prose_only` leaves: no code,
maths, URLs or comments):

``digits``     a number standing alone in prose is written in Bengali digits (২৫৯ s, ৩ × ৩);
               ASCII digits stay inside names and versions (ResNet-34, float32, TensorFlow 2.21),
               and in the References section and the credits page, whose entries are English
               bibliography; an ordered list's item numbers (1.) are Markdown, not prose
``lakh``       a large number is grouped the Bengali way: ১,২০,৬১৩ and ২,১৭,৯৭,৬৭২, never
               ১২০,৬১৩ or ২১,৭৯৭,৬৭২
``section``    a section is named one way, "অংশ ৩.২" (like "অধ্যায় ৩"), never "৩.২ অংশে"
``address``    the reader is আপনি: no তুমি, তোমার, ... and no তুমি-imperatives (করো, দেখো, ...)
``gloss``      an English gloss is one parenthesis after its Bengali term, never inside another
               parenthesis and never two in a row
``english``    listed English words (error) are written in Bengali (এরর), except in a gloss

Run ``python -m coursekit.authoring.bnstyle chapters/bn`` to list what breaks a rule.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .glossary.markdown import REFERENCES_HEADINGS, UNCHECKED_PAGES, prose_only

_BN = "\u0980-\u09ff"
# Pages that are a bibliography as a whole: their entries keep the sources' ASCII digits.
BIBLIOGRAPHY_PAGES = frozenset({"credits.md"})
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*)$")

# A token of Latin script, ASCII digits and the marks that join them (ResNet-34, v2-8, 0.6).
_LATIN_TOKEN_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.,+/-]*[A-Za-z0-9]|[A-Za-z0-9]")
_PLAIN_NUMBER_RE = re.compile(r"^[0-9][0-9.,]*$")
_LATIN_WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.+-]*\s*$")
# A number in Bengali digits with thousands separators.
_GROUPED_RE = re.compile(r"(?<![০-৯,])[০-৯]+(?:,[০-৯]+)+(?![০-৯])")
_LAKH_RE = re.compile(r"^[০-৯]{1,2}(?:,[০-৯]{2})*,[০-৯]{3}$")
_SECTION_RE = re.compile(r"(?<![০-৯.])[০-৯]+\.[০-৯]+(?:\s*(?:ও|আর|,)\s*[০-৯]+\.[০-৯]+)*\s+অংশ")
_INFORMAL = (
    "তুমি",
    "তোমার",
    "তোমাকে",
    "তোমায়",
    "তোমরা",
    "তোমাদের",
    "করো",
    "দেখো",
    "লেখো",
    "চালাও",
    "ভাবো",
    "পড়ো",
    "বলো",
    "খোলো",
    "মনে রেখো",
)
_INFORMAL_RE = re.compile(rf"(?<![{_BN}])(?:{'|'.join(map(re.escape, _INFORMAL))})(?![{_BN}])")
# English words that Bengali prose writes in Bengali; in a gloss "(...)" they may stand.
ENGLISH_WORDS = {"error": "এরর", "errors": "এরর"}
_ENGLISH_RE = re.compile(
    r"(?<![A-Za-z0-9_])(?:" + "|".join(ENGLISH_WORDS) + r")(?![A-Za-z0-9_])", re.IGNORECASE
)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    column: int
    rule: str
    found: str
    advice: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: [{self.rule}] '{self.found}': {self.advice}"


def _references_blanked(prose: str) -> str:
    """``prose`` with the References section's lines blanked (English bibliography)."""
    out, refs_level = [], None
    for line in prose.split("\n"):
        heading = _HEADING_RE.match(line)
        if heading:
            level = len(heading[1])
            if refs_level is not None and level <= refs_level:
                refs_level = None
            if any(word in heading[2] for word in REFERENCES_HEADINGS):
                refs_level = level
        out.append(re.sub(r"[^\n]", " ", line) if refs_level is not None else line)
    return "\n".join(out)


def _paren_depths(line: str) -> list[int]:
    """The parenthesis depth at each character of ``line`` (inside "(a)" the 'a' has depth 1)."""
    depths, depth = [], 0
    for char in line:
        if char == "(":
            depth += 1
            depths.append(depth)
        elif char == ")":
            depths.append(depth)
            depth = max(0, depth - 1)
        else:
            depths.append(depth)
    return depths


def _in_english_gloss(line: str, index: int) -> bool:
    """Whether ``line[index]`` is inside a parenthesis that holds no Bengali letter."""
    start = line.rfind("(", 0, index)
    end = line.find(")", index)
    if start < 0 or end < 0 or ")" in line[start:index]:
        return False
    return not re.search(f"[{_BN}]", line[start:end])


def check_text(text: str, path: str = "<text>") -> list[Problem]:
    """Every break of the rules above in the prose of a Bengali page (MyST Markdown)."""
    prose = _references_blanked(prose_only(text))
    bibliography = Path(path).name in BIBLIOGRAPHY_PAGES
    problems: list[Problem] = []

    def add(line_no: int, column: int, rule: str, found: str, advice: str) -> None:
        problems.append(Problem(path, line_no, column + 1, rule, found.strip(), advice))

    for line_no, line in enumerate(prose.split("\n"), 1):
        for match in () if bibliography else _LATIN_TOKEN_RE.finditer(line):
            token = match.group(0).rstrip(".,")
            if not _PLAIN_NUMBER_RE.match(token) or not any(c.isdigit() for c in token):
                continue
            before = line[: match.start()]
            if _in_english_gloss(line, match.start()):
                continue  # an English gloss keeps English digits: (1×1 convolution)
            if not before.strip() and line[match.end() :].startswith((".", ")")):
                continue  # the number of an ordered list's item
            if token.count(".") >= 2:
                continue  # a version (2.20.0) or an address, a name rather than a quantity
            if _LATIN_WORD_RE.search(before) or before.endswith(("-", "_", "v", "×")):
                continue  # a version or a model's number: TensorFlow 2.21, ResNet 34
            add(line_no, match.start(), "digits", token, "write it in Bengali digits")
        for match in _GROUPED_RE.finditer(line):
            if not _LAKH_RE.match(match.group(0)):
                add(
                    line_no,
                    match.start(),
                    "lakh",
                    match.group(0),
                    "group it the Bengali way (১,২০,৬১৩; ২,১৭,৯৭,৬৭২)",
                )
        for match in _SECTION_RE.finditer(line):
            add(line_no, match.start(), "section", match.group(0), "write 'অংশ N.M'")
        for match in _INFORMAL_RE.finditer(line):
            add(line_no, match.start(), "address", match.group(0), "address the reader as আপনি")
        depths = _paren_depths(line)
        for match in re.finditer(r"\(([^()]*)\)", line):
            inner = match.group(1)
            if not re.search("[A-Za-z]", inner) or re.search(f"[{_BN}]", inner):
                continue  # not an English gloss
            if depths[match.start()] >= 2:
                add(
                    line_no,
                    match.start(),
                    "gloss",
                    match.group(0),
                    "an English gloss inside parentheses; move it or rephrase",
                )
            after = line[match.end() :]
            follow = re.match(r"\s*\(([^()]*)\)", after)
            if follow and re.search("[A-Za-z]", follow[1]) and not re.search(f"[{_BN}]", follow[1]):
                add(
                    line_no,
                    match.start(),
                    "gloss",
                    match.group(0) + follow.group(0),
                    "two glosses in a row",
                )
        for match in _ENGLISH_RE.finditer(line):
            if depths[match.start()] == 0:
                word = match.group(0)
                add(
                    line_no,
                    match.start(),
                    "english",
                    word,
                    f"write {ENGLISH_WORDS[word.lower()]} (English only in a gloss)",
                )
    return problems


def check_pages(folder: Path | str, root: Path | None = None) -> list[Problem]:
    """Every problem in the Bengali pages of ``folder`` (the generated glossary page excepted)."""
    problems = []
    for page in sorted(Path(folder).glob("*.md")):
        if page.name in UNCHECKED_PAGES:
            continue
        shown = page.relative_to(root).as_posix() if root else page.as_posix()
        problems += check_text(page.read_text(encoding="utf-8"), shown)
    return problems


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or not Path(args[0]).is_dir():
        print("usage: python -m coursekit.authoring.bnstyle <folder of Bengali pages>")
        return 2
    problems = check_pages(args[0])
    for problem in problems:
        print(problem)
    print(f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
