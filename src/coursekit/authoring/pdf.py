"""The offline edition: one PDF per language, printed from the built website.

``coursekit pdf`` (``make pdf``) reads the site in ``_build/html`` and, for each language, puts
that language's pages in ``_toc.yml`` order into one print page: the article of every chapter and
appendix (code cells and their outputs shown, the theme's navigation left out), the site's
stylesheets and bundled Bengali font, MathJax from the site's own ``_static`` folder, a cover, a
table of contents with links, and print rules (A4, page numbers, a new page for each chapter).
A local HTTP server serves the site and that page to Debian's headless Chromium, which prints it
once MathJax has typeset; nothing is fetched from the network. The text of the printed PDF is
then checked (no raw TeX such as ``$$`` or ``\\frac``, every chapter title present) before the
file is written, whole, to ``_build/pdf/deep-learning-<lang>.pdf``; a copy goes into the site's
``pdf/`` folder, where the landing page links to it.
"""

from __future__ import annotations

import html
import posixpath
import re
import shutil
import subprocess
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml
from bs4 import BeautifulSoup, Tag

from ..files import atomic_path
from ..lang import LANGS, Messages, check_lang
from .book import BookError
from .chromium import HEADLESS_FLAGS, serve

PDF_NAME = "deep-learning-{lang}.pdf"
"""The file name of each language's PDF, in ``_build/pdf`` and in the site's ``pdf/`` folder."""

SITE_PDF_FOLDER = "pdf"

CHROMIUM_FLAGS = (*HEADLESS_FLAGS, "--no-pdf-header-footer", "--generate-pdf-document-outline")

VIRTUAL_TIME_BUDGET_MS = 120_000
"""Virtual time Chromium gives the page's scripts (MathJax) before printing. Virtual time runs
ahead when the page is idle, so a large budget costs no real time once MathJax is done."""

RAW_TEX = re.compile(r"\$\$|\\frac\b|\\\(|\\\[|\\begin\{|\\mathrm\b|\\mathbf\b|\\sum_")
"""TeX that shows in a PDF's text only when MathJax did not typeset the maths."""

_TEXT = Messages(
    {
        "bn": {
            "language": "বাংলা",
            "title": "ডিপ লার্নিং হাতে-কলমে",
            "edition": "অফলাইন সংস্করণ: ওয়েবসাইটের সব অধ্যায় আর পরিশিষ্ট, এক ফাইলে",
            "contents": "সূচিপত্র",
            "page_counter": "bengali",
        },
        "en": {
            "language": "English",
            "title": "Deep Learning, Hands-On",
            "edition": "Offline edition: every chapter and appendix of the website in one file",
            "contents": "Contents",
            "page_counter": "decimal",
        },
    }
)


class PdfError(RuntimeError):
    """The PDF cannot be made: the site is missing or incomplete, Chromium is absent or failed,
    or the printed text shows that something did not render."""


@dataclass
class Part:
    caption: str
    pages: list[str] = field(default_factory=list)
    """Page names relative to the site root, without .html (``chapters/bn/01-gradient-descent``)."""


@dataclass
class Page:
    name: str
    title: str
    article: Tag


# --- What goes into each language's PDF --------------------------------------------------------


def toc_parts(toc_file: Path, lang: str) -> list[Part]:
    """The parts of ``_toc.yml`` whose pages are all in ``lang``, in order, with their pages.

    A caption that starts with the language's name (``বাংলা: অংশ ১ — ...``) loses that prefix:
    in a PDF of one language it says nothing.
    """
    check_lang(lang)
    toc = yaml.safe_load(toc_file.read_text(encoding="utf-8")) or {}
    prefix = f"{_TEXT(lang, 'language')}:"
    parts = []
    for part in toc.get("parts", []):
        pages = [
            posixpath.splitext(entry["file"])[0]
            for entry in part.get("chapters", [])
            if isinstance(entry, dict) and "file" in entry
        ]
        langs = {posixpath.basename(posixpath.dirname(p)) for p in pages}
        if pages and langs == {lang}:
            caption = str(part.get("caption", "")).strip()
            caption = caption.removeprefix(prefix).strip()
            parts.append(Part(caption, pages))
    return parts


