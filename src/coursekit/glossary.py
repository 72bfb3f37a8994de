"""The course's glossary: one data file, a checker for Bengali prose, and the glossary pages.

``glossary.yml`` at the repository root is the single source of truth for terminology. Each
entry is one concept::

    - id: bias                      # anchor on the glossary pages: #term-bias
      en: bias                      # the English term
      bn: বায়াস                      # the one Bengali term the book uses
      def:                          # one line in each language
        en: A learned number added to a unit's weighted sum ...
        bn: ...
      variants: [বাইয়াস]            # other spellings of the same term: never used
      calques:                      # translations that mean something else: never used
        - term: পক্ষপাত
          en: means prejudice       # why it misleads, in each language
          bn: ...
      rule: 2                       # optional: a school-mathematics word decided once
      reason:                       # required with rule 2, optional otherwise
        en: ...
        bn: ...

A variant ending in ``*`` is a misspelt stem: it matches every word that starts with it
(``কনভোল্যুশন*`` catches কনভোল্যুশনাল too).

What this module offers:

- :func:`load_glossary` reads and validates the file (:class:`GlossaryError` lists every problem);
- :func:`scan_text`, :func:`scan_file` and :func:`scan_chapters` look for rejected variants in
  the *prose* of Bengali pages and report file, line and the preferred term. Code cells, inline
  code, maths, URLs, link targets, HTML comments and titles quoted in the References section are
  not prose. A variant is found as a whole word, also with the suffixes Bengali attaches to
  nouns (-এর, -গুলো, -টি, -কে, -তে, ...), but never inside another word. A line that carries the
  comment ``<!-- glossary: ignore -->`` is not checked (for a calque quoted on purpose);
- the Sphinx directive ``course-glossary`` renders the glossary as a table on the page that uses
  it, with an anchor per concept (``#term-<id>``) and a label ``glossary-<lang>-<id>`` for
  ``{ref}``. On the Bengali page the table follows Bengali alphabetical order of the chosen
  terms; on the English page, English alphabetical order;
- ``python -m coursekit.glossary [files or folders]`` checks Bengali pages from the command line
  (default: ``chapters/bn``) and exits with status 1 when it finds a rejected variant.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

GLOSSARY_FILE = "glossary.yml"
LANGS = ("bn", "en")
IGNORE_MARKER = "<!-- glossary: ignore -->"
# Bengali pages whose prose is not checked: the glossary page itself quotes the calques.
UNCHECKED_PAGES = frozenset({"glossary.md"})
REFERENCES_HEADINGS = ("তথ্যসূত্র", "References")

# Letters, vowel signs, digits and joiners of the Bengali script: what a Bengali word is made of.
_BN_CHARS = "\u0980-\u09ff\u200c\u200d"
_BN_CHAR = f"[{_BN_CHARS}]"
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# What Bengali attaches to a noun: classifiers and plurals, case endings, emphatic particles.
# A variant followed by any chain of these is still the variant (লসের, গ্রেডিয়েন্টগুলোকেই).
_SUFFIXES = (
    "গুলো",
    "গুলি",
    "গুলা",
    "টি",
    "টা",
    "টো",
    "খানা",
    "খানি",
    "টুকু",
    "সমূহ",
    "রা",
    "েরা",
    "দের",
    "য়ের",
    "ের",
    "এর",
    "র",
    "কে",
    "রে",
    "েতে",
    "তে",
    "য়ে",
    "য়",
    "ে",
    "এ",
    "ও",
    "ই",
    "সহ",
)


class GlossaryError(ValueError):
    """The glossary file is missing or breaks its own rules; the message lists every problem."""


def normalize(text: str) -> str:
    """NFC, without zero-width joiners: র‍্যা and র্যা, য় as one code point or two, compare equal.

    For comparing only: the joiner decides how র‍্যা is drawn, so terms are shown as written.
    """
    return _nfc(text).replace("\u200c", "").replace("\u200d", "")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class Rejected:
    """A form the book never uses for a concept: a spelling variant or a misleading calque."""

    term: str
    kind: str  # "variant" or "calque"
    why_en: str = ""
    why_bn: str = ""

    @property
    def is_stem(self) -> bool:
        return self.term.endswith("*")

    @property
    def shown(self) -> str:
        """The form as printed on the glossary pages (a stem gets an ellipsis)."""
        return self.term[:-1] + "…" if self.is_stem else self.term


@dataclass(frozen=True)
class Entry:
    """One concept of the glossary."""

    id: str
    en: str
    bn: str
    def_en: str
    def_bn: str
    rejected: tuple[Rejected, ...] = ()
    rule: int = 1
    reason_en: str = ""
    reason_bn: str = ""

    @property
    def anchor(self) -> str:
        return f"term-{self.id}"

    def term(self, lang: str) -> str:
        return self.bn if lang == "bn" else self.en

    def definition(self, lang: str) -> str:
        return self.def_bn if lang == "bn" else self.def_en

    def reason(self, lang: str) -> str:
        return self.reason_bn if lang == "bn" else self.reason_en


# --- loading and validation ------------------------------------------------------------------


def find_glossary(start: Path | None = None) -> Path:
    """The glossary file: in ``start`` or the nearest folder above it, else the repository's."""
    candidates: list[Path] = []
    if start is not None:
        start = Path(start).resolve()
        candidates += [start, *start.parents]
    candidates += list(Path(__file__).resolve().parents)
    for folder in candidates:
        path = folder / GLOSSARY_FILE
        if path.is_file():
            return path
    raise GlossaryError(
        f"{GLOSSARY_FILE} not found (looked in {start or Path.cwd()} and above, and beside "
        "the coursekit package); it lives at the root of the course repository."
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _bilingual(raw: dict, key: str, where: str, problems: list[str], required: bool) -> tuple:
    value = raw.get(key)
    if value is None and not required:
        return "", ""
    if not isinstance(value, dict):
        problems.append(f"{where}: '{key}' needs an 'en' and a 'bn' line")
        return "", ""
    texts = []
    for lang in ("en", "bn"):
        text = _text(value.get(lang))
        if not text:
            problems.append(f"{where}: '{key}.{lang}' is missing or empty")
        elif "\n" in text:
            problems.append(f"{where}: '{key}.{lang}' must be one line")
        texts.append(text)
    return tuple(texts)


def _parse_entry(raw: object, index: int, problems: list[str]) -> Entry | None:
    where = f"entry {index + 1}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: not a mapping")
        return None
    if _text(raw.get("id")):
        where = f"entry {index + 1} ({raw['id']})"
    known = {"id", "en", "bn", "def", "variants", "calques", "rule", "reason"}
    for key in sorted(set(raw) - known):
        problems.append(f"{where}: unknown field '{key}'")
    for key in ("id", "en", "bn", "def", "variants", "calques"):
        if key not in raw:
            problems.append(f"{where}: field '{key}' is missing")
    ident, en, bn = (_text(raw.get(key)) for key in ("id", "en", "bn"))
    for key, value in (("id", ident), ("en", en), ("bn", bn)):
        if key in raw and not value:
            problems.append(f"{where}: '{key}' must be a non-empty string")
    if ident and not _ID_RE.match(ident):
        problems.append(f"{where}: id '{ident}' must be lowercase letters, digits and hyphens")
    def_en, def_bn = _bilingual(raw, "def", where, problems, required=True)

    rejected: list[Rejected] = []
    variants = raw.get("variants", [])
    if not isinstance(variants, list):
        problems.append(f"{where}: 'variants' must be a list (it may be empty)")
        variants = []
    for variant in variants:
        if not _text(variant):
            problems.append(f"{where}: a variant is empty or not a string")
            continue
        rejected.append(Rejected(_nfc(_text(variant)), "variant"))
    calques = raw.get("calques", [])
    if not isinstance(calques, list):
        problems.append(f"{where}: 'calques' must be a list (it may be empty)")
        calques = []
    for calque in calques:
        if not isinstance(calque, dict) or not _text(calque.get("term")):
            problems.append(f"{where}: each calque needs 'term', 'en' and 'bn'")
            continue
        why_en, why_bn = _text(calque.get("en")), _text(calque.get("bn"))
        if not why_en or not why_bn:
            problems.append(f"{where}: calque '{calque['term']}' needs why in 'en' and 'bn'")
        rejected.append(Rejected(_nfc(_text(calque["term"])), "calque", why_en, why_bn))

    rule = raw.get("rule", 1)
    if rule not in (1, 2):
        problems.append(f"{where}: 'rule' is 1 (transliterate) or 2 (school word decided once)")
        rule = 1
    reason_en, reason_bn = _bilingual(raw, "reason", where, problems, required=rule == 2)
    if not (ident and en and bn):
        return None
    return Entry(
        id=ident,
        en=en,
        bn=_nfc(bn),
        def_en=def_en,
        def_bn=def_bn,
        rejected=tuple(rejected),
        rule=rule,
        reason_en=reason_en,
        reason_bn=reason_bn,
    )


