"""The Bengali pages keep the writing rules a program can check (coursekit.authoring.bnstyle):
Bengali digits in prose, lakh grouping, one form of section reference, আপনি, one English gloss
at a time, and no English "error" outside a gloss. Each rule is shown to fail on a bad line and
to leave the right forms alone; then every Bengali page is checked.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from coursekit.authoring import bnstyle

ROOT = Path(__file__).resolve().parents[1]
BN_PAGES = sorted(
    p for p in (ROOT / "chapters" / "bn").glob("*.md") if p.name not in bnstyle.UNCHECKED_PAGES
)


def rules(text: str, path: str = "chapters/bn/99-test.md") -> list[tuple[str, str]]:
    return [(p.rule, p.found) for p in bnstyle.check_text(text, path)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("২০ এপকে লেগেছিল 259 s।", [("digits", "259")]),
        ("অঙ্কের ছবিগুলো (প্রায় 0.6 MB)।", [("digits", "0.6")]),
        ("| ইনপুট | 1 × 8 × 8 |", [("digits", "1"), ("digits", "8"), ("digits", "8")]),
        ("মোট ২১,৭৯৭,৬৭২টি প্যারামিটার।", [("lakh", "২১,৭৯৭,৬৭২")]),
        ("এর প্যারামিটার ১১,৬৮৯,৫১২টি।", [("lakh", "১১,৬৮৯,৫১২")]),
        ("৩.৩ অংশে দেখব।", [("section", "৩.৩ অংশ")]),
        ("৬.৫ ও ৬.৭ অংশের ট্রেনিং।", [("section", "৬.৫ ও ৬.৭ অংশ")]),
        ("তুমি নিজে চালিয়ে দেখো।", [("address", "তুমি"), ("address", "দেখো")]),
        ("অধ্যায় ৪ (অটোগ্রাড (autograd) এবং ধাপ)।", [("gloss", "(autograd)")]),
        ("ওয়েট (weight) (parameter) বদলায়।", [("gloss", "(weight) (parameter)")]),
        ("কোনো error ছাড়াই চলে।", [("english", "error")]),
    ],
)
def test_each_rule_reports_a_bad_line(text, expected):
    assert rules(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "২০ এপকে লেগেছিল ২৫৯ s, প্রায় ০.৬ MB, ৩ × ৩ কনভোলিউশন।",
        "ResNet-34, float32, bfloat16 আর TPU v2-8; TensorFlow 2.21 আর Python 3.11-এ।",
        "Keras 3.13.2 আর jax 0.7.2: সংস্করণ একটি নাম।",
        "মোট ২,১৭,৯৭,৬৭২টি প্যারামিটার; কোডল্যাবের ১,২০,৬১৩টি; ১,০০০টি শ্রেণি।",
        "অংশ ৩.৩-এ দেখব; অধ্যায় ৩ আর অংশ ১২.৪।",
        "আপনি নিজে চালিয়ে দেখুন।",
        "কোনো এরর (error) ছাড়াই চলে; গড় বর্গ-লস (mean squared error)।",
        "1. প্রথম ধাপ\n2. দ্বিতীয় ধাপ",
        "কোডে `x = 259` আর গণিতে $0.6$ যেমন আছে তেমন থাকে।",
        "*১×১ কনভোলিউশন* (1×1 convolution) কী হিসাব করে।",
        "## তথ্যসূত্র\n\n- K. He, X. Zhang (2016), Deep residual learning, 770–778.",
    ],
)
def test_the_right_forms_are_left_alone(text):
    assert rules(text) == []


def test_the_credits_page_is_a_bibliography():
    line = "| CMATERdb | Das ও সহকর্মীরা (2012), 1592–1606 |"
    assert rules(line, "chapters/bn/credits.md") == []
    assert rules(line) != []


def test_a_problem_names_file_line_column_and_advice():
    (problem,) = bnstyle.check_text("প্রথম লাইন।\nমোট ২১,৭৯৭,৬৭২টি।", "chapters/bn/08-resnet.md")
    assert str(problem).startswith("chapters/bn/08-resnet.md:2:5: [lakh] '২১,৭৯৭,৬৭২'")
    assert "২,১৭,৯৭,৬৭২" in str(problem)


def test_the_command_fails_on_a_bad_page_and_passes_a_good_one(tmp_path):
    def run(text: str) -> subprocess.CompletedProcess:
        (tmp_path / "99-test.md").write_text(text, encoding="utf-8")
        return subprocess.run(
            [sys.executable, "-m", "coursekit.authoring.bnstyle", str(tmp_path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )

    bad = run("৩.২ অংশে লেগেছিল 259 s।\n")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "[section]" in bad.stdout and "[digits]" in bad.stdout
    good = run("অংশ ৩.২-এ লেগেছিল ২৫৯ s।\n")
    assert good.returncode == 0, good.stdout + good.stderr


@pytest.mark.parametrize("page", BN_PAGES, ids=lambda p: p.name)
def test_bengali_page_keeps_the_writing_rules(page):
    problems = bnstyle.check_text(page.read_text(encoding="utf-8"), f"chapters/bn/{page.name}")
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(map(str, problems))


@pytest.mark.parametrize(
    "page", sorted((ROOT / "chapters" / "en").glob("*.md")), ids=lambda p: f"en/{p.name}"
)
def test_english_pages_name_sections_one_way_too(page):
    """The English twins write "section 3.2", as the Bengali ones write "অংশ ৩.২": never "§3.2"."""
    from coursekit.authoring.glossary.markdown import prose_only

    lines = prose_only(page.read_text(encoding="utf-8")).split("\n")
    found = [f"{page.name}:{n}: {line.strip()}" for n, line in enumerate(lines, 1) if "§" in line]
    assert not found, "write 'section N.M':\n" + "\n".join(found)
