"""The offline edition (``coursekit pdf``, ``make pdf``): one PDF per language, printed from the
built site by headless Chromium.

The assembly is tested on a tiny site made here: two Bengali pages and one English page shaped as
the theme writes them (navigation, sidebar, article), each with a ``$$`` maths block. Printing it
needs Chromium (Debian's ``chromium``) and MathJax, taken from the real site's ``_static`` when
the site has been built; without them those tests are skipped, saying so. The last test reads
the real PDFs in ``_build/pdf`` (or prints them from ``_build/html`` when the site is there and
Chromium is installed): every chapter title of its language is in the text, and no raw TeX.
"""

from __future__ import annotations

import re
import shutil
import sysconfig
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from coursekit.authoring import cli, pdf
from coursekit.lang import LANGS

ROOT = Path(__file__).resolve().parents[1]
# MathJax as the site serves it: sphinx-mathjax-offline copies this folder into _static.
REAL_MATHJAX = (
    Path(sysconfig.get_paths()["purelib"]) / "sphinx-mathjax-offline" / "static" / "mathjax"
)

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it",
)
needs_mathjax = pytest.mark.skipif(
    not (REAL_MATHJAX / "tex-chtml.js").is_file(),
    reason="sphinx-mathjax-offline's MathJax is not installed (make env)",
)

TOC = """\
format: jb-book
root: index
parts:
  - caption: "বাংলা: অংশ ১ — শুরু"
    chapters:
      - file: chapters/bn/01-start.md
      - file: chapters/bn/02-next.md
  - caption: "English: Part I — Start"
    chapters:
      - file: chapters/en/01-start.md
"""

PAGE = """\
<!DOCTYPE html>
<html lang="en" data-content_root="../../">
<head>
  <meta charset="utf-8" />
  <title>{title}</title>
  <link href="../../_static/styles/theme.css?digest=1" rel="stylesheet" />
  <link rel="stylesheet" type="text/css" href="../../_static/course.css?v=2" />
  <link rel="stylesheet" href="https://example.org/remote.css" />
  <script src="../../_static/doctools.js"></script>
  <script>window.MathJax = {{"options": {{"processHtmlClass": "math"}}}}</script>
  <script defer="defer" src="../../_static/mathjax/tex-chtml.js?v=3"></script>
</head>
<body>
  <nav class="bd-sidebar-primary"><p>SIDEBAR {other}</p></nav>
  <header class="bd-header">HEADER NAVIGATION</header>
  <main id="main-content" class="bd-main">
    <article class="bd-article">
      <div lang="{lang}" class="course-{lang}"><section id="top">
        <h1>{title}<a class="headerlink" href="#top" title="Link">#</a></h1>
        <p class="twin-link"><a href="../{other}/{name}.html">TWIN LINK</a></p>
        <p>{body} <a class="reference internal" href="{link}">{link_text}</a>
           <a href="https://example.org/paper">external</a>
           <a href="../../genindex.html">index</a></p>
        <div class="math notranslate nohighlight">$$\\frac{{a}}{{b}} = c$$</div>
        <div class="cell tag_hide-input"><details class="hide above-input">
          <summary>কোড দেখান</summary><pre>print("hidden code")</pre></details>
          <div class="cell_output"><pre>cell output</pre>
          <img alt="figure" src="../../_images/figure.png" /></div></div>
        <section id="sec"><h2>Section</h2><p>more text</p></section>
        <script type="text/x-thebe-config">{{}}</script>
      </section></div>
    </article>
  </main>
</body>
</html>
"""

TITLES = {
    "chapters/bn/01-start": "১. গ্রেডিয়েন্ট ডিসেন্টের শুরু",
    "chapters/bn/02-next": "২. চেইন রুল আর ব্যাকপ্রোপাগেশন",
    "chapters/en/01-start": "1. Getting started",
}