def parse_glossary(data: object) -> list[Entry]:
    """Entries from the parsed YAML document; :class:`GlossaryError` lists every problem."""
    problems: list[str] = []
    if not isinstance(data, list):
        raise GlossaryError(f"{GLOSSARY_FILE} must be a list of entries")
    entries = [e for i, raw in enumerate(data) if (e := _parse_entry(raw, i, problems))]
    problems += validate(entries)
    if problems:
        raise GlossaryError(f"{GLOSSARY_FILE} has problems:\n  " + "\n  ".join(problems))
    return entries


def load_glossary(path: Path | str | None = None) -> list[Entry]:
    """Read and validate the glossary (by default the repository's ``glossary.yml``)."""
    path = Path(path) if path is not None else find_glossary()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise GlossaryError(f"cannot read {path}: {error}") from error
    return parse_glossary(data)


def validate(entries: list[Entry]) -> list[str]:
    """Problems between entries: duplicates, and chosen terms that a rejected form would flag."""
    problems: list[str] = []
    seen: dict[tuple[str, str], str] = {}
    for entry in entries:
        for kind, value in (("id", entry.id), ("English term", entry.en.casefold())):
            if (kind, value) in seen:
                problems.append(
                    f"{entry.id}: duplicate {kind} '{value}' (also {seen[kind, value]})"
                )
            seen[kind, value] = entry.id
        bn = normalize(entry.bn)
        if ("bn", bn) in seen:
            problems.append(
                f"{entry.id}: Bengali term '{entry.bn}' also chosen by {seen['bn', bn]}"
            )
        seen["bn", bn] = entry.id
    chosen = {normalize(entry.bn): entry for entry in entries}
    owners: dict[str, str] = {}
    for entry in entries:
        for rejected in entry.rejected:
            term = normalize(rejected.term)
            if term in owners:
                problems.append(
                    f"{entry.id}: '{rejected.term}' is already rejected by {owners[term]}"
                )
            owners[term] = entry.id
            if term.rstrip("*") in chosen:
                other = chosen[term.rstrip("*")]
                problems.append(f"{entry.id}: rejects '{rejected.term}', the term of {other.id}")
    if not problems:
        # No chosen term, bare or inflected, may be flagged by any entry's rejected forms.
        matcher = Matcher(entries)
        for entry in entries:
            forms = [entry.bn, entry.bn + "গুলোকে", entry.bn + "-এর"]
            forms += [entry.bn + suffix for suffix in _SUFFIXES]
            for form in forms:
                for hit in matcher.find(normalize(form)):
                    problems.append(
                        f"{entry.id}: its term '{entry.bn}' is flagged as '{hit.found}', "
                        f"a form rejected by {hit.entry.id}"
                    )
    return problems


