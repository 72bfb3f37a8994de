"""One language per sidebar: on a chapter page the left navigation lists only the chapters and
parts of the page's language (the course's Sphinx extension filters the theme's navigation HTML),
while the landing page link and the twin link stay. The landing page lists both languages.

A tiny book (two Bengali and two English pages, the course's extension, no execution) is built
in a temporary folder with `jupyter-book build`, then its HTML is read; one test also opens it in
headless Chromium (skipped without the Debian package ``chromium``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from coursekit.authoring.chromium import dump_dom, serve

TITLES = {
    "bn": {"01-first": "১. প্রথম অধ্যায়: গ্রেডিয়েন্ট", "02-second": "২. দ্বিতীয় অধ্যায়: টেনসর"},
    "en": {"01-first": "1. First chapter: gradients", "02-second": "2. Second chapter: tensors"},
}
CAPTIONS = {"bn": "বাংলা: অংশ ১ — শুরু", "en": "English: Part I — Beginnings"}
LANDING_TITLE = "Tiny course · ছোট কোর্স"
OTHER = {"bn": "en", "en": "bn"}

CONFIG = """\
title: "{title}"
author: "Tests"
only_build_toc_files: true
execute:
  execute_notebooks: "off"
html:
  home_page_in_navbar: true
sphinx:
  extra_extensions:
    - coursekit.authoring.sphinxext
