"""The book's own conventions, in one place: where chapters live, how a notebook pairs with its
Markdown source, and what every notebook's first cell says.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..files import write_atomic
from ..lang import LANGS, Messages, twin

PAIR_FORMATS = "ipynb,md:myst"

# Every notebook's first code cell, in the page's language ({url}: the repository's address).
_MESSAGES = {
    "bn": {
        "first_cell": """\
# প্রথম সেল: Colab-এ কোর্সের প্যাকেজ আর তার জন্য Colab-এ যা নেই তা ইনস্টল করে; অন্য কোথাও কিছুই
# ইনস্টল করে না। অন্য উৎস থেকে ইনস্টল করতে (একটি ফর্ক, একটি ব্রাঞ্চ) COURSE_SOURCE দিন।
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    source = os.environ.get("COURSE_SOURCE", "git+{url}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", source], check=True)
    from coursekit import colab

    colab.prepare(lang="bn")  # matplotlib হালনাগাদ করতে হলে সেশন একবার রিস্টার্ট হয়

import coursekit

MODE = coursekit.start(lang="bn")""",
    },
    "en": {
        "first_cell": """\
# First cell: in Colab, install the course package and what Colab lacks for it; elsewhere,
# install nothing. To install from another source (a fork, a branch), set COURSE_SOURCE.
import os
import subprocess
import sys

if "google.colab" in sys.modules:
    source = os.environ.get("COURSE_SOURCE", "git+{url}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", source], check=True)
    from coursekit import colab

    colab.prepare(lang="en")  # restarts the session once if matplotlib had to be upgraded

import coursekit

MODE = coursekit.start(lang="en")""",
    },
}
_text = Messages(_MESSAGES)


class BookError(RuntimeError):
    """The book's files do not follow the course's conventions."""


def find_root(start: Path | None = None) -> Path:
    """The repository root: the nearest folder upwards from ``start`` (an existing folder; by
    default the current one) holding _config.yml and chapters/ with a folder per language."""
    if start is not None and not Path(start).is_dir():
        what = "is a file" if Path(start).exists() else "does not exist"
        raise BookError(
            f"--root {start} {what}: give the course repository's folder (the one holding "
            "_config.yml and chapters/)."
        )
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").is_file() and (folder / "chapters").is_dir():
            missing = [
                f"chapters/{lang}" for lang in LANGS if not (folder / "chapters" / lang).is_dir()
            ]
            if missing:
                raise BookError(
                    f"{folder} has no {' or '.join(missing)} folder: the chapters live in "
                    f"{', '.join(f'chapters/{lang}/' for lang in LANGS)} (one .md per chapter and "
                    "language). Restore the folder, or give the right folder with --root."
                )
            return folder
    raise BookError(
        f"no _config.yml with a chapters/ folder beside it in {here} or above: run the command "
        "inside the course repository, or give its folder with --root."
    )


def read_text(path: Path) -> str:
    """The text of a course file, which must be UTF-8; a BookError says where it is not."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise BookError(
            f"{path} is not UTF-8 text (byte 0x{data[err.start]:02x} on line {line}): save it "
            "as UTF-8 and run the command again."
        ) from None


def repository_url(root: Path) -> str:
    """The ``repository: url:`` of _config.yml, without a final slash."""
    import yaml

    config_path = root / "_config.yml"
    try:
        config = yaml.safe_load(read_text(config_path))
    except yaml.YAMLError as err:
        raise BookError(
            f"{config_path} is not valid YAML: {err}\nFix the file and run again."
        ) from None
    example = "repository:\n  url: https://github.com/OWNER/REPO"
    repository = config.get("repository") if isinstance(config, dict) else None
    if not isinstance(repository, dict):
        found = "nothing" if repository is None else f"a {type(repository).__name__}"
        raise BookError(
            f"{config_path}: repository: must be a mapping with a url: entry, found {found}. "
            f"Write it as\n{example}"
        )
    url = repository.get("url")
    if not isinstance(url, str) or not re.fullmatch(r"[a-z][a-z0-9+.-]*://[^\s\"'\\]+", url):
        raise BookError(
            f"{config_path}: repository: url: must be the repository's address (such as "
            f"https://github.com/OWNER/REPO), found {url!r}. Write it as\n{example}"
        )
    return url.rstrip("/")