# --- finding rejected forms in prose -----------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    found: str
    entry: Entry
    rejected: Rejected


class Matcher:
    """Finds the rejected forms of a glossary in (normalised) text, as whole inflected words."""

    def __init__(self, entries: Iterable[Entry]):
        self._by_form: dict[str, tuple[Entry, Rejected]] = {}
        words, stems = [], []
        for entry in entries:
            for rejected in entry.rejected:
                form = normalize(rejected.term.rstrip("*"))
                key = " ".join(form.split())
                self._by_form[key] = (entry, rejected)
                (stems if rejected.is_stem else words).append(form)

        # Between the words of a multi-word form, a first-use gloss may stand: স্থানীয় (local) ...
        gap = r"\s+(?:\([^()\n]*\)\s+)?"

        def alternation(forms: list[str]) -> str:
            forms = sorted(set(forms), key=len, reverse=True)
            return "|".join(gap.join(map(re.escape, f.split())) for f in forms) or "(?!)"

        suffix = "|".join(sorted((normalize(s) for s in _SUFFIXES), key=len, reverse=True))
        self._pattern = re.compile(
            rf"(?<!{_BN_CHAR})"
            rf"(?:(?P<stem>{alternation(stems)}){_BN_CHAR}*"
            rf"|(?P<word>{alternation(words)})(?:-?(?:{suffix}))*)"
            rf"(?!{_BN_CHAR})"
        )

    def find(self, text: str) -> list[Hit]:
        """Every rejected form in ``text``; offsets refer to ``text`` as given (normalised)."""
        hits = []
        for match in self._pattern.finditer(text):
            core = match.group("stem") if match.group("stem") is not None else match["word"]
            core = re.sub(r"\([^()\n]*\)", " ", core)
            entry, rejected = self._by_form[" ".join(core.split())]
            hits.append(Hit(match.start(), match.end(), match.group(0), entry, rejected))
        return hits


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


