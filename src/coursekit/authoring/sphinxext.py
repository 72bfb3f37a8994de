"""Sphinx extension for the course's website.

Twin links:
a page ``chapters/bn/NAME`` is paired with ``chapters/en/NAME`` (and the other way round). The
extension inserts a link to the twin under the page's title, marks Bengali pages with
``lang="bn"`` and adds the course's stylesheet and bundled Bengali font to the site. A chapter
page whose twin is missing produces a warning, so ``jupyter-book build -W`` fails on it.

Execution cache per run mode: notebooks are executed at build time in the mode COURSE_MODE
selects, and each mode keeps its own jupyter-cache folder, so a quick build never serves its
outputs to a full build or the other way round.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging

from ..lang import LANGS, Messages, twin

logger = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).parent
CHAPTER_RE = re.compile(rf"^chapters/(?P<lang>{'|'.join(LANGS)})/(?P<name>.+)$")

# What the site adds to a chapter page, in the page's language: the link to its twin (written
# in the twin's language, for the reader who wants it) and the show/hide-code toggles' labels.
_MESSAGES = {
    "bn": {
        "twin_link": "Read this page in English →",
        "code_show": "কোড দেখান",
        "code_hide": "কোড লুকান",
    },
    "en": {
        "twin_link": "এই পাতাটি বাংলায় পড়ুন →",
        "code_show": "Show code cell {type}",  # myst-nb's own labels
        "code_hide": "Hide code cell {type}",
    },
}
_text = Messages(_MESSAGES)


def twin_of(docname: str) -> str | None:
    """``chapters/bn/01-x`` -> ``chapters/en/01-x``; None for pages outside chapters/bn|en."""
    match = CHAPTER_RE.match(docname)
    if not match:
        return None
    return f"chapters/{twin(match['lang'])}/{match['name']}"


def _twin_paragraph(docname: str, other: str, lang: str) -> nodes.paragraph:
    ref = addnodes.pending_xref(
        "",
        refdomain="std",
        reftype="doc",
        reftarget="/" + other,
        refexplicit=True,
        refwarn=True,
        refdoc=docname,
    )
    ref += nodes.inline("", _text(lang, "twin_link"))
    para = nodes.paragraph("", "", ref, classes=["twin-link"])
    return para


def add_twin_link(app: Sphinx, doctree: nodes.document) -> None:
    docname = app.env.docname
    other = twin_of(docname)
    if other is None:
        return
    lang = CHAPTER_RE.match(docname)["lang"]
    if other not in app.env.found_docs:
        logger.warning(
            "chapter %s has no twin: add %s (same file name in the other language) and list it "
            "in _toc.yml",
            docname,
            other,
            location=docname,
        )
        return
    para = _twin_paragraph(docname, other, lang)
    section = next(iter(doctree.findall(nodes.section)), None)
    if section is not None and section.children and isinstance(section[0], nodes.title):
        section.insert(1, para)
    else:
        doctree.insert(0, para)


def localise_code_prompts(app: Sphinx, docname: str, source: list[str]) -> None:
    """Label the show/hide-code toggles of chapter notebook pages in the page's language.

    myst-nb reads these labels from a page's front matter (``mystnb:``), so they are added to
    the front matter of every chapter notebook page as it is read, instead of to each file.
    """
    match = CHAPTER_RE.match(docname)
    if not match:
        return
    text = source[0]
    if not text.startswith("---\n") or "\nkernelspec:" not in text.split("\n---", 1)[0]:
        return  # not a notebook page
    if "\nmystnb:" in text.split("\n---", 1)[0]:
        return  # the page sets its own
    show, hide = (_text(match["lang"], key, raw=True) for key in ("code_show", "code_hide"))
    front = f'mystnb:\n  code_prompt_show: "{show}"\n  code_prompt_hide: "{hide}"\n'
    source[0] = "---\n" + front + text[len("---\n") :]


def mark_language(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    match = CHAPTER_RE.match(pagename)
    if match and "body" in context:
        lang = match["lang"]
        context["body"] = f'<div lang="{lang}" class="course-{lang}">{context["body"]}</div>'


def add_static_paths(app: Sphinx) -> None:
    for folder in (PACKAGE_DIR / "static", PACKAGE_DIR.parent / "fonts"):
        path = str(folder)
        if path not in app.config.html_static_path:
            app.config.html_static_path.append(path)


def cache_per_mode(app: Sphinx, config) -> None:
    from ..mode import run_mode

    if not config.nb_execution_cache_path:
        default = Path(app.outdir).parent / ".jupyter_cache"
        config.nb_execution_cache_path = str(default.with_name(f".jupyter_cache-{run_mode()}"))


def setup(app: Sphinx) -> dict:
    app.setup_extension("myst_nb")
    app.setup_extension("coursekit.authoring.glossary")
    app.connect("config-inited", cache_per_mode, priority=400)
    app.connect("builder-inited", add_static_paths)
    app.connect("source-read", localise_code_prompts)
    app.connect("doctree-read", add_twin_link)
    app.connect("html-page-context", mark_language)
    app.add_css_file("course.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