def _title_of(h1: Tag) -> str:
    for link in h1.select("a.headerlink"):
        link.decompose()
    return " ".join(h1.get_text(" ").split())


def read_page(site: Path, name: str) -> Page:
    """A built page's article (the theme's navigation, header and sidebars left out)."""
    path = site / f"{name}.html"
    if not path.is_file():
        raise PdfError(f"{path} is missing: build the site first (make book).")
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article") or soup.select_one("main")
    if article is None:
        raise PdfError(f"{path} has no article: is it a page of the course's site?")
    h1 = article.find("h1")
    title = _title_of(h1) if h1 else name
    return Page(name, title, article)


def _head_assets(site: Path, first_page: str) -> tuple[list[str], list[Tag]]:
    """The stylesheets (site-root-relative) and the MathJax scripts of a built page's head."""
    soup = BeautifulSoup((site / f"{first_page}.html").read_text(encoding="utf-8"), "html.parser")
    base = posixpath.dirname(first_page)
    css = []
    for link in soup.find_all("link", rel="stylesheet", href=True):
        resolved = _resolve(base, link["href"])
        if resolved is not None:
            css.append(resolved)
    mathjax = []
    for script in soup.find_all("script"):
        src = script.get("src", "")
        if "mathjax" in src.lower():
            resolved = _resolve(base, src)
            if resolved is None:
                raise PdfError(f"the site loads MathJax from {src}, not from its own _static.")
            script["src"] = resolved
            mathjax.append(script)
        elif not src and "window.MathJax" in script.get_text():
            mathjax.append(script)
    return css, mathjax


