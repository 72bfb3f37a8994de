"""Sphinx extension for the course's website.

Twin links:
a page ``chapters/bn/NAME`` is paired with ``chapters/en/NAME`` (and the other way round). The
extension inserts a link to the twin under the page's title, marks Bengali pages with
``lang="bn"`` and adds the course's stylesheet and bundled Bengali font to the site. A chapter
page whose twin is missing produces a warning, so ``jupyter-book build -W`` fails on it.

One language per navigation: a chapter page's left sidebar (and its previous/next links) lists
only the chapters and parts of the page's language; the landing page lists both.

Execution cache per run mode: notebooks are executed at build time in the mode COURSE_MODE
selects, and each mode keeps its own jupyter-cache folder, so a quick build never serves its
outputs to a full build or the other way round.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from bs4 import BeautifulSoup, Tag
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


# The Open Graph locale of each language (the landing page is both: Bengali first).
_locale = Messages({"bn": {"og": "bn_BD"}, "en": {"og": "en_US"}})
DESCRIPTION_LENGTH = 200


def describe_page(app: Sphinx, doctree: nodes.document) -> None:
    """The page's description for search engines and link previews: its first paragraphs, in
    its language, without the twin link (which is in the other language) or admonitions.

    Stored as the page's ``og:description``, which sphinxext-opengraph takes as given;
    :func:`mark_language` writes the same text as the page's ``<meta name="description">``.
    """
    words: list[str] = []
    for para in doctree.findall(nodes.paragraph):
        if "twin-link" in para.get("classes", []):
            continue
        if any(isinstance(a, (nodes.Admonition, nodes.topic)) for a in _ancestors(para)):
            continue
        words += para.astext().split()
        if len(" ".join(words)) >= DESCRIPTION_LENGTH:
            break
    text = " ".join(words)
    if len(text) > DESCRIPTION_LENGTH:
        text = text[:DESCRIPTION_LENGTH].rsplit(" ", 1)[0] + " …"
    if text:
        app.env.metadata[app.env.docname]["og:description"] = text


def _ancestors(node: nodes.Node):
    while node.parent is not None:
        node = node.parent
        yield node


def mark_language(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Mark a chapter page with its language (``<html lang>``, the body), and tell link previews
    the page's locale. The landing page is Bengali first."""
    match = CHAPTER_RE.match(pagename)
    if match and "body" in context:
        lang = match["lang"]
        context["body"] = f'<div lang="{lang}" class="course-{lang}">{context["body"]}</div>'
    if match or pagename == app.config.root_doc:
        context["language"] = match["lang"] if match else "bn"  # the template's <html lang>
    lang = match["lang"] if match else "bn"
    tags = [f'<meta property="og:locale" content="{_locale(lang, "og")}" />']
    if not match:
        tags.append(f'<meta property="og:locale:alternate" content="{_locale("en", "og")}" />')
    description = (context.get("meta") or {}).get("og:description")
    if description:
        tags.append(f'<meta name="description" content="{html.escape(description)}" />')
    context["metatags"] = context.get("metatags", "") + "\n".join(tags) + "\n"


def _other_language_uris(app: Sphinx, pagename: str, lang: str) -> set[str]:
    """The addresses, relative to ``pagename``, of the chapter pages in the other language."""
    uris = set()
    for docname in app.env.found_docs:
        match = CHAPTER_RE.match(docname)
        if match and match["lang"] != lang:
            uris.add(app.builder.get_relative_uri(pagename, docname))
    return uris


def _is_caption(tag) -> bool:
    return isinstance(tag, Tag) and tag.name == "p" and "caption" in tag.get("class", [])


def keep_one_language(nav: Tag, hidden: set[str], lang: str) -> None:
    """Remove from the navigation ``nav`` the entries that link to ``hidden`` and the parts
    (caption and list) left empty; mark what is left as written in ``lang``."""
    entries = [
        a.find_parent("li") or a
        for a in nav.find_all("a", href=True)
        if a["href"].split("#", 1)[0] in hidden
    ]
    for entry in entries:
        if not entry.decomposed:
            entry.decompose()
    for ul in nav.find_all("ul"):
        if ul.decomposed or ul.find("li") is not None:
            continue
        caption = ul.find_previous_sibling(True)
        if _is_caption(caption):
            caption.decompose()
        part = ul.parent  # the theme wraps each part in an <li> when parts can be collapsed
        ul.decompose()
        if isinstance(part, Tag) and part.name == "li" and part.find("ul") is None:
            part.decompose()
    for tag in nav.find_all(True, recursive=False):
        tag["lang"] = lang


def one_language_navigation(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree
) -> None:
    """A chapter page's navigation lists the chapters of its own language only.

    The table of contents holds both languages' parts, and the theme draws the left sidebar from
    all of it. The function the sidebar template calls (``generate_toctree_html``, which
    pydata-sphinx-theme puts in each page's context) is wrapped here so that the HTML it returns
    no longer holds the other language's chapters or their parts' captions: the page itself
    holds one language, for screen readers and reading without CSS too. The link to the landing
    page (drawn by the template, outside the table of contents) and the twin link (in the page's
    body) stay. The previous/next links at the bottom of the page are dropped where they lead to
    the other language. Other pages (the landing page, search) keep both languages.
    """
    match = CHAPTER_RE.match(pagename)
    generate = context.get("generate_toctree_html")
    if not match or generate is None:
        return
    lang = match["lang"]
    hidden = _other_language_uris(app, pagename, lang)

    def generate_toctree_html(kind: str, *args, **kwargs):
        nav = generate(kind, *args, **kwargs)
        if kind != "sidebar":
            return nav
        if not isinstance(nav, Tag):
            nav = BeautifulSoup(str(nav), "html.parser")
        keep_one_language(nav, hidden, lang)
        return nav

    context["generate_toctree_html"] = generate_toctree_html
    for key in ("prev", "next"):
        link = (context.get(key) or {}).get("link")
        if link is not None and link.split("#", 1)[0] in hidden:
            context[key] = None


def complete_sitemap(app: Sphinx, exception) -> None:
    """Every page in the sitemap, also after an incremental build.

    sphinx-sitemap lists the pages written in this build only, so a rebuild that rewrites two
    chapters would publish a sitemap of two pages. Before it writes the file (build-finished, at a
    higher priority), the links it collected are completed with every document of the project.
    """
    links = getattr(app, "sitemap_links", None)
    if exception is not None or links is None or app.builder.format != "html":
        return
    from sphinx_sitemap import is_excluded

    found: dict[str, object] = {}
    while not links.empty():
        link, last_updated = links.get_nowait()
        found[link] = last_updated
    for docname in sorted(app.env.found_docs):
        link = app.builder.get_target_uri(docname)
        if link not in found and not is_excluded(link, app.config.sitemap_excludes):
            found[link] = None
    for link in sorted(found):
        links.put((link, found[link]))


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
    app.setup_extension("coursekit.authoring.search")
    app.connect("config-inited", cache_per_mode, priority=400)
    app.connect("builder-inited", add_static_paths)
    app.connect("source-read", localise_code_prompts)
    app.connect("doctree-read", add_twin_link)
    app.connect("doctree-read", describe_page, priority=600)  # after the twin link is in
    # Before sphinxext-opengraph (500), which then keeps the page's own meta description.
    app.connect("html-page-context", mark_language, priority=450)
    # After the theme has put its navigation functions in the page's context (priority 500).
    app.connect("html-page-context", one_language_navigation, priority=600)
    app.connect("build-finished", complete_sitemap, priority=400)  # before sphinx-sitemap's
    app.add_css_file("course.css")
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
