"""The website builds with `jupyter-book build -W` (no warnings) and carries what readers need:
links to each chapter's twin, a Colab button on every chapter, maths that renders offline and the
bundled Bengali font."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coursekit import book

# One worker builds the book once for every test in this module.
pytestmark = pytest.mark.xdist_group("book-build")

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"


def test_book_builds_without_warnings(build):
    if build.returncode != 0:
        log = re.sub(r"\x1b\[[0-9;]*m", "", build.stdout + build.stderr).splitlines()
        problems = [line for line in log if re.search(r"(WARNING|ERROR|CRITICAL):", line)]
        pytest.fail(
            "jupyter-book build -W failed:\n" + "\n".join(problems[:40] or log[-60:]),
            pytrace=False,
        )
    assert (HTML / "index.html").is_file()


def chapter_pages() -> list[str]:
    return [str(p.relative_to(ROOT).with_suffix("")) for p in book.chapter_sources(ROOT)]


@pytest.mark.parametrize("page", chapter_pages())
def test_chapter_page_links_to_its_twin(built_site, page):
    html = (built_site / f"{page}.html").read_text(encoding="utf-8")
    twin_name = Path(page).name
    match = re.search(r'<p class="twin-link">\s*<a[^>]*href="([^"]+)"', html)
    assert match, f"{page}.html has no link to its twin"
    assert match.group(1).startswith(f"../{'en' if '/bn/' in page else 'bn'}/{twin_name}.html")
    lang = "bn" if "/bn/" in page else "en"
    assert f'<div lang="{lang}"' in html, f"{page}.html is not marked lang={lang}"


@pytest.mark.parametrize(
    "page", [p for p in chapter_pages() if book.is_notebook_source(ROOT / f"{p}.md")]
)
def test_notebook_page_has_a_colab_button_for_its_ipynb(built_site, page):
    html = (built_site / f"{page}.html").read_text(encoding="utf-8")
    repo = book.repository_url(ROOT).removeprefix("https://github.com/")
    expected = f"https://colab.research.google.com/github/{repo}/blob/main/{page}.ipynb"
    assert expected in html, f"{page}.html has no Colab button opening {page}.ipynb"


def test_maths_renders_offline(built_site):
    html = (built_site / "chapters" / "en" / "01-gradient-descent.html").read_text("utf-8")
    scripts = re.findall(r'<script[^>]+src="([^"]*mathjax[^"]*)"', html, flags=re.I)
    assert scripts, "no MathJax script on the chapter page"
    for src in scripts:
        assert not src.startswith(("http:", "https:", "//")), f"MathJax loads from {src}"
        assert (built_site / "chapters" / "en" / src.split("?")[0]).resolve().is_file(), src


def test_bengali_font_ships_with_the_site(built_site):
    static = built_site / "_static"
    assert (static / "NotoSansBengali-Regular.ttf").is_file()
    assert (static / "NotoSansBengali-Bold.ttf").is_file()
    css = (static / "course.css").read_text(encoding="utf-8")
    assert "Course Bengali" in css and "NotoSansBengali-Regular.ttf" in css
    html = (built_site / "chapters" / "bn" / "01-gradient-descent.html").read_text("utf-8")
    assert "_static/course.css" in html


def test_bengali_pages_label_code_toggles_in_bengali(built_site):
    html = (built_site / "chapters" / "bn" / "01-gradient-descent.html").read_text("utf-8")
    assert "কোড দেখান" in html and "Show code cell" not in html
