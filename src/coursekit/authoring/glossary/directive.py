"""The Sphinx directive ``course-glossary``: the glossary as a table on the page that uses it.

Each concept is a row with the anchor ``#term-<id>`` and the label ``glossary-<lang>-<id>`` for
``{ref}``. On the Bengali page the table follows Bengali alphabetical order of the chosen terms;
on the English page, English alphabetical order. The table's layout is ``static/glossary.css``.

docutils and Sphinx are imported inside the functions that use them, so importing the package
(for the command line check, or the tests of the data) does not load them.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...lang import LANGS, Messages, twin
from .model import Entry, GlossaryError, find_glossary, load_glossary, sorted_entries

# The folder of the course's stylesheets; coursekit.authoring.sphinxext adds it too.
STATIC_DIR = Path(__file__).parent.parent / "static"
CSS_FILE = "glossary.css"
COLUMN_WIDTHS = (24, 46, 30)
_CHAPTER_RE = re.compile(rf"^chapters/({'|'.join(LANGS)})/")

# The column headers (the CSS repeats the third as a label on narrow screens), and the labels.
_text = Messages(
    {
        "bn": {
            "headers": ("পরিভাষা", "অর্থ", "যা লেখা হয় না"),
            "reason": "কেন এই শব্দ: ",
            "spellings": "ভিন্ন বানান: ",
            "sense": " (এই অর্থে)",
        },
        "en": {
            "headers": ("Term", "Meaning", "Not used in Bengali"),
            "reason": "Why this word: ",
            "spellings": "Other spellings: ",
            "sense": " (in this sense)",
        },
    }
)


def _term_cell(entry: Entry, lang: str):
    """The chosen term in bold, the other language's term under it."""
    from docutils import nodes

    term = nodes.paragraph(classes=["glossary-term"])
    term += nodes.strong(text=entry.term(lang))
    translation = nodes.paragraph(classes=["glossary-translation"])
    translation += nodes.inline(text=entry.term(twin(lang)))
    return nodes.entry("", term, translation)


def _meaning_cell(entry: Entry, lang: str):
    from docutils import nodes

    cell = nodes.entry("", nodes.paragraph(text=entry.definition(lang)))
    if entry.reason(lang):
        reason = nodes.paragraph(classes=["glossary-reason"])
        reason += nodes.strong(text=_text(lang, "reason"))
        reason += nodes.Text(entry.reason(lang))
        cell += reason
    return cell


def _rejected_cell(entry: Entry, lang: str):
    from docutils import nodes

    cell = nodes.entry()
    variants = [r.shown for r in entry.rejected if r.kind == "variant"]
    if variants:
        para = nodes.paragraph()
        para += nodes.Text(_text(lang, "spellings"))
        para += nodes.inline(text=", ".join(variants))
        cell += para
    for other in (r for r in entry.rejected if r.kind != "variant"):
        para = nodes.paragraph()
        para += nodes.strong(text=other.shown)
        if other.kind == "sense":
            para += nodes.Text(_text(lang, "sense"))
        para += nodes.Text(": " + (other.why_bn if lang == "bn" else other.why_en))
        cell += para
    return cell


def glossary_table(entries: list[Entry], lang: str):
    """The glossary as a docutils table, one row per concept, with the row's anchor as its id."""
    from docutils import nodes

    table = nodes.table(classes=["course-glossary", f"lang-{lang}", "colwidths-given"])
    headers = _text(lang, "headers")
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in COLUMN_WIDTHS:
        group += nodes.colspec(colwidth=width)
    head_row = nodes.row()
    for title in headers:
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
    from docutils.parsers.rst import directives
    from sphinx.util.docutils import SphinxDirective

    class CourseGlossary(SphinxDirective):
        """``{course-glossary}`` with ``:lang: bn`` or ``:lang: en``: the glossary as a table."""

        has_content = False
        option_spec = {"lang": lambda arg: directives.choice(arg, LANGS)}

        def run(self):
            lang = self.options.get("lang")
            if lang is None:
                match = _CHAPTER_RE.match(self.env.docname)
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
            return [glossary_table(entries, lang)]

    return CourseGlossary


def add_static_path(app) -> None:
    """Put the stylesheets' folder on html_static_path, also where the directive is used alone."""
    path = str(STATIC_DIR)
    if path not in app.config.html_static_path:
        app.config.html_static_path.append(path)


def setup(app) -> dict:
    app.add_config_value("course_glossary_path", "", "env")
    app.add_directive("course-glossary", _directive_class())
    app.connect("builder-inited", add_static_path)
    app.add_css_file(CSS_FILE)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
