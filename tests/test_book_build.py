"""The website builds with `jupyter-book build -W` (no warnings) and carries what readers need:
links to each chapter's twin, a Colab button on every chapter, maths that renders offline and the
bundled Bengali font.

Then the built site is opened page by page in headless Chromium, served from localhost: no broken
internal link (file and anchor); maths typeset by MathJax (its output in the DOM, no raw ``\\(``);
no raw MyST directive text; every chapter page has its Colab button (notebook pages) and the link
to its twin. Screenshots of a few Bengali pages are saved to ``_build/screenshots/``. Chromium
comes from the Debian package ``chromium`` (``.ci/run`` installs it); without it those tests are
skipped, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest
from bs4 import BeautifulSoup

from coursekit.authoring import book
from coursekit.authoring.chromium import HEADLESS_FLAGS, serve

# Every test that needs the built site lives in this module, so that one test worker builds
# the book once (the Makefile distributes tests by file).

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


LOG_NOISE = re.compile(
    r"oneDNN custom operations|absl::InitializeLog|cuda_(?:dnn|blas|fft)|"
    r"tensorflow/core/|computation placer|Unable to register|TF-TRT Warning|^[IWE]\d{4} ",
    flags=re.M,
)


@pytest.mark.parametrize(
    "page", [p for p in chapter_pages() if book.is_notebook_source(ROOT / f"{p}.md")]
)
def test_notebook_pages_show_no_stderr_or_library_log_lines(built_site, page):
    soup = BeautifulSoup((built_site / f"{page}.html").read_text("utf-8"), "html.parser")
    stderr = [div.get_text()[:300] for div in soup.select("div.output.stderr")]
    assert not stderr, f"{page}.html shows stderr output (silence it in the notebook): {stderr}"
    noise = LOG_NOISE.search(soup.get_text())
    assert not noise, f"{page}.html shows a library log line: {noise.group(0)!r}"


def test_bengali_pages_label_code_toggles_in_bengali(built_site):
    html = (built_site / "chapters" / "bn" / "01-gradient-descent.html").read_text("utf-8")
    assert "কোড দেখান" in html and "Show code cell" not in html


# --- The site in a real browser ------------------------------------------------------------

needs_chromium = pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="Chromium is not installed (Debian: apt-get install chromium); .ci/run installs it",
)

SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM_FLAGS = [*HEADLESS_FLAGS, "--virtual-time-budget=15000"]
RAW_MYST = re.compile(r"```\{|:::\{|\{code-cell\}|\{doc\}`|\{ref\}`|\{math\}`")
SKIP_PAGES = {"genindex.html", "search.html"}


@pytest.fixture(scope="module")
def server(built_site):
    with serve(built_site) as base:
        yield base


def chromium(args: list[str], tmp: Path) -> str:
    result = subprocess.run(
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={tmp}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    return result.stdout


@pytest.fixture(scope="module")
def pdfs(built_site) -> Path:
    """The offline edition, printed from the built site as `make pdf` does: _build/pdf, and a
    copy in the site's pdf/ folder, where the landing page links to it."""
    if shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    from coursekit.authoring import pdf

    pdf.build_all(ROOT)
    return ROOT / "_build" / "pdf"


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_the_pdf_holds_every_chapter_title_and_no_raw_tex(pdfs, built_site, lang):
    from coursekit.authoring import pdf

    text = pdf.pdf_text(pdfs / pdf.PDF_NAME.format(lang=lang))
    names = [n for part in pdf.toc_parts(ROOT / "_toc.yml", lang) for n in part.pages]
    titles = [pdf.read_page(built_site, name).title for name in names]
    assert len(titles) >= 16
    assert pdf.missing_titles(text, titles) == []
    raw = pdf.RAW_TEX.search(text)
    assert raw is None, f"raw TeX in the {lang} PDF: {text[raw.start() - 80 : raw.end() + 80]!r}"
    assert (built_site / "pdf" / pdf.PDF_NAME.format(lang=lang)).is_file()


@pytest.fixture(scope="module")
def pages(built_site, server, pdfs, tmp_path_factory) -> dict[str, str]:
    """Every content page's DOM after its scripts (MathJax included) have run (the PDFs are
    printed first: the landing page links to them)."""
    names = sorted(
        str(p.relative_to(built_site))
        for p in built_site.rglob("*.html")
        if p.name not in SKIP_PAGES and not p.relative_to(built_site).parts[0].startswith("_")
    )

    # One browser profile per page; made with tempfile, which is safe across the threads below
    # (tmp_path_factory is not).
    profiles = tmp_path_factory.mktemp("chromium-profiles")

    def dump(name: str) -> tuple[str, str]:
        profile = Path(tempfile.mkdtemp(dir=profiles))
        return name, chromium(["--dump-dom", server + name], profile)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(dump, names))


