"""The Markdown scanning: rejected forms in the prose of Bengali pages, with file, line, column.

:func:`prose_only` blanks everything in a MyST page that is not prose: code cells, inline code,
maths, URLs, link targets, HTML and MyST comments, and titles quoted in the References section.
A line that carries the comment ``<!-- glossary: ignore -->`` is not checked (for a calque quoted
on purpose). :func:`scan_text`, :func:`scan_file` and :func:`scan_chapters` then report every
rejected form the :class:`~.model.Matcher` finds in what is left, with the preferred term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .model import Entry, Matcher, normalize

IGNORE_MARKER = "<!-- glossary: ignore -->"
# Bengali pages whose prose is not checked: the glossary page itself quotes the calques.
UNCHECKED_PAGES = frozenset({"glossary.md"})
REFERENCES_HEADINGS = ("তথ্যসূত্র", "References")


@dataclass(frozen=True)
class Finding:
    """A rejected form in a file: where, what was found, and what to write instead."""

    path: str
    line: int
    column: int
    found: str
    preferred: str
    english: str
    why: str = ""

    def __str__(self) -> str:
        why = f"; '{self.found}' {self.why}" if self.why else ""
        return (
            f"{self.path}:{self.line}:{self.column}: '{self.found}' → write "
            f"'{self.preferred}' ({self.english}){why}"
        )


_FENCE_RE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})(?P<info>.*)$")
_HEADING_RE = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.*)$")
_DIRECTIVE_OPTION_RE = re.compile(r"^\s*:[\w-]+:")
# Directives whose body is code or maths, not prose.
_CODE_DIRECTIVES = frozenset(
    {"code-cell", "code-block", "code", "sourcecode", "math", "literalinclude", "raw", "eval-rst"}
)
_CODE_ROLES = frozenset({"math", "code", "eq", "eval", "samp", "kbd", "file", "command"})
_INLINE_RE = re.compile(
    r"(?P<role>\{(?P<name>[\w:.-]+)\}(?P<rticks>`+)(?P<rbody>(?:(?!\n[ \t]*\n).)+?)(?P=rticks))"
    r"|(?P<code>(?P<ticks>`+)(?:(?!\n[ \t]*\n).)+?(?<!`)(?P=ticks)(?!`))"
    r"|(?P<comment><!--.*?-->)"
    r"|(?P<dmath>\$\$.+?\$\$)"
    r"|(?P<imath>(?<![\\$])\$(?![\s$])(?:\\.|[^$\\\n]|\n(?![ \t]*\n))+?(?<!\s)\$)"
    r"|(?P<autolink><(?:https?|ftp|mailto):[^>\s]*>)"
    r"|(?P<target>(?<=\])\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"]*\")?\))"
    r"|(?P<url>(?:https?://|www\.)[^\s<>()\[\]]+)",
    re.DOTALL,
)
_QUOTED_TITLE_RE = re.compile(r"\"[^\"\n]+\"|“[^”\n]+”|‘[^’\n]+’|\*[^*\n]+\*")


def _blank(text: str) -> str:
    """Spaces for everything but line breaks: positions and line numbers stay where they were."""
    return re.sub(r"[^\n]", " ", text)


def prose_only(text: str, code_mark: bool = False) -> str:
    """``text`` (MyST Markdown) with everything that is not prose replaced by spaces.

    Blanked: front matter, code fences and code/maths directives, MyST comments (``%``), HTML
    comments, inline code and code roles, ``$...$`` and ``$$...$$`` maths, ``\\begin...\\end``
    blocks, URLs and link targets, lines marked with the ignore comment, directive options, and
    quoted or italic titles in the References section. Prose directives (note, admonition, ...)
    keep their body. The result has the same length and the same line breaks as ``text``.
    With ``code_mark``, inline code becomes a backtick and spaces instead of spaces only, so that
    a word's neighbour can be seen to be code (the glossary's senses: "`Value` ক্লাস").
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    if lines and lines[0].strip() == "---":
        end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), None)
        if end is not None:
            out += [_blank(line) for line in lines[: end + 1]]
            i = end + 1
    code_fence: tuple[str, int] | None = None  # (fence char, length) of the open code block
    prose_fences: list[tuple[str, int]] = []  # open prose directives
    math_env: str | None = None
    refs_level: int | None = None
    after_directive = False
    for line in lines[i:]:
        if code_fence is not None:
            match = _FENCE_RE.match(line)
            if (
                match
                and match["fence"][0] == code_fence[0]
                and len(match["fence"]) >= code_fence[1]
                and not match["info"].strip()
            ):
                code_fence = None
            out.append(_blank(line))
            continue
        if math_env is not None:
            if f"\\end{{{math_env}}}" in line:
                math_env = None
            out.append(_blank(line))
            continue
        match = _FENCE_RE.match(line)
        if match:
            fence, info = match["fence"], match["info"].strip()
            if prose_fences and not info and fence[0] == prose_fences[-1][0]:
                if len(fence) >= prose_fences[-1][1]:
                    prose_fences.pop()
                    out.append(_blank(line))
                    continue
            name = info[1 : info.index("}")] if info.startswith("{") and "}" in info else None
            if name is not None and name not in _CODE_DIRECTIVES:
                prose_fences.append((fence[0], len(fence)))
                after_directive = True
            elif fence[0] != ":" or name is not None:
                code_fence = (fence[0], len(fence))
            out.append(_blank(line))
            continue
        if after_directive and _DIRECTIVE_OPTION_RE.match(line):
            out.append(_blank(line))
            continue
        after_directive = False
        stripped = line.lstrip()
        begin = re.match(r"\\begin\{([^}]+)\}", stripped)
        if IGNORE_MARKER in line or stripped.startswith("%"):
            out.append(_blank(line))
            continue
        if begin:
            if f"\\end{{{begin[1]}}}" not in line:
                math_env = begin[1]
            out.append(_blank(line))
            continue
        heading = _HEADING_RE.match(line)
        if heading:
            level = len(heading["hashes"])
            if refs_level is not None and level <= refs_level:
                refs_level = None
            if any(word in heading["title"] for word in REFERENCES_HEADINGS):
                refs_level = level
        elif refs_level is not None:
            line = _QUOTED_TITLE_RE.sub(lambda m: _blank(m.group(0)), line)
        out.append(line)
    return _INLINE_RE.sub(lambda m: _blank_inline(m, code_mark), "\n".join(out))


