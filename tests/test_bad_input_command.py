"""Bad input to the authoring commands (`coursekit ...` and `python -m
coursekit.authoring.glossary`): each is refused with one message that names the file and says
what to do, exit status 2 and no traceback, and nothing is left half-written on disk.

The commands run on a small copy of the book (chapter 01 in both languages), so these tests
execute no notebook.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from coursekit import files
from coursekit.authoring import book, cli, formatting, student
from coursekit.authoring.glossary import __main__ as glossary_command
from coursekit.authoring.glossary import bengali_pages

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "01-gradient-descent"


@pytest.fixture
def repo(tmp_path) -> Path:
    """A copy of the book with chapter 01 only (its .md and .ipynb in both languages)."""
    copy = tmp_path / "repo"
    for name in ("_config.yml", "pyproject.toml"):
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, copy / name)
    for lang in ("bn", "en"):
        (copy / "chapters" / lang).mkdir(parents=True)
        for suffix in (".md", ".ipynb"):
            name = CHAPTER + suffix
            shutil.copy(ROOT / "chapters" / lang / name, copy / "chapters" / lang / name)
    return copy


def run(capsys, *argv) -> tuple[int, str, str]:
    """``coursekit ARGV``: its exit status, standard output and standard error."""
    status = cli.main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


def refused(capsys, *argv) -> str:
    """Standard error of a ``coursekit`` command that must refuse (exit status 2)."""
    status, out, err = run(capsys, *argv)
    assert status == 2, out + err
    assert err.startswith("coursekit: ")
    return err


def leftovers(folder: Path) -> list[Path]:
    """Temporary files of interrupted atomic writes."""
    return [p for p in folder.rglob(".*") if p.suffix == ".tmp"]


def insert_after(path: Path, marker: str, line: str) -> None:
    """Insert ``line`` after the first line of ``path`` that starts with ``marker``, and one
    blank line (the first line of the cell body)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, text in enumerate(lines) if text.startswith(marker)) + 2
    lines.insert(at, line)
    path.write_text("\n".join(lines), encoding="utf-8")


# --- student versions: a student's notebook is never replaced without their say ------------------


def test_a_second_run_leaves_identical_notebooks_alone(repo, tmp_path, capsys):
    out = tmp_path / "student"
    status, text, _ = run(capsys, "--root", repo, "student", "--out", out)
    assert status == 0 and "2 wrote, 0 replaced, 0 unchanged" in text
    target = out / "en" / f"{CHAPTER}.ipynb"
    before = target.stat().st_mtime_ns
    status, text, _ = run(capsys, "--root", repo, "student", "--out", out)
    assert status == 0 and "0 wrote, 0 replaced, 2 unchanged" in text
    assert f"unchanged {target} (already this version)" in text
    assert target.stat().st_mtime_ns == before