def visible_text(dom: str) -> str:
    soup = BeautifulSoup(dom, "html.parser")
    for tag in soup(["script", "style", "mjx-container", "pre", "code", "textarea"]):
        tag.decompose()
    return soup.get_text(" ")


@needs_chromium
def test_every_page_was_rendered(pages):
    empty = [name for name, dom in pages.items() if "<body" not in dom]
    assert not empty, f"Chromium returned no page for {empty}"
    assert "index.html" in pages


@needs_chromium
def test_no_broken_internal_links(pages, built_site):
    broken = []
    for name, dom in pages.items():
        base = "http://site/" + name
        for a in BeautifulSoup(dom, "html.parser").find_all("a", href=True):
            url = urlparse(urljoin(base, a["href"]))
            if url.netloc != "site":
                continue  # external (Colab, GitHub, references)
            target = built_site / unquote(url.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{name}: {a['href']} (no file)")
                continue
            if url.fragment and target.suffix == ".html":
                html = target.read_text(encoding="utf-8")
                if f'id="{url.fragment}"' not in html:
                    broken.append(f"{name}: {a['href']} (no anchor #{url.fragment})")
    assert not broken, "broken internal links:\n" + "\n".join(sorted(set(broken))[:40])


@needs_chromium
def test_maths_is_typeset_and_no_directive_text_shows(pages):
    problems = []
    for name, dom in pages.items():
        has_maths = 'class="math' in dom or "mjx-container" in dom
        text = visible_text(dom)
        if has_maths and "mjx-container" not in dom:
            problems.append(f"{name}: maths present but MathJax produced no output")
        if re.search(r"\\\(|\\\[", text):
            problems.append(f"{name}: raw maths delimiters visible")
        match = RAW_MYST.search(text)
        if match:
            problems.append(f"{name}: raw MyST text visible: {match.group(0)!r}")
    assert not problems, "\n".join(problems)


def chapter_page_names(pages) -> list[str]:
    return [n for n in pages if re.match(r"chapters/(bn|en)/[^/]+\.html$", n)]


@needs_chromium
def test_chapter_pages_have_twin_links_and_colab_buttons(pages):
    repo = book.repository_url(ROOT).removeprefix("https://github.com/")
    problems = []
    for name in chapter_page_names(pages):
        soup = BeautifulSoup(pages[name], "html.parser")
        lang, page = name.split("/")[1], Path(name).stem
        twin = soup.select_one("p.twin-link a")
        other = "en" if lang == "bn" else "bn"
        if twin is None or not twin["href"].startswith(f"../{other}/{page}.html"):
            problems.append(f"{name}: no link to its twin chapters/{other}/{page}.html")
        if book.is_notebook_source(ROOT / "chapters" / lang / f"{page}.md"):
            colab = f"https://colab.research.google.com/github/{repo}/blob/main/chapters/{lang}/{page}.ipynb"
            if not soup.find("a", href=colab):
                problems.append(f"{name}: no Colab button for {page}.ipynb")
    assert chapter_page_names(pages), "no chapter pages found"
    assert not problems, "\n".join(problems)


@needs_chromium
def test_screenshots_of_bengali_pages(built_site, server, tmp_path):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    chosen = sorted(p.name for p in (built_site / "chapters" / "bn").glob("*.html"))[:3]
    for name in ["index.html", *(f"chapters/bn/{n}" for n in chosen)]:
        png = SCREENSHOTS / (name.replace("/", "_").removesuffix(".html") + ".png")
        chromium(["--window-size=1280,2400", f"--screenshot={png}", server + name], tmp_path)
        assert png.is_file() and png.stat().st_size > 20_000, f"no screenshot of {name}"


def chapter_titles(lang: str) -> list[str]:
    """The first heading of each numbered chapter, chapters/<lang>/NN-*.md."""
    titles = []
    for path in sorted((ROOT / "chapters" / lang).glob("[0-9][0-9]-*.md")):
        match = re.search(r"^# (.+)$", path.read_text(encoding="utf-8"), flags=re.M)
        assert match, f"{path} has no title"
        titles.append(match.group(1).strip())
    return titles


def sidebar_problems(name: str, dom: str, titles: dict[str, list[str]]) -> list[str]:
    """What is wrong with chapter page ``name``'s left navigation: the other language's chapter
    titles in it, its own language's missing, no link to the landing page."""
    lang = name.split("/")[1]
    other = "en" if lang == "bn" else "bn"
    navs = BeautifulSoup(dom, "html.parser").select("nav.bd-docs-nav")
    if not navs:
        return [f"{name}: no sidebar navigation"]
    text = " ".join(" ".join(nav.get_text(" ").split()) for nav in navs)
    problems = [f"{name}: the sidebar lists {t!r}" for t in titles[other] if t in text]
    problems += [f"{name}: the sidebar misses {t!r}" for t in titles[lang] if t not in text]
    if not any(nav.select_one("a[href$='index.html']") for nav in navs):
        problems.append(f"{name}: no link to the landing page in the sidebar")
    return problems


@needs_chromium
def test_chapter_sidebars_hold_one_language(pages):
    titles = {lang: chapter_titles(lang) for lang in ("bn", "en")}
    assert titles["bn"] and titles["en"], "no chapter titles found"
    problems = []
    for name in chapter_page_names(pages):
        problems += sidebar_problems(name, pages[name], titles)
    assert chapter_page_names(pages), "no chapter pages found"
    assert not problems, "\n".join(problems[:40])


# The site's search (tests/test_search.py holds the same checks on a tiny book). Each Bengali
# word: the chapter whose title holds it comes first (title holders before all others); for a
# word no chapter title holds (টেনসর, এপক), every result still holds the word.
SEARCH_TERMS_BN = [
    "গ্রেডিয়েন্ট",
    "ব্যাকপ্রোপাগেশন",
    "কনভোলিউশন",
    "জ্যাকোবিয়ান",
    "টেনসর",
    "এপক",
    "কম্পিউটেশনাল",
    "সিস্টোলিক",
    "সেপারেবল",
]
SEARCH_TERMS_EN = ["jacobians", "backpropagation"]


def _titled_chapters(term: str) -> set[str]:
    """The chapter pages whose first line (``# title``) holds ``term``, as a word."""
    from coursekit.authoring.search import SearchBengaliEnglish

    language = SearchBengaliEnglish({})
    found = set()
    for source in book.chapter_sources(ROOT):
        title = source.read_text(encoding="utf-8").split("\n# ", 1)[-1].split("\n", 1)[0]
        if language.stem(term) in {language.stem(w) for w in language.split(title)}:
            found.add(str(source.relative_to(ROOT).with_suffix(".html")))
    return found


def test_six_bengali_search_terms_name_a_chapter():
    assert len([t for t in SEARCH_TERMS_BN if _titled_chapters(t)]) >= 6
    assert _titled_chapters("জ্যাকোবিয়ান") == {"chapters/bn/03-jacobians.html"}


@needs_chromium
@pytest.mark.parametrize("term", SEARCH_TERMS_BN + SEARCH_TERMS_EN)
def test_search_finds_whole_words_and_the_chapter_named_after_them(
    built_site, server, tmp_path, term
):
    from test_search import search, search_problems

    results = search(server, term, tmp_path)
    problems = search_problems(built_site, term, results)
    assert not problems, "\n".join(problems[:40])
    titled = _titled_chapters(term)
    if titled:
        assert results[0].page in titled, f"{term}: first {results[0].page}, expected {titled}"


def test_pages_carry_descriptions_and_open_graph_metadata_in_their_language(built_site):
    """Link previews and search engines: each chapter page describes itself in its language."""
    for lang, locale, script in (("bn", "bn_BD", "[\u0980-\u09ff]"), ("en", "en_US", "[A-Za-z]")):
        html = (built_site / "chapters" / lang / "01-gradient-descent.html").read_text("utf-8")
        soup = BeautifulSoup(html, "html.parser")
        meta = {
            tag.get("property") or tag.get("name"): tag.get("content", "")
            for tag in soup.find_all("meta")
        }
        assert meta.get("og:locale") == locale
        assert meta.get("og:title") and meta.get("og:url", "").endswith(
            f"chapters/{lang}/01-gradient-descent.html"
        )
        for key in ("og:description", "description"):
            assert re.search(script, meta.get(key, "")), f"{lang}: {key} = {meta.get(key)!r}"
        if lang == "bn":
            assert not re.search("[A-Za-z]{4,} [A-Za-z]{4,} [A-Za-z]{4,}", meta["og:description"])


def test_the_sitemap_lists_every_chapter_in_both_languages(built_site):
    sitemap = (built_site / "sitemap.xml").read_text(encoding="utf-8")
    base = "https://dl-bangla.github.io/deep-learning-bn/"
    for lang in ("bn", "en"):
        for md in sorted((ROOT / "chapters" / lang).glob("[0-9][0-9]-*.md")):
            assert f"<loc>{base}chapters/{lang}/{md.stem}.html</loc>" in sitemap, md.stem
