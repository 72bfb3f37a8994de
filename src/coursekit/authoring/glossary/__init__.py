"""The course's glossary: one data file, a checker for Bengali prose, and the glossary pages.

``glossary.yml`` at the repository root is the single source of truth for terminology. The parts:

- :mod:`.model`: the entries (:class:`Entry`, :class:`Rejected`), reading and validating the file
  (:func:`load_glossary`; :class:`GlossaryError` lists every problem), the :class:`Matcher` that
  finds rejected forms as whole, inflected Bengali words, and the order of the pages;
- :mod:`.markdown`: the prose of MyST pages (:func:`prose_only`) and the scan of Bengali pages
  (:func:`scan_text`, :func:`scan_file`, :func:`scan_chapters`), with file, line and the
  preferred term;
- :mod:`.directive`: the Sphinx directive ``course-glossary`` that renders the glossary as a table
  (its stylesheet is ``static/glossary.css``); :func:`setup` makes this package a Sphinx extension
  (``extensions = ["coursekit.authoring.glossary"]``);
- :mod:`.__main__`: ``python -m coursekit.authoring.glossary [files or folders]`` checks Bengali
  pages from the command line (default: ``chapters/bn``; a folder such as ``chapters/`` stands for
  its Bengali pages, and one without any is refused), says how many pages it checked, and exits
  with status 1 when it finds a rejected form.
"""

from .directive import glossary_table, setup
from .markdown import (
    IGNORE_MARKER,
    REFERENCES_HEADINGS,
    UNCHECKED_PAGES,
    Finding,
    bengali_pages,
    prose_only,
    scan_chapters,
    scan_file,
    scan_text,
)
from .model import (
    GLOSSARY_FILE,
    Entry,
    GlossaryError,
    Hit,
    Matcher,
    Rejected,
    bengali_sort_key,
    english_sort_key,
    find_glossary,
    load_glossary,
    normalize,
    parse_glossary,
    sorted_entries,
    validate,
)

__all__ = [
    "GLOSSARY_FILE",
    "IGNORE_MARKER",
    "REFERENCES_HEADINGS",
    "UNCHECKED_PAGES",
    "Entry",
    "Finding",
    "GlossaryError",
    "Hit",
    "Matcher",
    "Rejected",
    "bengali_pages",
    "bengali_sort_key",
    "english_sort_key",
    "find_glossary",
    "glossary_table",
    "load_glossary",
    "normalize",
    "parse_glossary",
    "prose_only",
    "scan_chapters",
    "scan_file",
    "scan_text",
    "setup",
    "sorted_entries",
    "validate",
]