def is_notebook_source(md_path: Path) -> bool:
    """A chapter .md is a notebook when its front matter declares a jupytext kernel."""
    text = read_text(md_path)
    if not text.startswith("---"):
        return False
    front = text.split("---", 2)[1]
    return "jupytext:" in front and "kernelspec:" in front


def chapter_sources(root: Path) -> list[Path]:
    """Every chapters/bn|en/*.md, sorted."""
    return sorted(p for lang in LANGS for p in (root / "chapters" / lang).glob("*.md"))


def notebook_sources(root: Path) -> list[Path]:
    return [p for p in chapter_sources(root) if is_notebook_source(p)]


def lang_of(path: Path) -> str:
    lang = path.parent.name
    if lang not in LANGS:
        folders = " or ".join(f"chapters/{other}" for other in LANGS)
        raise BookError(f"{path} is not under {folders}.")
    return lang


def twin_path(path: Path) -> Path:
    return path.parent.parent / twin(lang_of(path)) / path.name


def first_cell_source(lang: str, url: str) -> str:
    return _text(lang, "first_cell", url=url)


def read_markdown_notebook(md_path: Path):
    """The notebook of a MyST Markdown chapter; a BookError names the file it cannot read."""
    import jupytext

    text = read_text(md_path)
    try:
        return jupytext.reads(text, fmt="md:myst")
    except Exception as err:  # jupytext's and YAML's errors for a malformed page
        raise BookError(
            f"{md_path} cannot be read as a MyST notebook ({type(err).__name__}: {err}). Fix its "
            "front matter or cell markers (CONTRIBUTING.md shows a chapter's layout)."
        ) from None


def line_of_cell(md_text: str, source: str) -> int | None:
    """The line of a chapter's .md text on which a cell with ``source`` starts (1-based), or
    None when it cannot be found; for messages that point at a cell."""
    found = md_text.find(source) if source else -1
    return md_text.count("\n", 0, found) + 1 if found >= 0 else None


def first_code_cell(notebook):
    for cell in notebook.cells:
        if cell.cell_type == "code":
            return cell
    return None


def paired_ipynb_text(md_path: Path) -> str:
    """The .ipynb that pairs with ``md_path``: same cells, no outputs."""
    import jupytext

    notebook = read_markdown_notebook(md_path)
    notebook.metadata.setdefault("jupytext", {})["formats"] = PAIR_FORMATS
    stable_cell_ids(notebook)
    return jupytext.writes(notebook, fmt="ipynb")


def stable_cell_ids(notebook) -> None:
    """Give each cell an id that depends only on its type and text (and, for repeated cells, on
    how many identical cells come before it), so pairing again leaves unchanged cells' ids alone
    and the .ipynb diff shows only the cells that changed."""
    seen: dict[str, int] = {}
    for cell in notebook.cells:
        key = cell.cell_type + "\0" + cell.source
        count = seen.get(key, 0)
        seen[key] = count + 1
        cell.id = hashlib.sha1(f"{key}\0{count}".encode()).hexdigest()[:8]


def pair(md_path: Path) -> Path:
    """Write the .ipynb of ``md_path`` (only if its text changes) and return its path."""
    ipynb = md_path.with_suffix(".ipynb")
    text = paired_ipynb_text(md_path)
    if not ipynb.is_file() or ipynb.read_bytes() != text.encode("utf-8"):
        write_atomic(ipynb, text)
    return ipynb


def set_first_cell(md_path: Path, url: str) -> bool:
    """Rewrite the first code cell of ``md_path`` from the template; return whether it changed."""
    import jupytext

    notebook = read_markdown_notebook(md_path)
    cell = first_code_cell(notebook)
    wanted = first_cell_source(lang_of(md_path), url)
    if cell is None:
        raise BookError(f"{md_path} has no code cell; a chapter starts with the first cell.")
    if cell.source == wanted:
        return False
    cell.source = wanted
    write_atomic(md_path, jupytext.writes(notebook, fmt="md:myst"))
    return True
