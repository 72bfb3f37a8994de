"""The site's search language: Bengali and English words, split alike in the index and the query.

Sphinx's default splitter breaks a word at every character that is not a letter or a digit. The
Bengali vowel signs, the virama (হসন্ত), the nukta and the chandrabindu, anusvara and visarga are
combining marks, so it would cut গ্রেডিয়েন্ট into one-letter pieces that match everywhere. The
search language below keeps those marks (and the zero-width joiner and non-joiner) inside a word,
in the index (``split`` in Python) and in the reader's query (``splitQuery`` in JavaScript), with
the same character class in both.

English words are lower-cased and Porter-stemmed as Sphinx's English search does; Bengali words
are not stemmed, only brought to one Unicode form (NFC, without joiners), so that a query typed
with a precomposed য় finds the text's য + nukta and the other way round.

The scorer (``static/search_scorer.js``) keeps Sphinx's scores and adds ``docTitle`` to a page
whose own title holds every searched word, so that the chapter named after a word comes before
pages that only mention it in a section heading. ``static/search.js`` marks each search result
with the language of its page.

``setup`` registers the language as ``bn`` and makes it the search language when the
configuration names none (``html_search_language``), and sets the scorer likewise.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import snowballstemmer
from sphinx.application import Sphinx
from sphinx.search import SearchLanguage
from sphinx.search.en import english_stopwords, js_porter_stemmer

from ..lang import LANGS, Messages

PACKAGE_DIR = Path(__file__).parent
STATIC = PACKAGE_DIR / "static"
SCORER = STATIC / "search_scorer.js"

# The combining marks of the Bengali block (signs U+0981-U+0983, nukta U+09BC, vowel signs
# U+09BE-U+09CC, virama U+09CD, au length mark U+09D7, vocalic l/ll signs U+09E2-U+09E3, sandhi
# mark U+09FE) and the zero-width non-joiner and joiner. Written once, as a regular-expression
# class that Python and JavaScript read alike.
BENGALI_MARKS = (
    r"\u0981-\u0983\u09BC\u09BE-\u09C4\u09C7\u09C8\u09CB-\u09CD\u09D7\u09E2\u09E3\u09FE"
    r"\u200C\u200D"
)
BENGALI = r"\u0980-\u09FF"
_WORD_RE = re.compile(rf"[\w{BENGALI_MARKS}]+")
_BENGALI_RE = re.compile(f"[{BENGALI}]")
_JOINERS_RE = re.compile("[\u200c\u200d]")

# A word is letters, digits and underscores (Python's \w, JavaScript's \p{Letter}\p{Number}_)
# and the marks above.
JS_SPLITTER = f"""
/**
 * The course's splitter: Bengali combining marks stay inside a word (coursekit search).
 */
var splitQuery = function(query) {{
  return query.match(/[\\p{{Letter}}\\p{{Number}}_{BENGALI_MARKS}]+/gu) || [];
}};
"""

JS_STEMMER = f"""
/**
 * The course's stemmer: Porter for Latin words (as Sphinx's English), none for Bengali words,
 * which are only brought to NFC without joiners.
 */
var CoursePorterStemmer = (function() {{
{js_porter_stemmer}
  return Stemmer;
}})();

var Stemmer = function() {{
  var porter = new CoursePorterStemmer();
  this.stemWord = function(word) {{
    if (/[{BENGALI}]/u.test(word)) {{
      return word.normalize("NFC").replace(/[\\u200C\\u200D]/g, "").toLowerCase();
    }}
    return porter.stemWord(word.toLowerCase());
  }};
}};
"""


class SearchBengaliEnglish(SearchLanguage):
    """Bengali and English text: whole Bengali words, stemmed English words."""

    lang = "bn"
    language_name = "Bengali"
    stopwords = english_stopwords
    js_splitter_code = JS_SPLITTER
    js_stemmer_code = JS_STEMMER

    def init(self, options: dict[str, str]) -> None:
        self.stemmer = snowballstemmer.stemmer("porter")

    def split(self, input: str) -> list[str]:
        return _WORD_RE.findall(input)

    def stem(self, word: str) -> str:
        if _BENGALI_RE.search(word):
            return _JOINERS_RE.sub("", unicodedata.normalize("NFC", word)).lower()
        return self.stemmer.stemWord(word.lower())


# The mark beside each search result: the name of its page's language, in that language.
_MESSAGES = {
    "bn": {"language_name": "বাংলা"},
    "en": {"language_name": "English"},
}
_text = Messages(_MESSAGES)


def use_course_search(app: Sphinx, config) -> None:
    """Make the course's language and scorer the site's, unless the configuration chose."""
    if not config.html_search_language:
        config.html_search_language = SearchBengaliEnglish.lang
    if not config.html_search_scorer:
        config.html_search_scorer = str(SCORER)


def add_static_path(app: Sphinx) -> None:
    path = str(STATIC)
    if path not in app.config.html_static_path:
        app.config.html_static_path.append(path)


def add_result_marks(app: Sphinx, pagename: str, templatename: str, context, doctree) -> None:
    """On the search page only: the script that marks each result with its language."""
    if pagename != "search":
        return
    names = {lang: _text(lang, "language_name") for lang in LANGS}
    app.add_js_file(None, body=f"var COURSE_LANGUAGE_NAMES = {json.dumps(names)};")
    app.add_js_file("search.js")
    app.add_css_file("search.css")


def setup(app: Sphinx) -> dict:
    app.add_search_language(SearchBengaliEnglish)
    app.connect("config-inited", use_course_search)
    app.connect("builder-inited", add_static_path)
    app.connect("html-page-context", add_result_marks)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
