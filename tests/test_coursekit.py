"""coursekit: run mode, notebook start-up, plotting fonts, TensorFlow quieting, CLI."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import warnings

import pytest

import coursekit
from coursekit import mode, plotting
from coursekit.authoring import book, cli
from coursekit.authoring.sphinxext import twin_of


def test_mode_from_environment(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", " Full ")
    assert coursekit.run_mode() == "full"
    monkeypatch.setenv("COURSE_MODE", "quick")
    assert coursekit.run_mode() == "quick"


@pytest.mark.parametrize(
    "accelerator, expected", [(None, "quick"), ("cuda", "full"), ("tpu", "full")]
)
def test_default_mode_follows_the_hardware(monkeypatch, accelerator, expected):
    monkeypatch.delenv("COURSE_MODE", raising=False)
    monkeypatch.setattr(mode, "detect_accelerator", lambda: accelerator)
    assert coursekit.run_mode() == expected


def test_bad_mode_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv("COURSE_MODE", "fast")
    with pytest.raises(coursekit.ModeError, match="'fast'.*COURSE_MODE=quick.*COURSE_MODE=full"):
        coursekit.run_mode()


def test_cli_mode_reports_bad_value_without_traceback(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_MODE", "fast")
    assert cli.main(["mode"]) == 2
    assert "is not a run mode" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:TensorFlow was imported before")
@pytest.mark.parametrize("lang, word", [("bn", "চালানোর মোড: quick"), ("en", "Run mode: quick")])
def test_start_prints_the_mode_in_the_notebook_language(monkeypatch, capsys, lang, word):
    monkeypatch.setenv("COURSE_MODE", "quick")
    assert coursekit.start(lang=lang) == "quick"
    assert word in capsys.readouterr().out


def test_start_refuses_an_unknown_language():
    with pytest.raises(ValueError, match="not one of the course's languages"):
        coursekit.start(lang="fr")


@pytest.mark.filterwarnings("ignore:TensorFlow was imported before")
def test_silence_tensorflow_sets_but_does_not_override(monkeypatch):
    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    coursekit.silence_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "2"
    # oneDNN's kernels (three times faster training on a CPU) are left as TensorFlow chooses
    assert "TF_ENABLE_ONEDNN_OPTS" not in os.environ
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    coursekit.silence_tensorflow()
    assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"


def _python(code, pythonpath=None):
    env = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300
    )


def test_import_tensorflow_drops_only_the_start_up_noise(tmp_path):
    """A stand-in `tensorflow` that writes TensorFlow's two start-up lines and a real warning
    to file descriptor 2 while it is imported: only the warning comes through."""
    (tmp_path / "tensorflow.py").write_text(
        "import os\n"
        "os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR\\n')\n"
        "os.write(2, b'I0000 00:00:1.0  1 port.cc:153] oneDNN custom operations are on. You may "
        "see slightly different numerical results\\n')\n"
        "os.write(2, b'W0000 something real went wrong\\n')\n"
        "LOADED = True\n"
    )
    done = _python(
        "from coursekit.quiet import import_tensorflow\n"
        "tf = import_tensorflow()\n"
        "assert tf.LOADED and import_tensorflow() is tf\n"
        "print('imported')",
        pythonpath=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"
    assert done.stderr.strip() == "W0000 something real went wrong"


def test_import_tensorflow_keeps_what_a_failing_import_wrote(tmp_path):
    (tmp_path / "tensorflow.py").write_text(
        "import os\n"
        "os.write(2, b'E0000 libtensorflow_framework.so.2: cannot open shared object file\\n')\n"
        "raise ImportError('TensorFlow could not load its library')\n"
    )
    done = _python(
        "from coursekit.quiet import import_tensorflow\nimport_tensorflow()", pythonpath=tmp_path
    )
    assert done.returncode == 1
    assert "E0000 libtensorflow_framework.so.2: cannot open shared object file" in done.stderr
    assert "ImportError: TensorFlow could not load its library" in done.stderr


def test_tensorflow_imports_quietly_with_onednn_on():
    pytest.importorskip("tensorflow")
    done = _python(
        "from coursekit.quiet import import_tensorflow\n"
        "import_tensorflow()\n"
        "from tensorflow.python.util import _pywrap_util_port\n"
        "print('oneDNN on:', _pywrap_util_port.IsMklEnabled())"
    )
    assert done.returncode == 0, done.stderr
    if platform.machine() in ("x86_64", "AMD64"):  # TensorFlow's default there: oneDNN on
        assert done.stdout.strip() == "oneDNN on: True"
    assert "oneDNN custom operations" not in done.stderr
    assert "absl::InitializeLog" not in done.stderr


def test_bundled_bengali_font_registers():
    assert plotting._register_bundled_fonts(plotting.BUNDLED_FONT_DIR)


def test_bengali_label_draws_without_glyph_warnings():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context(), warnings.catch_warnings(record=True) as caught:
        assert coursekit.setup_plotting()
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title("ক্ষতির লেখচিত্র (loss) ৩")
        fig.canvas.draw()
        plt.close(fig)
    assert not [w for w in caught if "missing from" in str(w.message)]


def test_missing_bengali_font_warns_once_and_silences_glyph_warnings(monkeypatch, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plotting, "_font_available", lambda name: False)
    with matplotlib.rc_context(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert plotting.setup_plotting(font_dir=tmp_path) is False
        matplotlib.rcParams["font.sans-serif"] = ["DejaVu Sans"]
        fig, ax = plt.subplots()
        ax.set_title("বাংলা লেখা")
        fig.canvas.draw()
        plt.close(fig)
    font_warnings = [w for w in caught if issubclass(w.category, plotting.BengaliFontWarning)]
    assert len(font_warnings) == 1
    assert "fonts-noto-core" in str(font_warnings[0].message)
    assert not [w for w in caught if "missing from" in str(w.message)]


@pytest.mark.parametrize(
    "docname, twin",
    [
        ("chapters/bn/01-gradient-descent", "chapters/en/01-gradient-descent"),
        ("chapters/en/setup", "chapters/bn/setup"),
        ("index", None),
        ("chapters/fr/01", None),
    ],
)
def test_twin_of(docname, twin):
    assert twin_of(docname) == twin


def _run_first_cell(source: str, monkeypatch, in_colab: bool) -> list:
    import subprocess
    import sys
    import types

    calls = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: calls.append(cmd))
    if in_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.setenv("COURSE_MODE", "quick")
    namespace: dict = {}
    exec(compile(source, "<first cell>", "exec"), namespace)
    assert namespace["MODE"] == "quick"
    return calls


@pytest.mark.filterwarnings("ignore:TensorFlow was imported before")
@pytest.mark.parametrize("lang", ["bn", "en"])
def test_first_cell_installs_from_the_repository_only_in_colab(monkeypatch, root, lang):
    url = book.repository_url(root)
    source = book.first_cell_source(lang, url)
    assert _run_first_cell(source, monkeypatch, in_colab=False) == []
    monkeypatch.delenv("COURSE_SOURCE", raising=False)
    calls = _run_first_cell(source, monkeypatch, in_colab=True)
    # the course alone (--no-deps); colab.prepare then finds nothing missing in this environment
    assert len(calls) == 1 and calls[0][-1] == f"git+{url}"
    assert calls[0][1:4] == ["-m", "pip", "install"] and "--no-deps" in calls[0]
    # a fork, a branch or a wheel: COURSE_SOURCE says where to install from
    monkeypatch.setenv("COURSE_SOURCE", "git+https://github.com/someone/fork@branch")
    calls = _run_first_cell(source, monkeypatch, in_colab=True)
    assert calls[0][-1] == "git+https://github.com/someone/fork@branch"


def test_first_cell_command_follows_the_configured_url(tmp_path, root):
    import shutil

    import jupytext

    shutil.copytree(root / "chapters", tmp_path / "chapters")
    config = (root / "_config.yml").read_text(encoding="utf-8")
    old_url = book.repository_url(root)
    new_url = "https://github.com/example/fork-of-the-course"
    (tmp_path / "_config.yml").write_text(config.replace(old_url, new_url), encoding="utf-8")
    assert cli.main(["--root", str(tmp_path), "first-cell"]) == 0
    for md in book.notebook_sources(tmp_path):
        want = book.first_cell_source(book.lang_of(md), new_url)
        assert book.first_code_cell(book.read_markdown_notebook(md)).source == want
        assert book.first_code_cell(jupytext.read(md.with_suffix(".ipynb"))).source == want
    assert not list(tmp_path.rglob("*.tmp")), "a temporary file was left behind"


def test_execution_cache_is_kept_per_mode(monkeypatch, tmp_path):
    from types import SimpleNamespace

    from coursekit.authoring.sphinxext import cache_per_mode

    app = SimpleNamespace(outdir=str(tmp_path / "_build" / "html"))
    for mode_name in ("quick", "full"):
        monkeypatch.setenv("COURSE_MODE", mode_name)
        config = SimpleNamespace(nb_execution_cache_path="")
        cache_per_mode(app, config)
        assert config.nb_execution_cache_path == str(
            tmp_path / "_build" / f".jupyter_cache-{mode_name}"
        )


# --- exercise checks: their messages, and the one way a check fails (coursekit.checks) ----------


def test_checks_speak_through_the_course_message_tables():
    from coursekit import checks, lang

    assert checks.Messages is lang.Messages  # exercise modules may import it from either
    with pytest.raises(ValueError, match="not one of the course's languages"):
        checks.success("fr", "x")
    with pytest.raises(ValueError, match="not one of the course's languages"):
        checks.fail("fr", "x", "wrong")


def test_checks_print_the_success_line_in_the_notebook_language(capsys):
    from coursekit.checks import passed, success

    passed("bn", "mse_gradient")
    assert capsys.readouterr().out == success("bn", "mse_gradient") + "\n"
    assert success("en", "x") == "✔ x: correct." and success("bn", "x") == "✔ x: সঠিক।"


@pytest.mark.parametrize(
    ("lang", "case", "expected"),
    [
        ("en", None, "✘ fit_line: expected about 2, got 3."),
        ("en", "k=1", "✘ fit_line, case «k=1»: expected about 2, got 3."),
        ("en", "6 random photos", "✘ fit_line, case «6 random photos»: expected about 2, got 3."),
        ("bn", "k=1", "✘ fit_line, «k=1»-এর ক্ষেত্রে: মান ভুল।"),
        ("bn", "৬টি এলোমেলো ছবি", "✘ fit_line, «৬টি এলোমেলো ছবি»-এর ক্ষেত্রে: মান ভুল।"),
    ],
)
def test_fail_names_the_check_and_quotes_the_case(lang, case, expected):
    from coursekit.checks import CheckFailed, fail

    detail = "expected about 2, got 3." if lang == "en" else "মান ভুল।"
    with pytest.raises(CheckFailed) as info:
        fail(lang, "fit_line", detail, case=case)
    assert str(info.value) == info.value.message == expected
    assert info.value._render_traceback_() == [expected]


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_a_stub_or_a_crash_fails_the_check_through_the_same_path(lang):
    import re

    from coursekit.checks import UNANSWERED, CheckFailed, call_answer, message, stub, unanswered

    def not_yet(x):
        stub(lang)

    for answer in (not_yet, UNANSWERED):
        with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
            call_answer(answer, (1,), name="f", lang=lang, case="x=1")

    def crashes(x):
        raise ZeroDivisionError("oops")

    with pytest.raises(CheckFailed) as crash:
        call_answer(crashes, (1,), name="f", lang=lang, case="x=1")
    raised = message(lang, "raised", error="ZeroDivisionError: oops")
    assert crash.value.message == message(lang, "fail_case", name="f", case="x=1", detail=raised)


def test_call_answer_fails_an_answer_that_changes_a_read_only_input():
    import numpy as np

    from coursekit.checks import CheckFailed, call_answer

    def in_place(w):
        w += 1
        return w

    with pytest.raises(CheckFailed, match=r"case «w=\[0, 0\]»: .*changed its input w in place"):
        call_answer(
            in_place, (np.zeros(2),), name="f", lang="en", case="w=[0, 0]", read_only={0: "w"}
        )
