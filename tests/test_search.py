"""The site's search (coursekit.authoring.search): Bengali words stay whole in the index and the
query, English words are stemmed, the chapter named after a word comes first, snippets highlight
whole words and each result is marked with its language.

The browser tests build a tiny book (a few Bengali and English pages with the course's extension)
in a temporary folder and search it in headless Chromium (the Debian package ``chromium``);
without Chromium they are skipped, saying so. The same checks on the real site are in
tests/test_book_build.py.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

from coursekit.authoring.chromium import dump_dom, serve
from coursekit.authoring.search import SearchBengaliEnglish

# --- The splitter and the stemmer ----------------------------------------------------------


@pytest.fixture(scope="module")
def language() -> SearchBengaliEnglish:
    return SearchBengaliEnglish({})


@pytest.mark.parametrize(
    "word",
    [
        "গ্রেডিয়েন্ট",  # virama, vowel signs, nukta
        "ব্যাকপ্রোপাগেশন",  # o-kar (U+09CB)
        "জ্যাকোবিয়ান",
        "কনভোলিউশন",
        "টেনসর",
        "এপক",
        "চাঁদ",  # chandrabindu (U+0981)
        "সংখ্যা",  # anusvara (U+0982)
        "দুঃখ",  # visarga (U+0983)
        "বৌ",  # au length mark (U+09D7), decomposed
        "র\u200d্যাম",  # zero-width joiner (ra-phala)
    ],
)
def test_bengali_words_stay_whole(language, word):
    assert language.split(f"({word}), {word}। {word}") == [word] * 3


def test_a_sentence_splits_into_its_words(language):
    text = "৩. জ্যাকোবিয়ান, ভেক্টর চেইন রুল ও মাল্টি-স্টেজ গ্রাফ: PyTorch-এর autograd_fn()"
    assert language.split(text) == [
        "৩",
        "জ্যাকোবিয়ান",
        "ভেক্টর",
        "চেইন",
        "রুল",
        "ও",
        "মাল্টি",
        "স্টেজ",
        "গ্রাফ",
        "PyTorch",
        "এর",
        "autograd_fn",
    ]


def test_english_words_are_lowercased_and_stemmed_as_sphinx_does(language):
    from sphinx.search.en import SearchEnglish

    english = SearchEnglish({})
    for word in ["Gradients", "Jacobians", "convolutions", "Backpropagation", "training"]:
        assert language.stem(word) == english.stem(word)
    assert language.stem("Gradients") == "gradient"
    assert language.split("Gradient-descent, Jacobians!") == ["Gradient", "descent", "Jacobians"]


def test_bengali_words_are_not_stemmed_only_normalised(language):
    assert language.stem("গ্রেডিয়েন্টগুলো") == "গ্রেডিয়েন্টগুলো"
    precomposed = "গ্রেডি\u09dfেন্ট"  # য় as one character
    assert language.stem(precomposed) == unicodedata.normalize("NFC", precomposed)
    assert language.stem(precomposed) == language.stem("গ্রেডিয়েন্ট")
    assert language.stem("র\u200d্যাম") == "র্যাম"


def test_the_javascript_splitter_uses_the_same_characters():
    from coursekit.authoring import search

    assert search.BENGALI_MARKS in search.JS_SPLITTER
    assert "var splitQuery" in search.JS_SPLITTER  # replaces Sphinx's default
    assert "var Stemmer" in search.JS_STEMMER


# --- A tiny book, built and searched in Chromium -------------------------------------------

# Each chapter: (file name, Bengali title, English title). The word searched for is in its
# chapter's title and in other pages' section headings and text, so the chapter named after it
# must come first. The credits page holds most words in section headings: its title sorts before
# the chapters', the order Sphinx falls back on when scores are equal.
BN_TERMS = {
    "গ্রেডিয়েন্ট": "01-gradient-descent",
    "ব্যাকপ্রোপাগেশন": "02-chain-rule",
    "জ্যাকোবিয়ান": "03-jacobians",
    "কনভোলিউশন": "04-convolution",
    "টেনসর": "05-tensors",
    "এপক": "06-training",
}
EN_TERMS = {"gradients": "01-gradient-descent", "jacobians": "03-jacobians"}

CHAPTERS = [
    ("01-gradient-descent", "১. লস এবং গ্রেডিয়েন্ট ডিসেন্ট", "1. Loss and gradient descent"),
    ("02-chain-rule", "২. চেইন রুল ও ব্যাকপ্রোপাগেশন", "2. The chain rule and backpropagation"),
    ("03-jacobians", "৩. জ্যাকোবিয়ান ও ভেক্টর চেইন রুল", "3. Jacobians and the vector chain rule"),
    ("04-convolution", "৪. কনভোলিউশন ও ফিল্টার", "4. Convolution and filters"),
    ("05-tensors", "৫. টেনসর ও অ্যারে", "5. Tensors and arrays"),
    ("06-training", "৬. এপক ও ট্রেনিং লুপ", "6. Epochs and the training loop"),
]

BN_TEXT = """
একটি মডেল প্রতিটি এপকে ডেটা দেখে। টেনসরের আকার বদলায়, গ্রেডিয়েন্টগুলো জমা হয়। চেইন রুল দিয়ে
ব্যাকপ্রোপাগেশন চলে; জ্যাকোবিয়ানের সারি আর কলাম গোনা যায়। কনভোলিউশনাল নেটওয়ার্কে ফিল্টার সরে।
ছোট শব্দ: ক, গ, র, ন, ট, য, ব, প, শ, জ, ভ, ল, স, ম, এ। নেটওয়ার্ক শেখে, রেট কমে, ডেটা বদলায়।
"""
EN_TEXT = """
A model sees the data once per epoch. Tensors change shape; gradients add up. The chain rule
runs backpropagation; a Jacobian has rows and columns. A convolutional network slides filters.
"""


def _chapter_md(lang: str, name: str, title: str) -> str:
    others = [c for c in CHAPTERS if c[0] != name]
    if lang == "bn":
        # a section heading that holds the next chapter's word: a title match, not the page's
        heading = others[0][1].split(". ", 1)[1]
        return f"# {title}\n\n{BN_TEXT}\n\n## {heading}\n\n{BN_TEXT}\n"
    heading = others[0][2].split(". ", 1)[1]
    return f"# {title}\n\n{EN_TEXT}\n\n## {heading}\n\n{EN_TEXT}\n"


def _credits_md(lang: str) -> str:
    pick = 1 if lang == "bn" else 2
    title = "কৃতজ্ঞতা" if lang == "bn" else "Credits"
    text = BN_TEXT if lang == "bn" else EN_TEXT
    sections = "\n".join(f"## {c[pick].split('. ', 1)[1]}\n\n{text}\n" for c in CHAPTERS)
    return f"# {title}\n\n{text}\n\n{sections}"


def make_book(folder: Path, config: str = "") -> Path:
    """A tiny book with the course's extension: Bengali and English chapters and credits."""
    (folder / "chapters" / "bn").mkdir(parents=True)
    (folder / "chapters" / "en").mkdir(parents=True)
    toc = ["format: jb-book", "root: index", "parts:"]
    for lang, pick in (("bn", 1), ("en", 2)):
        toc += [f'  - caption: "{lang}"', "    chapters:"]
        for name, *titles in CHAPTERS:
            (folder / "chapters" / lang / f"{name}.md").write_text(
                _chapter_md(lang, name, titles[pick - 1]), encoding="utf-8"
            )
            toc.append(f"      - file: chapters/{lang}/{name}.md")
        (folder / "chapters" / lang / "credits.md").write_text(_credits_md(lang), "utf-8")
        toc.append(f"      - file: chapters/{lang}/credits.md")
    (folder / "_toc.yml").write_text("\n".join(toc) + "\n", encoding="utf-8")
    # The landing page holds none of the words searched for, only letters of them.
    letters = "ক, গ, র, ড, ন, ট, য, ব, প, শ, জ, ভ, ল, স, ম, এ"
    (folder / "index.md").write_text(f"# বই · Book\n\nসূচনা: {letters}। Introduction.\n", "utf-8")
    (folder / "_config.yml").write_text(
        "title: বই\n"
        "only_build_toc_files: true\n"
        "execute:\n  execute_notebooks: 'off'\n"
        "sphinx:\n"
        "  extra_extensions:\n    - coursekit.authoring.sphinxext\n"
        f"  config:\n    html_show_sourcelink: false\n{config}",
        encoding="utf-8",
    )
    return folder