def _resolve(base: str, url: str) -> str | None:
    """``url`` as written in a page of folder ``base``, made relative to the site root; None for
    an address outside the site (another host, a data: URL)."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    if not parts.path:
        return None
    path = posixpath.normpath(posixpath.join(base, unquote(parts.path)))
    if path.startswith("../"):
        return None
    query = f"?{parts.query}" if parts.query else ""
    return path + query


def _anchor(index: int, fragment: str = "") -> str:
    return f"p{index}-{fragment}" if fragment else f"p{index}"


def _prepare_article(page: Page, index: int, anchors: dict[str, int]) -> Tag:
    """The page's article ready for print: ids made unique in the book, links between its pages
    turned into links inside the PDF, images addressed from the site root, hidden cells open."""
    article = page.article
    base = posixpath.dirname(page.name)
    for tag in article.select("a.headerlink, p.twin-link, script, .thebe-button, button"):
        tag.decompose()
    for tag in article.find_all(id=True):
        tag["id"] = _anchor(index, tag["id"])
    for tag in article.find_all("label", attrs={"for": True}):
        tag["for"] = _anchor(index, tag["for"])
    for details in article.find_all("details"):
        details["open"] = ""
    for tag in article.find_all(src=True):
        resolved = _resolve(base, tag["src"])
        if resolved is not None:
            tag["src"] = resolved
    for link in article.find_all("a", href=True):
        href = link["href"]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc:
            continue  # outside the site: kept as it is
        if not parts.path:
            link["href"] = "#" + _anchor(index, parts.fragment)
            continue
        target = _resolve(base, parts.path)
        name = posixpath.splitext(target)[0] if target else None
        if name in anchors:
            link["href"] = "#" + _anchor(anchors[name], parts.fragment)
        else:
            link.unwrap()  # a page not in this PDF (the other language, the index)
    return article


# --- The print page ----------------------------------------------------------------------------

PRINT_CSS = """
@page {
  size: A4;
  margin: 18mm 16mm 20mm 16mm;
  @bottom-center {
    content: counter(page, COUNTER_STYLE);
    font-family: "Course Bengali", sans-serif;
    font-size: 9pt;
    color: #555;
  }
}
@page :first {
  @bottom-center { content: none; }
}
html, body { background: #fff !important; }
body { margin: 0; padding: 0; font-size: 10.5pt; }
.print-cover { text-align: center; padding-top: 35vh; break-after: page; }
.print-cover h1 { font-size: 2.4em; margin-bottom: 0.5em; }
.print-cover p { font-size: 1.1em; color: #444; }
.print-toc { break-after: page; }
.print-toc h1 { margin-bottom: 1em; }
.print-toc h2 { font-size: 1.15em; margin: 1.2em 0 0.3em 0; }
.print-toc ol { list-style: none; padding-left: 1em; margin: 0; }
.print-toc li { margin: 0.25em 0; }
.print-toc a { text-decoration: none; color: inherit; }
.print-part { break-before: page; text-align: center; padding-top: 40vh; font-size: 1.6em; }
.print-part + .print-chapter { break-before: page; }
.print-chapter { break-before: page; }
.print-chapter article.bd-article { padding: 0; max-width: none; }
h1, h2, h3, h4 { break-after: avoid; }
img, figure, .cell_output .output.text_html, mjx-container[display="true"] {
  break-inside: avoid;
}
img { max-width: 100% !important; height: auto; }
pre { white-space: pre-wrap !important; overflow-wrap: anywhere; overflow: visible !important; }
div.highlight, .cell_output, .cell_input { overflow: visible !important; }
details.hide > summary, details.above-input > summary, details.below-input > summary {
  display: none;
}
.headerlink, .twin-link, .copybtn, .thebe-button, .toggle-button { display: none !important; }
a[href^="http"] { word-break: break-all; }
"""


def assemble(site: Path, toc_file: Path, lang: str) -> tuple[str, list[Page]]:
    """The print page of ``lang`` (HTML meant to be served from the site root) and its pages."""
    parts = toc_parts(toc_file, lang)
    names = [name for part in parts for name in part.pages]
    if not names:
        raise PdfError(f"{toc_file} lists no page in chapters/{lang}/.")
    anchors = {name: i for i, name in enumerate(names)}
    pages = [read_page(site, name) for name in names]
    css, mathjax = _head_assets(site, names[0])
    if not mathjax:
        raise PdfError(f"{site / names[0]}.html loads no MathJax: build the site with `make book`.")

    out = BeautifulSoup("<!DOCTYPE html><html><head></head><body></body></html>", "html.parser")
    out.html["lang"] = lang
    out.html["data-theme"] = "light"
    head, body = out.head, out.body
    head.append(out.new_tag("meta", charset="utf-8"))
    title = out.new_tag("title")
    title.string = _TEXT(lang, "title")
    head.append(title)
    for href in css:
        head.append(out.new_tag("link", rel="stylesheet", href=href))
    style = out.new_tag("style")
    style.string = PRINT_CSS.replace("COUNTER_STYLE", _TEXT(lang, "page_counter"))
    head.append(style)
    for script in mathjax:
        head.append(BeautifulSoup(str(script), "html.parser"))

    holder = out.new_tag("div", attrs={"lang": lang, "class": f"course-{lang} print-book"})
    body.append(holder)
    cover = BeautifulSoup(
        f'<section class="print-cover"><h1>{html.escape(_TEXT(lang, "title"))}</h1>'
        f"<p>{html.escape(_TEXT(lang, 'edition'))}</p></section>",
        "html.parser",
    )
    holder.append(cover)
    toc = [f'<nav class="print-toc"><h1>{html.escape(_TEXT(lang, "contents"))}</h1>']
    for part in parts:
        toc.append(f"<h2>{html.escape(part.caption)}</h2><ol>")
        for name in part.pages:
            page = pages[anchors[name]]
            toc.append(
                f'<li><a href="#{_anchor(anchors[name])}">{html.escape(page.title)}</a></li>'
            )
        toc.append("</ol>")
    toc.append("</nav>")
    holder.append(BeautifulSoup("".join(toc), "html.parser"))
    for part in parts:
        for name in part.pages:
            index = anchors[name]
            section = out.new_tag("section", attrs={"class": "print-chapter", "id": _anchor(index)})
            section.append(_prepare_article(pages[index], index, anchors))
            holder.append(section)
    return str(out), pages


# --- Printing ----------------------------------------------------------------------------------


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise PdfError(
            "Chromium is not installed: the PDFs are printed by headless Chromium "
            "(Debian: apt-get install chromium)."
        )
    return found


def print_to_pdf(url: str, out: Path, *, timeout_s: float = 600) -> None:
    """Print the page at ``url`` to ``out`` with headless Chromium, after its scripts have run."""
    with tempfile.TemporaryDirectory(prefix="coursekit-chromium-") as profile:
        command = [
            chromium_path(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={VIRTUAL_TIME_BUDGET_MS}",
            f"--print-to-pdf={out}",
            url,
        ]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
        except subprocess.TimeoutExpired as err:
            raise PdfError(f"Chromium did not print {url} within {timeout_s:g} s.") from err
    if result.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        log = (result.stderr or result.stdout).strip().splitlines()[-8:]
        raise PdfError(f"Chromium could not print {url}:\n" + "\n".join(log))


def pdf_text(path: Path) -> str:
    """The text of a PDF, page after page, in Unicode NFC.

    PDFium (pypdfium2) reads the text Chromium stores beside each shaped cluster, so Bengali comes
    out in its written order (a vowel sign after its consonant); it may put spaces inside words.
    """
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        text = "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()
    return unicodedata.normalize("NFC", text)


def page_count(path: Path) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(str(path))
    try:
        return len(document)
    finally:
        document.close()


def missing_titles(text: str, titles: list[str]) -> list[str]:
    """The titles that do not appear in ``text``, spaces and line breaks left out of both."""
    flat = re.sub(r"\s+", "", text)
    return [t for t in titles if re.sub(r"\s+", "", unicodedata.normalize("NFC", t)) not in flat]


def check_pdf(path: Path, titles: list[str]) -> None:
    """Raise PdfError if the PDF shows raw TeX or lacks one of ``titles``."""
    text = pdf_text(path)
    raw = RAW_TEX.search(text)
    if raw:
        start = max(raw.start() - 60, 0)
        raise PdfError(
            f"the PDF shows raw TeX ({raw.group(0)!r}): MathJax did not typeset everything. "
            f"Near: {text[start : raw.end() + 60]!r}"
        )
    missing = missing_titles(text, titles)
    if missing:
        raise PdfError(f"the PDF's text lacks the titles {missing}")


@dataclass
class Result:
    lang: str
    path: Path
    pages: int
    size: int


def build_pdf(site: Path, toc_file: Path, lang: str, out: Path) -> Result:
    """Print ``lang``'s PDF from ``site`` to ``out`` (written whole or not at all)."""
    if not (site / "_static").is_dir():
        raise PdfError(f"{site} is not a built site: build it first (make book).")
    page_html, pages = assemble(site, toc_file, lang)
    name = f"/coursekit-print-{lang}.html"
    with serve(site, {name: page_html}) as base, atomic_path(out) as tmp:
        print_to_pdf(base + name.lstrip("/"), tmp)
        check_pdf(tmp, [page.title for page in pages])
        count = page_count(tmp)
        size = tmp.stat().st_size
    return Result(lang, out, count, size)


def build_all(
    root: Path,
    *,
    site: Path | None = None,
    out_dir: Path | None = None,
    langs: tuple[str, ...] = LANGS,
    publish: bool = True,
) -> list[Result]:
    """Each language's PDF into ``out_dir`` (``_build/pdf``); with ``publish``, a copy into the
    site's ``pdf/`` folder too, where the landing page links to it."""
    site = site or root / "_build" / "html"
    out_dir = out_dir or root / "_build" / "pdf"
    toc_file = root / "_toc.yml"
    if not toc_file.is_file():
        raise BookError(f"{toc_file} is missing: give the course repository's folder.")
    results = []
    for lang in langs:
        result = build_pdf(site, toc_file, lang, out_dir / PDF_NAME.format(lang=lang))
        if publish:
            with atomic_path(site / SITE_PDF_FOLDER / result.path.name) as tmp:
                shutil.copyfile(result.path, tmp)
        results.append(result)
    return results