def prose_only(text: str) -> str:
    """``text`` (MyST Markdown) with everything that is not prose replaced by spaces.

    Blanked: front matter, code fences and code/maths directives, MyST comments (``%``), HTML
    comments, inline code and code roles, ``$...$`` and ``$$...$$`` maths, ``\\begin...\\end``
    blocks, URLs and link targets, lines marked with the ignore comment, directive options, and
    quoted or italic titles in the References section. Prose directives (note, admonition, ...)
    keep their body. The result has the same length and the same line breaks as ``text``.
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
    return _INLINE_RE.sub(_blank_inline, "\n".join(out))


def _blank_inline(match: re.Match) -> str:
    if match["role"] is not None and match["name"] not in _CODE_ROLES:
        # Keep the text a reader sees ({ref}`shown text <target>`), blank the markup.
        body = match["rbody"]
        shown = re.sub(r"\s*<[^<>]*>\s*$", "", body)
        start = match.start("rbody") - match.start()
        whole = match.group(0)
        return _blank(whole[:start]) + shown + _blank(whole[start + len(shown) :])
    return _blank(match.group(0))


def scan_text(text: str, entries: list[Entry], path: str = "<text>") -> list[Finding]:
    """Rejected forms in the prose of ``text``, in order, with line and column (1-based)."""
    prose = "\n".join(normalize(line) for line in prose_only(text).split("\n"))
    findings = []
    for hit in Matcher(entries).find(prose):
        line_start = prose.rfind("\n", 0, hit.start) + 1
        why = hit.rejected.why_en if hit.rejected.kind == "calque" else ""
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


# --- ordering ------------------------------------------------------------------------------------

_NUKTA = "\u09bc"


def bengali_sort_key(term: str) -> tuple:
    """Bengali alphabetical order (বর্ণানুক্রম) for chosen terms.

    Unicode orders the Bengali block like a dictionary (vowels, consonants, then vowel signs and
    the virama, so কথা < কা < ক্ষ). Adjusted here: a consonant with nukta (ড়, য়) follows every
    syllable of its base consonant; Bengali digits come before letters; terms that start in
    Latin script (TPU, Keras) come after all Bengali terms, in English order.
    """
    text = normalize(term)
    if not text or not ("\u0980" <= text[0] <= "\u09ff"):
        return (1, text.casefold())
    weights = []
    for char in text:
        code = ord(char)
        if char == _NUKTA:
            weights.append(0x0A00)  # after every vowel sign and the virama
        elif 0x09E6 <= code <= 0x09EF:
            weights.append(code - 0x09E6)  # digits first
        else:
            weights.append(code)
    return (0, tuple(weights))


def english_sort_key(term: str) -> str:
    return re.sub(r"^[^0-9A-Za-z]+", "", term).casefold()


def sorted_entries(entries: Iterable[Entry], lang: str) -> list[Entry]:
    if lang == "bn":
        return sorted(entries, key=lambda e: bengali_sort_key(e.bn))
    return sorted(entries, key=lambda e: english_sort_key(e.en))


# --- the glossary page (Sphinx) -------------------------------------------------------------------

HEADERS = {
    "bn": ("পরিভাষা", "অর্থ", "যা লেখা হয় না"),
    "en": ("Term", "Meaning", "Not used in Bengali"),
}
COLUMN_WIDTHS = (24, 46, 30)
REASON_LABEL = {"bn": "কেন এই শব্দ: ", "en": "Why this word: "}
SPELLING_LABEL = {"bn": "ভিন্ন বানান: ", "en": "Other spellings: "}


# Layout only (colours come from the theme). On a narrow screen every row becomes a card: the
# three cells stacked, the header hidden and the third cell labelled instead.
GLOSSARY_CSS = """
table.course-glossary tr[id] { scroll-margin-top: 5rem; }
table.course-glossary td p { margin-bottom: 0.35rem; }
table.course-glossary p.glossary-translation { color: var(--pst-color-text-muted); }
@media (max-width: 36rem) {
  table.course-glossary, table.course-glossary tbody, table.course-glossary tr,
  table.course-glossary td { display: block; width: 100% !important; }
  table.course-glossary thead, table.course-glossary colgroup { display: none; }
  table.course-glossary tr { padding: 0.5rem 0; border-bottom: 1px solid var(--pst-color-border); }
  table.course-glossary td { border: none; padding: 0.15rem 0.25rem; }
  table.course-glossary td:empty { display: none; }
  table.course-glossary.lang-bn td:nth-child(3)::before { content: "যা লেখা হয় না"; }
  table.course-glossary.lang-en td:nth-child(3)::before { content: "Not used in Bengali"; }
  table.course-glossary td:nth-child(3)::before { display: block; font-weight: bold; }
}
"""


def _term_cell(entry: Entry, lang: str):
    """The chosen term in bold, the other language's term under it."""
    from docutils import nodes

    other = "en" if lang == "bn" else "bn"
    term = nodes.paragraph(classes=["glossary-term"])
    term += nodes.strong(text=entry.term(lang))
    translation = nodes.paragraph(classes=["glossary-translation"])
    translation += nodes.inline(text=entry.term(other))
    return nodes.entry("", term, translation)