def build_book(folder: Path) -> Path:
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    result = subprocess.run(
        [str(jupyter_book), "build", str(folder), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    html = folder / "_build" / "html"
    assert result.returncode == 0 and (html / "search.html").is_file(), (
        result.stdout[-3000:] + result.stderr[-3000:]
    )
    return html


# The checks, shared with tests/test_book_build.py. ------------------------------------------


needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it",
)


@dataclass
class Result:
    page: str  # the result's page, relative to the site: chapters/bn/01-x.html
    highlights: list[str]  # the highlighted spans of its snippet
    language_mark: str | None  # the lang of the mark beside it


def search(base: str, term: str, profile: Path) -> list[Result]:
    """Search the site served at ``base`` for ``term`` in headless Chromium: the results."""
    url = f"{base}search.html?q={quote(term)}"
    dom = dump_dom(url, profile, budget_ms=20000)
    soup = BeautifulSoup(dom, "html.parser")
    status = soup.select_one("#search-results .search-summary")
    assert status is not None and status.get_text(strip=True), f"no search ran for {term}"
    results = []
    for item in soup.select("#search-results ul.search > li"):
        link = item.find("a", href=True)
        page = urlparse(urljoin(url, link["href"])).path.removeprefix(urlparse(base).path)
        mark = item.select_one(".course-search-lang")
        results.append(
            Result(
                page=page,
                highlights=[s.get_text() for s in item.select("span.highlighted")],
                language_mark=mark.get("lang") if mark else None,
            )
        )
    return results


def page_text(site: Path, page: str) -> str:
    soup = BeautifulSoup((site / page).read_text("utf-8"), "html.parser")
    # the page's own text (the theme's article), without the links to the previous and next page
    main = soup.select_one("article") or soup.select_one('[role="main"]') or soup
    for tag in main(["script", "style"]):
        tag.decompose()
    return main.get_text(" ")


def page_title(site: Path, page: str) -> str:
    soup = BeautifulSoup((site / page).read_text("utf-8"), "html.parser")
    heading = soup.select_one('[role="main"] h1') or soup.find("h1")
    return heading.get_text(" ").replace("#", "")


def search_problems(site: Path, term: str, results: list[Result]) -> list[str]:
    """What is wrong with ``results``, found on ``site`` for ``term``: a result page without the
    word (for an English word, without its stem), a page whose title holds the word after one
    whose title does not, a highlighted span shorter than the word, a chapter result without the
    mark of its language."""
    language = SearchBengaliEnglish({})
    if not results:
        return [f"{term}: no results"]
    bengali = bool(re.search("[\u0980-\u09ff]", term))
    needle = term if bengali else language.stem(term)
    problems = []
    titled = []
    for rank, result in enumerate(results):
        text = unicodedata.normalize("NFC", page_text(site, result.page)).lower()
        if needle not in text:
            problems.append(f"{term}: result {rank + 1} {result.page} does not contain {needle}")
        title_words = {language.stem(w) for w in language.split(page_title(site, result.page))}
        titled.append(language.stem(term) in title_words)
        short = [h for h in result.highlights if len(h) < len(term)]
        if short:
            problems.append(f"{term}: {result.page} highlights {short[:5]}, shorter than the word")
        match = re.match(r"chapters/(bn|en)/", result.page)
        if match and result.language_mark != match[1]:
            problems.append(f"{term}: {result.page} is not marked as {match[1]}")
    if any(titled) and not titled[0]:
        problems.append(f"{term}: first result {results[0].page}; its title lacks the word")
    if any(titled) and titled != sorted(titled, reverse=True):
        problems.append(f"{term}: a page titled with the word comes after one that is not")
    return problems


# --- The tests on the tiny book --------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_site(tmp_path_factory) -> Path:
    return build_book(make_book(tmp_path_factory.mktemp("book")))


@pytest.fixture(scope="module")
def tiny_server(tiny_site):
    with serve(tiny_site) as base:
        yield base


def test_the_tiny_book_uses_the_course_search(tiny_site):
    data = (tiny_site / "_static" / "language_data.js").read_text("utf-8")
    assert "var splitQuery" in data and "docTitle" in data
    index = (tiny_site / "searchindex.js").read_text("utf-8")
    index = json.loads(index.removeprefix("Search.setIndex(").removesuffix(")"))
    terms = {**index["terms"], **index["titleterms"]}
    assert "গ্রেডিয়েন্টগুলো" in terms and "গ্রেডিয়েন্ট" in terms and "gradient" in terms
    assert "গ" in terms and "র" in terms  # one-letter words of the text, not fragments
    assert "গ্র" not in terms and "ডি" not in terms


@needs_chromium
@pytest.mark.parametrize("term", [*BN_TERMS, *EN_TERMS])
def test_search_finds_whole_words_and_the_chapter_named_after_them(
    tiny_site, tiny_server, tmp_path, term
):
    results = search(tiny_server, term, tmp_path)
    problems = search_problems(tiny_site, term, results)
    assert not problems, "\n".join(problems)
    lang = "bn" if term in BN_TERMS else "en"
    expected = {**BN_TERMS, **EN_TERMS}[term]
    assert results[0].page == f"chapters/{lang}/{expected}.html", [r.page for r in results]
    if lang == "bn":  # an English snippet may show another form of the word (Sphinx's way)
        assert term in results[0].highlights, f"{term}: not highlighted in the first snippet"


@pytest.fixture(scope="module")
def default_site(tmp_path_factory) -> Path:
    """The tiny book searched with Sphinx's English search language (its splitter)."""
    config = "    html_search_language: en\n"
    folder = make_book(tmp_path_factory.mktemp("default-book"), config)
    site = build_book(folder)
    assert "var splitQuery" not in (site / "_static" / "language_data.js").read_text("utf-8")
    return site


@needs_chromium
@pytest.mark.parametrize("term", ["গ্রেডিয়েন্ট", "জ্যাকোবিয়ান"])
def test_the_checks_fail_with_sphinx_default_splitter(default_site, tmp_path, term):
    with serve(default_site) as base:
        results = search(base, term, tmp_path)
    problems = search_problems(default_site, term, results)
    assert any("does not contain" in p for p in problems), problems
    assert any("shorter than the word" in p for p in problems), problems


@needs_chromium
def test_english_search_stems_and_finds_both_forms(tiny_server, tmp_path):
    pages = {r.page for r in search(tiny_server, "gradient", tmp_path)}
    assert "chapters/en/01-gradient-descent.html" in pages  # "gradients" in the text, too
    assert pages == {r.page for r in search(tiny_server, "Gradients", tmp_path / "again")}
