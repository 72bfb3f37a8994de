"""The glossary's data: entries read from ``glossary.yml``, their checks, and how they are found.

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
      synonyms:                     # optional: other real words for it, not used in the book
        - term: নির্ভুলতা
          en: Bengali ML writing uses it for accuracy
          bn: ...
      senses:                       # optional: a word used only in another sense
        - term: ক্লাস
          en: only a Python class; a category is শ্রেণি
          bn: ...
          after: ["`", Python]      # it may stand right after one of these (` is inline code)
      rule: 2                       # optional: a school-mathematics word decided once
      reason:                       # required with rule 2, optional otherwise
        en: ...
        bn: ...

A variant ending in ``*`` is a misspelt stem: it matches every word that starts with it
(``কনভোল্যুশন*`` catches কনভোল্যুশনাল too). A calque misleads; a synonym is a real word for the
concept that the book does not use, so that one concept keeps one word. A sense names a word the
book uses for something else: it is rejected except right after one of its ``after`` words, which
show the other sense (``ক্লাস`` after inline code or "Python" is a Python class; alone it would be
a category, written শ্রেণি).

:func:`load_glossary` reads and validates the file (:class:`GlossaryError` lists every problem).
:class:`Matcher` finds the rejected forms in text as whole words, also with the suffixes Bengali
attaches to nouns (-এর, -গুলো, -টি, -কে, -তে, ...), but never inside another word; which text
is prose is :mod:`.markdown`'s business. :func:`sorted_entries` gives the order of the glossary
pages: Bengali alphabetical order of the chosen terms, or English alphabetical order.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ...lang import LANGS

GLOSSARY_FILE = "glossary.yml"

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
    kind: str  # "variant", "calque", "synonym" or "sense"
    why_en: str = ""
    why_bn: str = ""
    after: tuple[str, ...] = ()  # a sense: the words after which it is the other sense

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


def _bilingual(
    raw: dict, key: str, where: str, problems: list[str], required: bool
) -> dict[str, str]:
    """The one-line text of field ``key`` in each language ("" where it is missing)."""
    value = raw.get(key)
    if value is None and not required:
        return dict.fromkeys(LANGS, "")
    if not isinstance(value, dict):
        problems.append(f"{where}: '{key}' needs an 'en' and a 'bn' line")
        return dict.fromkeys(LANGS, "")
    texts = {}
    for lang in LANGS:
        text = _text(value.get(lang))
        if not text:
            problems.append(f"{where}: '{key}.{lang}' is missing or empty")
        elif "\n" in text:
            problems.append(f"{where}: '{key}.{lang}' must be one line")
        texts[lang] = text
    return texts


def _explained(raw: dict, key: str, kind: str, where: str, problems: list[str]) -> list[Rejected]:
    """The rejected forms of field ``key`` (calques, synonyms, senses): each with why in both
    languages, and for a sense the words after which it stands in its other sense."""
    items = raw.get(key, [])
    if not isinstance(items, list):
        problems.append(f"{where}: '{key}' must be a list (it may be empty)")
        return []
    fields = "'term', 'en', 'bn'" + (" and 'after'" if kind == "sense" else "")
    found = []
    for item in items:
        if not isinstance(item, dict) or not _text(item.get("term")):
            problems.append(f"{where}: each {kind} needs {fields}")
            continue
        why_en, why_bn = _text(item.get("en")), _text(item.get("bn"))
        if not why_en or not why_bn:
            problems.append(f"{where}: {kind} '{item['term']}' needs why in 'en' and 'bn'")
        after: tuple[str, ...] = ()
        if kind == "sense":
            words = item.get("after")
            if not isinstance(words, list) or not words or not all(map(_text, words)):
                problems.append(
                    f"{where}: sense '{item['term']}' needs 'after', a list of the words after "
                    "which it has its other sense (` for inline code)"
                )
            else:
                after = tuple(normalize(_text(w)) for w in words)
        elif "after" in item:
            problems.append(f"{where}: only a sense takes 'after' ({kind} '{item['term']}')")
        found.append(Rejected(_nfc(_text(item["term"])), kind, why_en, why_bn, after))
    return found


def _parse_entry(raw: object, index: int, problems: list[str]) -> Entry | None:
    where = f"entry {index + 1}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: not a mapping")
        return None
    if _text(raw.get("id")):
        where = f"entry {index + 1} ({raw['id']})"
    known = {"id", "en", "bn", "def", "variants", "calques", "synonyms", "senses", "rule", "reason"}
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
    definition = _bilingual(raw, "def", where, problems, required=True)

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
    rejected += _explained(raw, "calques", "calque", where, problems)
    rejected += _explained(raw, "synonyms", "synonym", where, problems)
    rejected += _explained(raw, "senses", "sense", where, problems)

    rule = raw.get("rule", 1)
    if rule not in (1, 2):
        problems.append(f"{where}: 'rule' is 1 (transliterate) or 2 (school word decided once)")
        rule = 1
    reason = _bilingual(raw, "reason", where, problems, required=rule == 2)
    if not (ident and en and bn):
        return None
    return Entry(
        id=ident,
        en=en,
        bn=_nfc(bn),
        def_en=definition["en"],
        def_bn=definition["bn"],
        rejected=tuple(rejected),
        rule=rule,
        reason_en=reason["en"],
        reason_bn=reason["bn"],
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


# --- finding rejected forms in text ------------------------------------------------------------


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
        """Every rejected form in ``text``; offsets refer to ``text`` as given (normalised).

        A sense is not reported right after one of its ``after`` words (a backtick there stands
        for inline code: see ``prose_only(..., code_mark=True)``).
        """
        hits = []
        for match in self._pattern.finditer(text):
            core = match.group("stem") if match.group("stem") is not None else match["word"]
            core = re.sub(r"\([^()\n]*\)", " ", core)
            entry, rejected = self._by_form[" ".join(core.split())]
            if rejected.kind == "sense" and _follows(text[: match.start()], rejected.after):
                continue
            hits.append(Hit(match.start(), match.end(), match.group(0), entry, rejected))
        return hits


def _follows(before: str, words: tuple[str, ...]) -> bool:
    """Whether ``before`` ends (spaces aside) with one of ``words``, as a whole word."""
    before = before.rstrip()
    for word in words:
        if before.endswith(word):
            start = len(before) - len(word)
            if word == "`" or start == 0 or not re.match(r"[\w\u0980-\u09ff]", before[start - 1]):
                return True
    return False


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