def _meaning_cell(entry: Entry, lang: str):
    from docutils import nodes

    cell = nodes.entry("", nodes.paragraph(text=entry.definition(lang)))
    if entry.reason(lang):
        reason = nodes.paragraph(classes=["glossary-reason"])
        reason += nodes.strong(text=REASON_LABEL[lang])
        reason += nodes.Text(entry.reason(lang))
        cell += reason
    return cell


def _rejected_cell(entry: Entry, lang: str):
    from docutils import nodes

    cell = nodes.entry()
    variants = [r.shown for r in entry.rejected if r.kind == "variant"]
    if variants:
        para = nodes.paragraph()
        para += nodes.Text(SPELLING_LABEL[lang])
        para += nodes.inline(text=", ".join(variants))
        cell += para
    for calque in (r for r in entry.rejected if r.kind == "calque"):
        para = nodes.paragraph()
        para += nodes.strong(text=calque.shown)
        para += nodes.Text(": " + (calque.why_bn if lang == "bn" else calque.why_en))
        cell += para
    return cell


def glossary_table(entries: list[Entry], lang: str):
    """The glossary as a docutils table, one row per concept, with the row's anchor as its id."""
    from docutils import nodes

    table = nodes.table(classes=["course-glossary", f"lang-{lang}", "colwidths-given"])
    group = nodes.tgroup(cols=len(HEADERS[lang]))
    table += group
    for width in COLUMN_WIDTHS:
        group += nodes.colspec(colwidth=width)
    head_row = nodes.row()
    for title in HEADERS[lang]:
        head_row += nodes.entry("", nodes.paragraph(text=title))
    group += nodes.thead("", head_row)
    body = nodes.tbody()
    for entry in sorted_entries(entries, lang):
        row = nodes.row(ids=[entry.anchor])
        row += _term_cell(entry, lang)
        row += _meaning_cell(entry, lang)
        row += _rejected_cell(entry, lang)
        body += row
    group += body
    return table


def _glossary_path(app) -> Path:
    configured = app.config.course_glossary_path
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else Path(app.confdir) / path
    return find_glossary(Path(app.srcdir))


def _directive_class():
    from docutils import nodes
    from docutils.parsers.rst import directives
    from sphinx.util.docutils import SphinxDirective

    class CourseGlossary(SphinxDirective):
        """``{course-glossary}`` with ``:lang: bn`` or ``:lang: en``: the glossary as a table."""

        has_content = False
        option_spec = {"lang": lambda arg: directives.choice(arg, LANGS)}

        def run(self):
            lang = self.options.get("lang")
            if lang is None:
                match = re.match(r"^chapters/(bn|en)/", self.env.docname)
                lang = match[1] if match else "en"
            try:
                path = _glossary_path(self.env.app)
                self.env.note_dependency(str(path))
                entries = load_glossary(path)
            except GlossaryError as error:
                raise self.error(str(error)) from error
            std = self.env.get_domain("std")
            for entry in entries:
                std.note_hyperlink_target(
                    f"glossary-{lang}-{entry.id}", self.env.docname, entry.anchor, entry.term(lang)
                )
            style = nodes.raw("", f"<style>{GLOSSARY_CSS}</style>", format="html")
            return [style, glossary_table(entries, lang)]

    return CourseGlossary


def setup(app) -> dict:
    app.add_config_value("course_glossary_path", "", "env")
    app.add_directive("course-glossary", _directive_class())
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


# --- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Check Bengali pages (files or folders; default chapters/bn) against the glossary."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.glossary",
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