"""


def write_book(root: Path, config: str = CONFIG) -> None:
    (root / "_config.yml").write_text(config.format(title=LANDING_TITLE), encoding="utf-8")
    toc = ["format: jb-book", "root: index", "parts:"]
    for lang in ("bn", "en"):
        toc += [f'  - caption: "{CAPTIONS[lang]}"', "    chapters:"]
        folder = root / "chapters" / lang
        folder.mkdir(parents=True)
        for name, title in TITLES[lang].items():
            toc.append(f"      - file: chapters/{lang}/{name}.md")
            body = f"# {title}\n\nText of {name} ({lang}).\n\n## A section\n\nMore text.\n"
            (folder / f"{name}.md").write_text(body, encoding="utf-8")
    (root / "_toc.yml").write_text("\n".join(toc) + "\n", encoding="utf-8")
    (root / "index.md").write_text(f"# {LANDING_TITLE}\n\nWelcome.\n", encoding="utf-8")


def build_book(root: Path) -> Path:
    """`jupyter-book build -W` on the book in ``root``; its HTML folder."""
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(root), "-W", "-n", "--keep-going"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return root / "_build" / "html"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny-book")
    write_book(root)
    return build_book(root)


def soup_of(site: Path, page: str) -> BeautifulSoup:
    return BeautifulSoup((site / page).read_text(encoding="utf-8"), "html.parser")


def sidebar_text(soup: BeautifulSoup) -> str:
    nav = soup.select_one("nav.bd-docs-nav")
    assert nav is not None, "the page has no sidebar navigation"
    return " ".join(nav.get_text(" ").split())


def chapter_pages(lang: str) -> list[str]:
    return [f"chapters/{lang}/{name}.html" for name in TITLES[lang]]


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_chapter_sidebar_holds_its_own_language_only(site, lang):
    for page in chapter_pages(lang):
        text = sidebar_text(soup_of(site, page))
        for title in TITLES[lang].values():
            assert title in text, f"{page}: its own chapter {title!r} is missing from the sidebar"
        assert CAPTIONS[lang] in text, f"{page}: its part's caption is missing"
        for title in TITLES[OTHER[lang]].values():
            assert title not in text, f"{page}: the sidebar lists {title!r} (other language)"
        assert CAPTIONS[OTHER[lang]] not in text, f"{page}: the other language's part shows"


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_landing_page_and_twin_stay_reachable(site, lang):
    for page in chapter_pages(lang):
        soup = soup_of(site, page)
        home = soup.select_one("nav.bd-docs-nav a[href$='index.html']")
        assert home is not None, f"{page}: no link to the landing page in the sidebar"
        assert LANDING_TITLE in home.get_text(), f"{page}: the landing page link is not titled"
        twin = soup.select_one("p.twin-link a")
        name = Path(page).name
        assert twin is not None and twin["href"].startswith(f"../{OTHER[lang]}/{name}"), page


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_chapter_pages_declare_their_language(site, lang):
    """Screen readers and search engines read a chapter page in its own language."""
    for name in TITLES[lang]:
        html = soup_of(site, f"chapters/{lang}/{name}.html").find("html")
        assert html["lang"] == lang, f"chapters/{lang}/{name}.html: <html lang={html['lang']!r}>"
    assert soup_of(site, "index.html").find("html")["lang"] == "bn"


def test_sidebar_lists_are_marked_with_the_page_language(site):
    for lang in ("bn", "en"):
        nav = soup_of(site, chapter_pages(lang)[0]).select_one("nav.bd-docs-nav")
        lists = [ul for ul in nav.select("ul") if "bd-sidenav__home-link" not in ul["class"]]
        assert lists and all(ul.find_parent(lang=lang) or ul.get("lang") == lang for ul in lists)


def test_landing_page_sidebar_shows_both_languages(site):
    text = sidebar_text(soup_of(site, "index.html"))
    for lang in ("bn", "en"):
        assert CAPTIONS[lang] in text
        for title in TITLES[lang].values():
            assert title in text, f"the landing page's sidebar misses {title!r}"


def test_next_and_previous_links_stay_in_the_language(site):
    """The last Bengali chapter is followed by the first English one in the table of contents;
    its "next" link (and that one's "previous" link) would cross languages."""
    last_bn = soup_of(site, "chapters/bn/02-second.html")
    assert last_bn.select_one("a.right-next") is None
    assert last_bn.select_one("a.left-prev")["href"] == "01-first.html"
    first_en = soup_of(site, "chapters/en/01-first.html")
    assert first_en.select_one("a.left-prev") is None
    assert first_en.select_one("a.right-next")["href"] == "02-second.html"


# --- In a browser ---------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium is not installed")
def test_sidebar_in_the_browser_holds_one_language(site, tmp_path):
    with serve(site) as base:
        for lang in ("bn", "en"):
            page = chapter_pages(lang)[1]
            dom = dump_dom(base + page, tmp_path / lang, budget_ms=5000)
            soup = BeautifulSoup(dom, "html.parser")
            text = " ".join(nav.get_text(" ") for nav in soup.select("nav.bd-docs-nav"))
            assert TITLES[lang]["01-first"] in text, f"{page}: Chromium shows no sidebar"
            for title in TITLES[OTHER[lang]].values():
                assert title not in text, f"{page}: the browser's sidebar shows {title!r}"


def test_the_sitemap_lists_every_page_after_an_incremental_build(tmp_path):
    """sphinx-sitemap lists only the pages a build writes; the course's extension completes it,
    so a rebuild after editing one chapter still publishes every page."""
    sitemap_config = (
        "    - sphinx_sitemap\n"
        "  config:\n"
        '    html_baseurl: "https://example.org/course/"\n'
        '    sitemap_url_scheme: "{{link}}"\n'
        '    sitemap_excludes: ["search.html", "genindex.html"]\n'
    )
    write_book(tmp_path, CONFIG + sitemap_config)

    def build_and_read() -> set[str]:
        sitemap = (build_book(tmp_path) / "sitemap.xml").read_text(encoding="utf-8")
        return set(re.findall(r"<loc>https://example.org/course/([^<]+)</loc>", sitemap))

    every_page = {"index.html"} | {
        f"chapters/{lang}/{name}.html" for lang in TITLES for name in TITLES[lang]
    }
    assert build_and_read() == every_page
    page = tmp_path / "chapters" / "bn" / "02-second.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nএকটি নতুন বাক্য।\n", encoding="utf-8")
    assert build_and_read() == every_page