def _blank_inline(match: re.Match, code_mark: bool = False) -> str:
    if match["role"] is not None and match["name"] not in _CODE_ROLES:
        # Keep the text a reader sees ({ref}`shown text <target>`), blank the markup.
        body = match["rbody"]
        shown = re.sub(r"\s*<[^<>]*>\s*$", "", body)
        start = match.start("rbody") - match.start()
        whole = match.group(0)
        return _blank(whole[:start]) + shown + _blank(whole[start + len(shown) :])
    blanked = _blank(match.group(0))
    if code_mark and (match["code"] is not None or match["role"] is not None):
        return "`" + blanked[1:]  # inline code, or a code role: mark where it stood
    return blanked


def scan_text(text: str, entries: list[Entry], path: str = "<text>") -> list[Finding]:
    """Rejected forms in the prose of ``text``, in order, with line and column (1-based)."""
    prose = prose_only(text, code_mark=True)
    prose = "\n".join(normalize(line) for line in prose.split("\n"))
    findings = []
    for hit in Matcher(entries).find(prose):
        line_start = prose.rfind("\n", 0, hit.start) + 1
        why = hit.rejected.why_en if hit.rejected.kind != "variant" else ""
        findings.append(
            Finding(
                path=path,
                line=prose.count("\n", 0, hit.start) + 1,
                column=hit.start - line_start + 1,
                found=" ".join(hit.found.split()),
                preferred=hit.entry.bn,
                english=hit.entry.en,
                why=why,
            )
        )
    return findings


def scan_file(path: Path | str, entries: list[Entry], root: Path | None = None) -> list[Finding]:
    """Rejected forms in a Bengali Markdown page; paths are shown relative to ``root``."""
    path = Path(path)
    shown = path
    if root is not None:
        try:
            shown = path.resolve().relative_to(Path(root).resolve())
        except ValueError:
            pass
    return scan_text(path.read_text(encoding="utf-8"), entries, shown.as_posix())


def bengali_pages(folder: Path | str) -> list[Path]:
    """The Markdown pages of a Bengali chapter folder whose prose the glossary governs."""
    return sorted(p for p in Path(folder).glob("*.md") if p.name not in UNCHECKED_PAGES)


def scan_chapters(folder: Path | str, entries: list[Entry], root: Path | None = None):
    """Rejected forms in every Bengali page of ``folder`` (the glossary page excepted)."""
    return [f for page in bengali_pages(folder) for f in scan_file(page, entries, root)]