def make_site(root: Path, *, mathjax: bool = False) -> Path:
    """A course root with _config.yml, _toc.yml and a tiny built site in _build/html."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "_config.yml").write_text("title: test\n", encoding="utf-8")
    (root / "_toc.yml").write_text(TOC, encoding="utf-8")
    site = root / "_build" / "html"
    for name, title in TITLES.items():
        lang = name.split("/")[1]
        other = "en" if lang == "bn" else "bn"
        (root / "chapters" / lang).mkdir(parents=True, exist_ok=True)
        link = "02-next.html#sec" if name.endswith("01-start") and lang == "bn" else "#sec"
        html = PAGE.format(
            title=title,
            lang=lang,
            other=other,
            name=Path(name).name,
            body=f"BODY OF {name}",
            link=link,
            link_text=f"LINK IN {name}",
        )
        path = site / f"{name}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    static = site / "_static"
    (static / "styles").mkdir(parents=True)
    (static / "styles" / "theme.css").write_text("body { color: #222; }\n", encoding="utf-8")
    (static / "course.css").write_text("p { margin: 0.5em 0; }\n", encoding="utf-8")
    (site / "_images").mkdir()
    if mathjax:
        shutil.copytree(REAL_MATHJAX, static / "mathjax")
    return site


# --- Assembly -------------------------------------------------------------------------------


def test_the_toc_gives_each_language_its_own_parts_in_order(tmp_path):
    make_site(tmp_path)
    bn = pdf.toc_parts(tmp_path / "_toc.yml", "bn")
    en = pdf.toc_parts(tmp_path / "_toc.yml", "en")
    assert [(p.caption, p.pages) for p in bn] == [
        ("অংশ ১ — শুরু", ["chapters/bn/01-start", "chapters/bn/02-next"])
    ]
    assert [(p.caption, p.pages) for p in en] == [("Part I — Start", ["chapters/en/01-start"])]


def test_the_real_toc_lists_every_chapter_of_each_language():
    for lang in LANGS:
        pages = [n for p in pdf.toc_parts(ROOT / "_toc.yml", lang) for n in p.pages]
        sources = sorted(
            f"chapters/{lang}/{p.stem}" for p in (ROOT / "chapters" / lang).glob("*.md")
        )
        assert sorted(pages) == sources


def assembled(tmp_path: Path, lang: str = "bn") -> BeautifulSoup:
    site = make_site(tmp_path)
    html, pages = pdf.assemble(site, tmp_path / "_toc.yml", lang)
    assert [p.title for p in pages] == [t for n, t in TITLES.items() if f"/{lang}/" in n]
    return BeautifulSoup(html, "html.parser")


def test_the_print_page_holds_the_articles_in_order_without_the_navigation(tmp_path):
    soup = assembled(tmp_path)
    text = soup.get_text(" ")
    assert text.index("BODY OF chapters/bn/01-start") < text.index("BODY OF chapters/bn/02-next")
    assert "BODY OF chapters/en" not in text
    for shown in ("hidden code", "cell output"):
        assert shown in text
    for hidden in ("SIDEBAR", "HEADER NAVIGATION", "TWIN LINK"):
        assert hidden not in text
    assert soup.html["lang"] == "bn" and soup.html["data-theme"] == "light"
    assert all(d.has_attr("open") for d in soup.find_all("details"))
    assert not soup.select("a.headerlink") and not soup.select("body script")


def test_the_table_of_contents_links_to_each_chapter(tmp_path):
    soup = assembled(tmp_path)
    toc = soup.select_one("nav.print-toc")
    assert toc.h1.get_text() == "সূচিপত্র"
    assert toc.h2.get_text() == "অংশ ১ — শুরু"
    links = toc.find_all("a")
    assert [a.get_text() for a in links] == [
        TITLES["chapters/bn/01-start"],
        TITLES["chapters/bn/02-next"],
    ]
    for a in links:
        target = soup.find(id=a["href"].removeprefix("#"))
        assert target is not None and "print-chapter" in target["class"]


def test_links_between_pages_stay_inside_the_pdf_and_ids_are_unique(tmp_path):
    soup = assembled(tmp_path)
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    for link in soup.find_all("a", href=True):
        href = link["href"]
        if href.startswith("#"):
            assert soup.find(id=href[1:]) is not None, f"{href} points nowhere"
        else:
            assert href.startswith("https://"), f"{href} leaves the PDF"
    cross = soup.find("a", string="LINK IN chapters/bn/01-start")
    assert cross["href"] == "#p1-sec"  # the second page's section
    assert soup.find(string=re.compile("index")) is not None  # kept as text, not as a link
    assert not soup.find("a", href=re.compile("genindex"))


def test_assets_are_addressed_from_the_site_root(tmp_path):
    soup = assembled(tmp_path)
    css = [link["href"] for link in soup.find_all("link", rel="stylesheet")]
    assert css == ["_static/styles/theme.css?digest=1", "_static/course.css?v=2"]
    scripts = [s["src"] for s in soup.head.find_all("script", src=True)]
    assert scripts == ["_static/mathjax/tex-chtml.js?v=3"]
    assert "window.MathJax" in str(soup.head)
    assert {img["src"] for img in soup.find_all("img")} == {"_images/figure.png"}


def test_print_rules_number_pages_in_the_language_digits(tmp_path):
    bn = assembled(tmp_path / "bn", "bn").style.get_text()
    en = assembled(tmp_path / "en", "en").style.get_text()
    assert "counter(page, bengali)" in bn and "counter(page, decimal)" in en
    assert "@bottom-center" in bn and "break-before: page" in bn


def test_a_missing_page_or_mathjax_is_reported(tmp_path):
    site = make_site(tmp_path)
    (site / "chapters" / "bn" / "02-next.html").unlink()
    with pytest.raises(pdf.PdfError, match="02-next.html is missing"):
        pdf.assemble(site, tmp_path / "_toc.yml", "bn")
    page = site / "chapters" / "en" / "01-start.html"
    page.write_text(re.sub(r"<script.*?</script>", "", page.read_text()), encoding="utf-8")
    with pytest.raises(pdf.PdfError, match="loads no MathJax"):
        pdf.assemble(site, tmp_path / "_toc.yml", "en")


def test_the_text_checks_find_raw_tex_and_missing_titles():
    # PDFium may put spaces inside a Bengali word; the titles are compared without spaces.
    text = "সূচি পত্র\n১. গ্রে ডি য়ে ন্ট ডি সে ন্টের শুরু\nx = y"
    assert pdf.missing_titles(text, [TITLES["chapters/bn/01-start"], "চেইন রুল"]) == ["চেইন রুল"]
    assert pdf.RAW_TEX.search("a $$\\frac{a}{b}$$") and pdf.RAW_TEX.search("\\(x\\)")
    assert not pdf.RAW_TEX.search("print('a\\nb'); 2 $ and $ 3; a / b")


# --- Printing the tiny site -----------------------------------------------------------------


@needs_chromium
@needs_mathjax
def test_the_command_prints_each_language_with_typeset_maths(tmp_path, capsys):
    site = make_site(tmp_path, mathjax=True)
    assert cli.main(["--root", str(tmp_path), "pdf"]) == 0
    printed = capsys.readouterr().out
    for lang in LANGS:
        path = tmp_path / "_build" / "pdf" / pdf.PDF_NAME.format(lang=lang)
        assert f"wrote {path}" in printed
        text = pdf.pdf_text(path)
        titles = [t for n, t in TITLES.items() if f"/{lang}/" in n]
        assert pdf.missing_titles(text, titles) == []
        assert "$$" not in text and "\\frac" not in text
        assert "cell output" in text and "hidden code" in text
        assert (site / "pdf" / path.name).read_bytes() == path.read_bytes()
    assert not [p for p in (tmp_path / "_build" / "pdf").iterdir() if p.name.startswith(".")]


@needs_chromium
def test_maths_that_was_not_typeset_stops_the_pdf(tmp_path, capsys):
    make_site(tmp_path)  # no MathJax in _static: the $$ block stays raw
    assert cli.main(["--root", str(tmp_path), "pdf", "--lang", "bn"]) == 2
    assert "raw TeX" in capsys.readouterr().err
    assert not (tmp_path / "_build" / "pdf" / "deep-learning-bn.pdf").exists()


# The real site's PDFs are checked in tests/test_book_build.py, after the book is built.