def test_the_same_chapter_gives_the_same_bytes(repo, tmp_path):
    first = student.write_student_versions(repo, book.notebook_sources(repo), tmp_path / "a")
    second = student.write_student_versions(repo, book.notebook_sources(repo), tmp_path / "b")
    for a, b in zip(first, second, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()


def test_a_notebook_a_student_changed_is_not_replaced(repo, tmp_path, capsys):
    out = tmp_path / "student"
    assert run(capsys, "--root", repo, "student", "--lang", "en", "--out", out)[0] == 0
    target = out / "en" / f"{CHAPTER}.ipynb"
    answers = target.read_text(encoding="utf-8").replace("stub(", "my_answer(")
    target.write_text(answers, encoding="utf-8")
    err = refused(capsys, "--root", repo, "student", "--out", out)
    assert "1 student notebook(s) in" in err and "differ from the new version" in err
    assert "a student's answers may be in them; nothing was written" in err
    assert f"  {target}\n" in err
    assert "add --force to replace them (each one is first copied to a dated backup" in err
    assert target.read_text(encoding="utf-8") == answers
    assert not (out / "bn").exists(), "the other language was written although one was refused"


def test_force_replaces_and_keeps_a_dated_backup(repo, tmp_path, capsys):
    out = tmp_path / "student"
    assert run(capsys, "--root", repo, "student", "--lang", "en", "--out", out)[0] == 0
    target = out / "en" / f"{CHAPTER}.ipynb"
    fresh = target.read_bytes()
    target.write_bytes(fresh.replace(b"stub(", b"my_answer("))
    edited = target.read_bytes()
    status, text, _ = run(
        capsys, "--root", repo, "student", "--lang", "en", "--force", "--out", out
    )
    assert status == 0
    (backup,) = (p for p in target.parent.iterdir() if p != target)
    assert backup.name.startswith(f"{CHAPTER}.") and backup.suffix == ".ipynb"
    stamp = backup.name[len(CHAPTER) + 1 : -len(".ipynb")]
    assert len(stamp) == 15 and stamp[8] == "-" and stamp.replace("-", "").isdigit()
    assert f"replaced {target}; the previous file is kept as {backup.name}" in text
    assert "0 wrote, 1 replaced, 0 unchanged" in text
    assert backup.read_bytes() == edited and target.read_bytes() == fresh


def test_a_backup_never_takes_the_name_of_another(tmp_path, monkeypatch):
    class FixedClock:
        @staticmethod
        def now():
            from datetime import datetime

            return datetime(2025, 3, 1, 14, 25, 30)

    monkeypatch.setattr(student, "datetime", FixedClock)
    target = tmp_path / f"{CHAPTER}.ipynb"
    taken = tmp_path / f"{CHAPTER}.20250301-142530.ipynb"
    assert student._backup_path(target) == taken
    taken.write_text("an earlier backup")
    assert student._backup_path(target).name == f"{CHAPTER}.20250301-142530-2.ipynb"


def test_the_student_help_explains_force_and_the_backup(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["student", "--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "never replaced unless --force is given" in text
    assert "NAME.YYYYMMDD-HHMMSS.ipynb" in text


# --- student versions: the output folder --------------------------------------------------------


def test_out_naming_a_file_is_refused(repo, tmp_path, capsys):
    afile = tmp_path / "notes.txt"
    afile.write_text("mine")
    err = refused(capsys, "--root", repo, "student", "--out", afile)
    assert f"--out {afile} is a file, not a folder. Give a folder for the student" in err
    err = refused(capsys, "--root", repo, "student", "--out", afile / "sub")
    assert f"--out {afile / 'sub'}, inside {afile}, which is a file, not a folder" in err
    assert afile.read_text() == "mine"


def test_a_file_where_a_language_folder_goes_is_refused(repo, tmp_path, capsys):
    out = tmp_path / "student"
    out.mkdir()
    (out / "bn").write_text("not a folder")
    err = refused(capsys, "--root", repo, "student", "--out", out)
    assert f"--out {out / 'bn'} is a file, not a folder" in err
    assert not (out / "en").exists()


def test_a_folder_where_a_notebook_goes_is_refused(repo, tmp_path, capsys):
    out = tmp_path / "student"
    (out / "en" / f"{CHAPTER}.ipynb").mkdir(parents=True)
    err = refused(capsys, "--root", repo, "student", "--out", out)
    assert f"{out / 'en' / CHAPTER}.ipynb is a folder, so the student notebook cannot" in err


def test_out_inside_the_sources_is_refused(repo, capsys):
    err = refused(capsys, "--root", repo, "student", "--out", repo / "chapters" / "bn")
    assert "refusing to write student notebooks into" in err and "it holds the course's" in err


def test_a_write_that_fails_leaves_the_written_notebooks_whole(repo, tmp_path, capsys, monkeypatch):
    real_replace = os.replace
    calls = []

    def replace_once(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise PermissionError(13, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", replace_once)
    out = tmp_path / "student"
    err = refused(capsys, "--root", repo, "student", "--out", out)
    assert f"coursekit: {calls[1]}: Permission denied. Check that the path exists" in err
    written = list(out.rglob("*.ipynb"))
    assert len(written) == 1
    nbformat.validate(nbformat.read(written[0], as_version=4))
    assert leftovers(out) == []


# --- malformed sources: _config.yml, a page that is not UTF-8, a solution that is not Python -----


@pytest.mark.parametrize(
    "config, message",
    [
        ("repository: [a\n", "_config.yml is not valid YAML: while parsing a flow sequence"),
        ("repository: https://x\n", "repository: must be a mapping with a url: entry, found a str"),
        ("title: t\n", "repository: must be a mapping with a url: entry, found nothing"),
        ("", "repository: must be a mapping with a url: entry, found nothing"),
        ("repository:\n  url: [1, 2]\n", "repository: url: must be the repository's address"),
        ('repository:\n  url: "a b"\n', "found 'a b'. Write it as\nrepository:\n  url: https"),
    ],
    ids=["yaml-syntax", "not-a-mapping", "no-repository", "empty", "url-list", "url-not-a-url"],
)
def test_a_malformed_config_is_refused_and_nothing_changes(repo, capsys, config, message):
    (repo / "_config.yml").write_text(config, encoding="utf-8")
    md = repo / "chapters" / "en" / f"{CHAPTER}.md"
    before = md.read_bytes()
    err = refused(capsys, "--root", repo, "first-cell")
    assert f"coursekit: {repo / '_config.yml'}" in err and message in err
    assert md.read_bytes() == before


def test_a_config_that_is_not_utf8_is_refused(repo, capsys):
    (repo / "_config.yml").write_bytes(b"title: caf\xe9\n")
    err = refused(capsys, "--root", repo, "first-cell")
    assert f"{repo / '_config.yml'} is not UTF-8 text (byte 0xe9 on line 1): save it" in err


@pytest.mark.parametrize("command", [["pair"], ["first-cell"], ["format", "--check"], ["student"]])
def test_a_page_that_is_not_utf8_is_refused(repo, tmp_path, capsys, command):
    md = repo / "chapters" / "en" / f"{CHAPTER}.md"
    md.write_bytes(md.read_bytes() + b"\n\xff\n")
    line = md.read_bytes().count(b"\n")
    ipynb = md.with_suffix(".ipynb").read_bytes()
    if command == ["student"]:
        command = ["student", "--out", tmp_path / "student"]
    err = refused(capsys, "--root", repo, *command)
    assert f"{md} is not UTF-8 text (byte 0xff on line {line}): save it as UTF-8" in err
    assert md.with_suffix(".ipynb").read_bytes() == ipynb
    assert not (tmp_path / "student").exists()


def test_a_page_with_broken_front_matter_is_refused(repo, tmp_path, capsys):
    md = repo / "chapters" / "en" / f"{CHAPTER}.md"
    md.write_text(md.read_text(encoding="utf-8").replace("kernelspec:", "kernelspec: [", 1))
    err = refused(capsys, "--root", repo, "student", "--out", tmp_path / "student")
    assert f"{md} cannot be read as a MyST notebook (ParserError: " in err
    assert "Fix its front matter or cell markers" in err


@pytest.mark.parametrize(
    "line, message",
    [
        ("%%time", "is not plain Python: '%%time' (line 1 of the cell) is an IPython magic"),
        ("!pip list", "is not plain Python: '!pip list' (line 1 of the cell) is an IPython"),
        ("x = = 1", "is not valid Python (invalid syntax on line 1 of the cell); fix the cell"),
    ],
    ids=["cell-magic", "shell-line", "syntax-error"],
)
def test_a_solution_cell_that_is_not_python_is_refused(repo, tmp_path, capsys, line, message):
    md = repo / "chapters" / "en" / f"{CHAPTER}.md"
    insert_after(md, ":tags: [solution", line)
    at = md.read_text(encoding="utf-8").split("\n").index(line) + 1
    out = tmp_path / "student"
    err = refused(capsys, "--root", repo, "student", "--out", out)
    assert f"{md}:{at} (a code cell tagged solution) {message}" in err
    assert not out.exists(), "a chapter was written although another could not be made"


def test_stub_source_names_the_cell_it_cannot_parse():
    with pytest.raises(student.StudentError, match=r"^a solution cell is not plain Python: '%time"):
        student.stub_source("def f():\n    %time g()\n", "en")
    with pytest.raises(
        student.StudentError,
        match=r"^cell 3 is not valid Python \(.+ on line 1 of the cell\); fix the cell",
    ):
        student.stub_source("def f(:\n    pass\n", "bn", where="cell 3")


# --- the chapters and the repository: names, languages, folders ---------------------------------


def test_an_unknown_chapter_is_refused_with_the_chapters_there_are(repo, tmp_path, capsys):
    err = refused(capsys, "--root", repo, "student", "99", "--out", tmp_path / "s")
    assert f"no chapter called '99' (in bn, en); the chapters are: {CHAPTER}. Name one" in err
    err = refused(capsys, "--root", repo, "format", "--check", "1")
    assert "no chapter called '1'" in err


def test_a_chapter_named_by_its_path_is_that_language_only(repo, tmp_path, capsys):
    out = tmp_path / "student"
    name = f"chapters/bn/{CHAPTER}.md"
    assert run(capsys, "--root", repo, "student", name, "--out", out)[0] == 0
    assert [p.relative_to(out) for p in out.rglob("*.ipynb")] == [Path("bn") / f"{CHAPTER}.ipynb"]
    err = refused(capsys, "--root", repo, "student", name, "--lang", "en", "--out", out)
    assert f"no chapter called '{name}' (in en)" in err


@pytest.mark.parametrize("command", ["format", "student"])
def test_an_unknown_language_is_refused_by_argparse(capsys, command):
    with pytest.raises(SystemExit) as exit_:
        cli.main([command, "--lang", "fr", "--out", "x"])
    assert exit_.value.code == 2
    assert (
        "argument --lang: invalid choice: 'fr' (choose from 'bn', 'en')" in capsys.readouterr().err
    )


def test_root_pointing_nowhere_or_at_a_file_is_refused(tmp_path, capsys):
    err = refused(capsys, "--root", tmp_path / "nowhere", "pair")
    assert f"--root {tmp_path / 'nowhere'} does not exist: give the course repository's" in err
    (tmp_path / "afile").write_text("")
    err = refused(capsys, "--root", tmp_path / "afile", "pair")
    assert f"--root {tmp_path / 'afile'} is a file: give the course repository's folder" in err


def test_a_folder_outside_the_course_is_refused(tmp_path, capsys):
    err = refused(capsys, "--root", tmp_path, "pair")
    assert f"no _config.yml with a chapters/ folder beside it in {tmp_path} or above" in err


def test_root_inside_the_course_finds_the_course(repo, capsys):
    status, text, _ = run(capsys, "--root", repo / "chapters" / "bn", "pair")
    assert status == 0 and f"paired chapters/bn/{CHAPTER}.md" in text


def test_a_missing_language_folder_is_refused(repo, capsys):
    shutil.rmtree(repo / "chapters" / "en")
    err = refused(capsys, "--root", repo, "pair")
    assert f"{repo} has no chapters/en folder: the chapters live in chapters/bn/" in err


def test_a_book_without_chapters_is_refused(repo, tmp_path, capsys):
    for md in (repo / "chapters").rglob("*.md"):
        md.unlink()
    for command in (["pair"], ["first-cell"], ["format"], ["student", "--out", tmp_path / "s"]):
        err = refused(capsys, "--root", repo, *command)
        assert f"no chapter notebook in {repo / 'chapters'}: a chapter is a .md file" in err


def test_a_missing_subcommand_is_refused_by_argparse(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main([])
    assert exit_.value.code == 2
    assert "the following arguments are required: command" in capsys.readouterr().err


def test_format_names_the_line_of_a_cell_that_is_not_python(repo, capsys):
    md = repo / "chapters" / "en" / f"{CHAPTER}.md"
    insert_after(md, ":tags: [solution", "x = = 1")
    at = md.read_text(encoding="utf-8").split("\n").index("x = = 1") + 1
    before = md.read_bytes()
    err = refused(capsys, "--root", repo, "format", "en/" + CHAPTER)
    assert f"{md}:{at}:5: code cell" in err
    assert "is not valid Python (Expected an expression), so ruff cannot format" in err
    assert md.read_bytes() == before


def test_format_without_ruff_says_how_to_install_it(repo, capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(formatting.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    err = refused(capsys, "--root", repo, "format", "--check")
    assert "ruff is not installed" in err and "Run `make venv`" in err


def test_first_cell_refuses_a_chapter_without_code(repo, capsys):
    md = repo / "chapters" / "en" / f"{CHAPTER}.md"
    front, _, _ = md.read_text(encoding="utf-8").partition("\n# ")
    md.write_text(front + "\n# A page without code\n", encoding="utf-8")
    err = refused(capsys, "--root", repo, "first-cell")
    assert f"{md} has no code cell; a chapter starts with the first cell." in err


def test_mode_refuses_an_unknown_run_mode(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "fast")
    err = refused(capsys, "mode")
    assert "COURSE_MODE='fast' is not a run mode. Use COURSE_MODE=quick" in err


# --- the glossary command: it never reports success having checked nothing ----------------------


def check_glossary(capsys, *paths) -> tuple[int, str, str]:
    status = glossary_command.main([str(path) for path in paths])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return status, out, err


@pytest.mark.parametrize("given", ["chapters/", "chapters", "chapters/bn", "chapters/bn/"])
def test_a_chapters_folder_stands_for_its_bengali_pages(capsys, given):
    status, out, _ = check_glossary(capsys, f"{ROOT}/{given}")
    pages = len(bengali_pages(ROOT / "chapters" / "bn"))
    assert pages > 10
    assert status == 0 and f"{pages} page(s) checked: 0 rejected form(s) found" in out


def test_the_glossary_check_finds_a_calque_under_a_parent_folder(tmp_path, capsys):
    (tmp_path / "bn").mkdir()
    (tmp_path / "bn" / "99-test.md").write_text("প্রতিটি যুগ।\n", encoding="utf-8")
    status, out, _ = check_glossary(capsys, tmp_path)
    assert status == 1 and "1 page(s) checked: 1 rejected form(s) found" in out
    assert "'যুগ' → write 'এপক' (epoch)" in out


def test_the_english_pages_are_refused(capsys):
    status, out, err = check_glossary(capsys, ROOT / "chapters" / "en")
    assert status == 2 and out == ""
    assert "holds the pages in 'en', not Bengali ones; the glossary checks Bengali pages." in err


def test_a_folder_without_pages_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("x")
    status, out, err = check_glossary(capsys, tmp_path)
    assert status == 2 and out == ""
    assert f"{tmp_path} holds no Bengali page (*.md) to check. Give chapters/bn" in err


def test_a_file_that_is_not_a_page_is_refused(capsys):
    status, _, err = check_glossary(capsys, ROOT / "chapters" / "bn" / f"{CHAPTER}.ipynb")
    assert status == 2 and f"{CHAPTER}.ipynb is not a .md page. Give .md files" in err


def test_a_page_that_is_not_utf8_is_refused_by_the_glossary_check(tmp_path, capsys):
    page = tmp_path / "99-test.md"
    page.write_bytes(b"\xff\xfe")
    status, _, err = check_glossary(capsys, page)
    assert status == 2
    assert f"{page} is not UTF-8 text (invalid start byte at byte 0): save it as UTF-8" in err


def test_a_missing_path_is_refused_by_the_glossary_check(tmp_path, capsys):
    status, _, err = check_glossary(capsys, tmp_path / "nowhere")
    assert status == 2 and "No such file or folder: " in err and "e.g. chapters/bn" in err
