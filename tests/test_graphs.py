"""coursekit.graphs draws a DOT graph when Graphviz is installed, explains itself in the
notebook's language when it is not (never an error), and reports a failing `dot` clearly."""

from __future__ import annotations

import shutil
import sys
import textwrap

import pytest

import chhotograd as cg
from coursekit import graphs

DOT = "digraph g {\n  a -> b;\n}\n"


@pytest.fixture
def no_dot(monkeypatch):
    monkeypatch.setattr(graphs.shutil, "which", lambda name: None)


@pytest.fixture
def displayed(monkeypatch):
    """Collect what show_dot hands to IPython's display() instead of showing it."""
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    return shown


@pytest.fixture
def fake_dot(tmp_path, monkeypatch):
    """A stand-in `dot` program: SVG for any input holding '->', an error message otherwise."""
    script = tmp_path / "dot"
    script.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import sys
            text = sys.stdin.read()
            if "->" not in text:
                sys.stderr.write("Error: <stdin>: syntax error in line 1 near 'nonsense'\\n")
                sys.exit(1)
            fmt = sys.argv[1]
            if fmt == "-Tsvg":
                sys.stdout.write('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
                                 '<text>' + str(text.count("->")) + '</text></svg>')
            else:
                sys.stdout.buffer.write(b"\\x89PNG\\r\\n\\x1a\\n" + b"0" * 16)
            """
        )
    )
    script.chmod(0o755)
    monkeypatch.setattr(graphs.shutil, "which", lambda name: str(script) if name == "dot" else None)
    return script


@pytest.mark.parametrize("lang, words", [("en", "not installed"), ("bn", "ইনস্টল করা নেই")])
def test_without_dot_a_note_and_the_dot_text_are_printed(no_dot, displayed, capsys, lang, words):
    assert graphs.show_dot(DOT, lang=lang) is None
    out = capsys.readouterr().out
    assert words in out and "apt-get install graphviz" in out and "Colab" in out
    assert out.rstrip().endswith("a -> b;\n}")
    assert displayed == []


def test_without_dot_rendering_says_what_is_missing(no_dot):
    with pytest.raises(FileNotFoundError, match="apt-get install graphviz"):
        graphs.render_dot(DOT)


def test_with_dot_the_picture_is_displayed(fake_dot, displayed, capsys):
    from IPython.display import SVG, Image

    graphs.show_dot(DOT, lang="bn")
    graphs.show_dot(DOT, lang="en", fmt="png")
    assert capsys.readouterr().out == ""
    assert isinstance(displayed[0], SVG) and "<text>1</text>" in displayed[0].data
    assert isinstance(displayed[1], Image) and displayed[1].data.startswith(b"\x89PNG")


@pytest.mark.parametrize("lang, words", [("en", "could not draw"), ("bn", "আঁকতে পারেনি")])
def test_bad_dot_text_raises_with_graphviz_message(fake_dot, displayed, lang, words):
    with pytest.raises(graphs.GraphvizError, match=f"{words}.*syntax error in line 1"):
        graphs.show_dot("nonsense {", lang=lang)
    assert displayed == []


def test_unknown_format_or_language_is_refused(fake_dot):
    with pytest.raises(ValueError, match="svg, png"):
        graphs.render_dot(DOT, fmt="pdf")
    with pytest.raises(ValueError, match="lang='fr'"):
        graphs.show_dot(DOT, lang="fr")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_real_dot_draws_a_chhotograd_graph_and_rejects_nonsense():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    svg = graphs.render_dot(cg.to_dot((x * x).sum(), {"x": x})).decode("utf-8")
    assert "<svg" in svg and ">mul<" in svg and ">sum<" in svg and ">x<" in svg
    png = graphs.render_dot(DOT, fmt="png")
    assert png.startswith(b"\x89PNG")
    with pytest.raises(graphs.GraphvizError, match="syntax error"):
        graphs.render_dot("digraph { a -> }")


def test_rankdir_overrides_the_direction_of_the_dot_text(no_dot, capsys):
    lr = "digraph g {\n  rankdir=LR;\n  a -> b;\n}\n"
    tb = graphs.with_rankdir(lr, "TB")
    assert tb.index("rankdir=TB") > tb.index("rankdir=LR") and tb.rstrip().endswith("}")
    graphs.show_dot(lr, lang="en", rankdir="TB")
    assert "rankdir=TB;" in capsys.readouterr().out
    with pytest.raises(ValueError, match="TB, LR"):
        graphs.show_dot(lr, rankdir="up")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_real_dot_lays_a_chain_out_top_to_bottom_on_request():
    import re

    chain = "digraph g {\n  rankdir=LR;\n  a -> b -> c -> d;\n}\n"

    def size(dot_text):
        svg = graphs.render_dot(dot_text).decode("utf-8")
        width, height = re.search(r'width="(\d+)pt" height="(\d+)pt"', svg).groups()
        return int(width), int(height)

    wide, tall = size(chain), size(graphs.with_rankdir(chain, "TB"))
    assert wide[0] > wide[1] and tall[1] > tall[0]
