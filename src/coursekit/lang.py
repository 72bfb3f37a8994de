"""The course's two languages and its bilingual message tables: the one module that knows them.

Every string a reader sees in both languages lives in a :class:`Messages` table::

    text = Messages({"en": {"ok": "done in {s:.1f} s"}, "bn": {"ok": "{s:.1f} সেকেন্ডে শেষ"}})
    text("bn", "ok", s=2.0)  # '2.0 সেকেন্ডে শেষ'

A table that leaves out a language, or a key that one language has and the other lacks, fails
when its module is imported, so a message cannot be forgotten in one language.
"""

from __future__ import annotations

from typing import Any

LANGS = ("bn", "en")


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is one of the course's languages, else raise ValueError."""
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not one of the course's languages {LANGS}.")
    return lang


def twin(lang: str) -> str:
    """The other language: a chapter in ``lang`` has its twin in this one."""
    check_lang(lang)
    return next(other for other in LANGS if other != lang)


_BENGALI_DIGITS = str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯")


def numeral(lang: str, value: Any) -> str:
    """``value`` written for prose in ``lang``: Bengali digits in Bengali ("৩", "২.৫")."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text.translate(_BENGALI_DIGITS) if check_lang(lang) == "bn" else text


class Messages:
    """Texts in every language of the course, looked up by language and key.

    ``text(lang, key, **kw)`` formats the message; a value that is not a string (a tuple of class
    names, a template with its own placeholders read raw) is returned as it is. ``raw=True``
    returns a string unformatted.
    """

    def __init__(self, tables: dict[str, dict[str, Any]]):
        if set(tables) != set(LANGS):
            raise ValueError(f"message tables for {sorted(tables)}; the course has {LANGS}")
        keys = {lang: set(table) for lang, table in tables.items()}
        first, *rest = sorted(keys)
        for lang in rest:
            if keys[lang] != keys[first]:
                differ = sorted(keys[first] ^ keys[lang])
                raise ValueError(f"the '{first}' and '{lang}' message tables differ in {differ}")
        self.tables = tables

    def __call__(self, lang: str, key: str, *, raw: bool = False, **kw: Any) -> Any:
        value = self.tables[check_lang(lang)][key]
        if raw or not isinstance(value, str):
            return value
        return value.format(**kw)

    def keys(self) -> set[str]:
        return set(self.tables[LANGS[0]])
