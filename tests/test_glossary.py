"""The glossary (glossary.yml) is complete and consistent, the Bengali chapters follow it, and the
glossary pages are generated from it.

The scan of the chapters reads prose only: code cells, inline code, maths, URLs, link targets and
titles quoted in the References section are not checked. A rejected form is found as a whole
word, also with Bengali suffixes attached (ক্ষতির, এপোকে), never inside an unrelated word.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from coursekit.authoring import glossary
from coursekit.authoring.glossary import Entry, GlossaryError, Rejected
from coursekit.lang import LANGS

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "glossary.yml"
BN_CHAPTERS = ROOT / "chapters" / "bn"


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return glossary.load_glossary(GLOSSARY)


@pytest.fixture(scope="module")
def raw_entries() -> list[dict]:
    return yaml.safe_load(GLOSSARY.read_text(encoding="utf-8"))


def scan(text: str, entries: list[Entry], path: str = "chapters/bn/99-test.md"):
    return glossary.scan_text(textwrap.dedent(text), entries, path)


def found(text: str, entries: list[Entry]) -> list[str]:
    return [f.found for f in scan(text, entries)]


# --- the data ----------------------------------------------------------------------------------


def test_glossary_has_at_least_60_concepts(entries):
    assert len(entries) >= 60, f"glossary.yml has {len(entries)} concepts; the course needs 60+"


def test_every_entry_has_all_fields(raw_entries):
    for raw in raw_entries:
        name = raw.get("id", raw)
        for key in ("id", "en", "bn", "def", "variants", "calques"):
            assert key in raw, f"{name}: field '{key}' is missing"
        for key in ("id", "en", "bn"):
            assert isinstance(raw[key], str) and raw[key].strip(), f"{name}: '{key}' is empty"
        for lang in LANGS:
            text = raw["def"].get(lang)
            assert isinstance(text, str) and text.strip(), f"{name}: def.{lang} is empty"
            assert "\n" not in text.strip(), f"{name}: def.{lang} must be one line"
        assert isinstance(raw["variants"], list), f"{name}: variants must be a list"
        assert isinstance(raw["calques"], list), f"{name}: calques must be a list"
        for calque in raw["calques"]:
            for key in ("term", "en", "bn"):
                assert str(calque.get(key, "")).strip(), f"{name}: a calque lacks '{key}'"
        if raw.get("rule") == 2:
            reason = raw.get("reason") or {}
            assert reason.get("en") and reason.get("bn"), f"{name}: rule 2 needs a reason"


def test_no_duplicate_ids_english_or_bengali_terms(entries):
    for attribute in ("id", "en", "bn"):
        values = [getattr(e, attribute).casefold() for e in entries]
        duplicates = sorted({v for v in values if values.count(v) > 1})
        assert not duplicates, f"duplicate {attribute}: {duplicates}"


def test_no_bengali_term_is_rejected_by_another_entry(entries):
    chosen = {e.bn: e.id for e in entries}
    for entry in entries:
        for rejected in entry.rejected:
            assert rejected.term.rstrip("*") not in chosen, (
                f"{entry.id} rejects '{rejected.term}', the chosen term of "
                f"{chosen[rejected.term.rstrip('*')]}"
            )


def test_no_chosen_term_is_flagged_even_inflected(entries):
    text = "\n".join(f"{e.bn} {e.bn}-এর {e.bn}গুলোকে {e.bn}টির {e.bn}ের" for e in entries)
    assert scan(text, entries) == []


def test_bengali_definitions_use_the_glossary_terms(entries):
    text = "\n".join(f"{e.id}: {e.def_bn}" for e in entries)
    findings = scan(text, entries, "glossary.yml (def.bn)")
    assert not findings, "\n".join(map(str, findings))


def raw_entry(ident="a", en="a", bn="ক", **fields) -> dict:
    """A glossary entry as glossary.yml holds it, with every required field; ``fields`` add or
    replace fields."""
    entry = {
        "id": ident,
        "en": en,
        "bn": bn,
        "def": {"en": "x", "bn": "ক"},
        "variants": [],
        "calques": [],
    }
    return {**entry, **fields}


def test_validation_rejects_duplicates_and_a_chosen_term_listed_as_rejected():
    data = [
        raw_entry("loss", "loss", "লস", variants=["লোস"]),
        raw_entry("loss-again", "Loss", "লস২"),
        raw_entry("gain", "gain", "লোস"),
    ]
    with pytest.raises(GlossaryError) as error:
        glossary.parse_glossary(data)
    message = str(error.value)
    assert "duplicate English term 'loss'" in message
    assert "rejects 'লোস', the term of gain" in message


def test_validation_names_missing_fields():
    no_calques = raw_entry()
    del no_calques["calques"]
    with pytest.raises(GlossaryError, match=r"field 'calques' is missing"):
        glossary.parse_glossary([no_calques])
    with pytest.raises(GlossaryError, match=r"'reason' needs an 'en' and a 'bn' line"):
        glossary.parse_glossary([raw_entry(rule=2)])


def test_the_calques_of_the_terminology_policy_are_all_rejected(entries):
    """The calques table of the course's terminology policy, every row."""
    owners = {r.term: e.en for e in entries for r in e.rejected}
    policy = {
        "আবর্তন": "convolution",
        "বিবর্তনীয়": "convolution",
        "পক্ষপাত": "bias (of a unit)",
        "ক্ষতি": "loss",
        "যুগ": "epoch",
        "ঘন স্তর": "dense layer",
        "শুঁটি": "pod (TPU)",
        "বালতি": "bucket (cloud storage)",
        "মেঘ TPU": "Cloud TPU",
        "অবশিষ্ট ব্লক": "residual block",
        "গভীর শিক্ষা": "deep learning",
        "গভীর জ্ঞানার্জন": "deep learning",
        "সূক্ষ্ম-টিউন*": "fine-tuning",
        "বৈধতা ডেটাসেট": "validation set",
        "তথ্য বৃদ্ধি": "data augmentation",
        "হুড অধীনে": "under the hood (idiom)",
    }
    for calque, english in policy.items():
        assert owners.get(glossary.normalize(calque)) == english, calque


# --- the scan: it fails when it should -----------------------------------------------------------


def test_a_calque_is_reported_with_file_line_and_preferred_term(entries):
    line = "প্রতিটি নিউরনের একটি পক্ষপাত থাকে।"
    text = f"# শিরোনাম\n\nপ্রথম লাইন।\n{line}\n"
    findings = glossary.scan_text(text, entries, "chapters/bn/99-test.md")
    assert len(findings) == 1
    finding = findings[0]
    column = line.index("পক্ষপাত") + 1
    assert (finding.path, finding.line, finding.column) == ("chapters/bn/99-test.md", 4, column)
    assert (finding.found, finding.preferred) == ("পক্ষপাত", "বায়াস")
    expected = f"chapters/bn/99-test.md:4:{column}: 'পক্ষপাত' → write 'বায়াস' (bias (of a unit))"
    assert str(finding).startswith(expected)


def test_a_calque_in_a_file_is_reported(entries, tmp_path):
    page = tmp_path / "chapters" / "bn" / "99-test.md"
    page.parent.mkdir(parents=True)
    page.write_text("# পরীক্ষা\n\nএই মডেলের ক্ষতি কমে আসে।\n", encoding="utf-8")
    (finding,) = glossary.scan_chapters(page.parent, entries, root=tmp_path)
    assert (finding.path, finding.line, finding.found) == ("chapters/bn/99-test.md", 3, "ক্ষতি")
    assert finding.preferred == "লস"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ক্ষতির পরিমাণ", "ক্ষতির"),
        ("প্রতিটি যুগে ডেটা একবার", "যুগে"),
        ("যুগগুলোতেই", "যুগগুলোতেই"),
        ("অটোগ্র্যাড-এর রেকর্ড", "অটোগ্র্যাড-এর"),
        ("দশটি এপোকের পরে", "এপোকের"),
        ("ওজনটিকে বদলাই", "ওজনটিকে"),
        ("ব্যাকপ্রপাগেটিং ধাপ", "ব্যাকপ্রপাগেটিং"),
        ("একটি কনভোল্যুশনাল লেয়ার", "কনভোল্যুশনাল"),
        ("মাল্টিপ্লাই-অ্যাকুমুলেটরের গ্রিড", "অ্যাকুমুলেটরের"),
        ("এর বৈধতা\nডেটাসেটে", "বৈধতা ডেটাসেটে"),
        ("একটি স্থানীয় (local) ডেরিভেটিভ", "স্থানীয় (local) ডেরিভেটিভ"),
        ("(পক্ষপাত)", "পক্ষপাত"),
    ],
)
def test_rejected_forms_are_found_with_suffixes(entries, text, expected):
    assert found(text, entries) == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "যুগল ছবি",  # pair: starts with যুগ, another word
        "ক্ষতিকর কোনো ফাইল",  # harmful: starts with ক্ষতি, another word
        "পুনরাবর্তন",  # recurrence: contains আবর্তন, not at the start
        "নিরপেক্ষ অনুমান",
        "বীজগণিত",  # algebra: starts with বীজ
        "বাকি অংশকে",
        "ওজনদার মত",
        "অ্যারেই রাখা",  # the chosen অ্যারে with the emphatic ই
    ],
)
def test_unrelated_words_are_not_reported(entries, text):
    assert found(text, entries) == []


def test_only_prose_is_checked(entries):
    page = """\
        ---
        title: যুগ
        ---

        # ক্ষতি ছাড়া শিরোনাম নয়: এটি গুনতে হবে

        কোড `ক্ষতি` আর গণিত $\\text{ক্ষতি}$ আর $$\\text{যুগ}$$ বাদ।
        লিংক [দেখুন](https://example.com/ক্ষতি) আর <https://example.com/যুগ>
        আর https://example.com/ওজন বাদ।
        <!-- ক্ষতি: মন্তব্য বাদ -->
        এখানে "পক্ষপাত" লেখা ভুল। <!-- glossary: ignore -->
        % ক্ষতি: MyST মন্তব্য বাদ

        ```{code-cell} ipython3
        # ক্ষতি: কোড সেলের কমেন্ট বাদ
        print("যুগ")
        ```

        ```{note}
        :class: dropdown
        নোটের ভেতরের ক্ষতি গুনতে হবে।
        ```

        $$
        \\text{পক্ষপাত}
        $$

        ## তথ্যসূত্র ও কৃতজ্ঞতা

        - লেখক, "গভীর শিক্ষা পরিচিতি", *গভীর শিক্ষা পত্রিকা*: উদ্ধৃত শিরোনাম বাদ, কিন্তু এই ক্ষতি নয়।
        """
    findings = scan(page, entries)
    assert [(f.line, f.found) for f in findings] == [(5, "ক্ষতি"), (21, "ক্ষতি"), (30, "ক্ষতি")]


def test_finding_names_the_calque_and_why(entries):
    (finding,) = scan("একটি নিউরনের পক্ষপাত", entries)
    assert "means prejudice" in str(finding)


def check_page(tmp_path, text: str) -> subprocess.CompletedProcess:
    """The glossary's command line on one page holding ``text``."""
    page = tmp_path / "99-test.md"
    page.write_text(text, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "coursekit.authoring.glossary", str(page)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )


def test_command_line_check_fails_on_a_calque(tmp_path):
    result = check_page(tmp_path, "প্রতিটি এপক নয়, প্রতিটি যুগ।\n")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "'যুগ' → write 'এপক' (epoch)" in result.stdout


# --- synonyms and senses: drift the calques cannot see ---------------------------------------


@pytest.mark.parametrize(
    "text, found, preferred",
    [
        # ক্লাস for a category: the sense of "class" the book writes শ্রেণি
        ("ImageNet-এর ১,০০০টি ক্লাসের জন্য একটি লেয়ার।", "ক্লাসের", "শ্রেণি"),
        ("গ্রাফিম রুটের ১৬৮টি ক্লাস, কারের ১১টি।", "ক্লাস", "শ্রেণি"),
        ("আমাদের ক্লাসে দুটির কোনোটিই নেই।", "ক্লাসে", "শ্রেণি"),
        # synonyms of the chosen terms
        ("float16-এর নির্ভুলতা bfloat16-এর চেয়ে বেশি।", "নির্ভুলতা", "প্রিসিশন"),
        ("bfloat16-এর সূক্ষ্মতা কম।", "সূক্ষ্মতা", "প্রিসিশন"),
        ("তিনটি লসের ওজনযুক্ত গড়।", "ওজনযুক্ত", "ওয়েটেড"),
        ("সঠিক উত্তরগুলো থাকে কর্ণে।", "কর্ণে", "ডায়াগোনাল"),
        ("ওয়ান-সাইকেল লার্নিং রেট সূচি", "সূচি", "লার্নিং রেট শিডিউল"),
    ],
)
def test_synonyms_and_a_word_in_the_wrong_sense_are_reported(entries, text, found, preferred):
    findings = scan(text, entries)
    assert [(f.found, f.preferred) for f in findings] == [(found, preferred)], findings
    assert findings[0].why, "a synonym or a sense says why it is not used"


@pytest.mark.parametrize(
    "text",
    [
        "ছোট্ট একটি স্কেলার `Value` ক্লাস, আর তার মেথড।",
        "যেকোনো Python ক্লাস পিকল করা যায়।",
        "Python-এর ক্লাস আর এক ফাংশনের ভেতরে আরেক ফাংশন।",
        "পাইথনের ক্লাসের নাম যেভাবে লেখার রীতি।",
        "`PyDataset` ক্লাসের একটি সাবক্লাস তিনটি মেথড লেখে।",
        "একটি ক্লাসিফায়ার দশটি শ্রেণির একটি বাছে।",
        "যেখানে সূচিপত্র আছে, আর সূক্ষ্মভাবে মাপা হয়।",
    ],
)
def test_the_other_sense_and_longer_words_are_not_reported(entries, text):
    assert found(text, entries) == []


def test_the_fixed_sense_is_found_when_the_code_is_not_right_before_it(entries):
    # Inline code elsewhere in the sentence does not make ক্লাস a Python class.
    assert found("১,০০০টি ক্লাসের জন্য (torchvision-এর `resnet34` যে সংখ্যা জানায়)", entries) == ["ক্লাসের"]


def test_a_sense_needs_after_and_only_a_sense_takes_it():
    with pytest.raises(GlossaryError, match=r"sense 'খ' needs 'after'"):
        glossary.parse_glossary([raw_entry(senses=[{"term": "খ", "en": "y", "bn": "য"}])])
    with pytest.raises(GlossaryError, match=r"only a sense takes 'after' \(synonym 'খ'\)"):
        glossary.parse_glossary(
            [raw_entry(synonyms=[{"term": "খ", "en": "y", "bn": "য", "after": ["`"]}])]
        )
    with pytest.raises(GlossaryError, match=r"synonym 'খ' needs why in 'en' and 'bn'"):
        glossary.parse_glossary([raw_entry(synonyms=[{"term": "খ", "en": "y"}])])


def test_the_command_line_check_fails_on_each_kind_of_drift(tmp_path):
    result = check_page(
        tmp_path, "ResNet-34-এর শেষে ১,০০০টি ক্লাস। float16-এর নির্ভুলতা বেশি। তিনটি লসের ওজনযুক্ত গড়।\n"
    )
    assert result.returncode == 1, result.stdout + result.stderr
    for expected in (
        "'ক্লাস' → write 'শ্রেণি'",
        "'নির্ভুলতা' → write 'প্রিসিশন'",
        "'ওজনযুক্ত' → write 'ওয়েটেড'",
    ):
        assert expected in result.stdout


# --- the chapters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page", glossary.bengali_pages(BN_CHAPTERS), ids=lambda p: p.relative_to(ROOT).as_posix()
)
def test_bengali_chapter_uses_only_glossary_terms(entries, page):
    findings = glossary.scan_file(page, entries, root=ROOT)
    assert not findings, (
        f"{len(findings)} rejected form(s); write the glossary's term instead:\n"
        + "\n".join(map(str, findings))
    )


# --- the pages ------------------------------------------------------------------------------------


def test_bengali_order_follows_the_alphabet():
    terms = ["TPU", "ক্ষয়", "কা", "কথা", "অক্ষ", "আকার", "১×১", "Adam", "অ্যারে"]
    ordered = sorted(terms, key=glossary.bengali_sort_key)
    assert ordered == ["১×১", "অক্ষ", "অ্যারে", "আকার", "কথা", "কা", "ক্ষয়", "Adam", "TPU"]


@pytest.mark.parametrize("lang", LANGS)
def test_table_has_one_anchored_row_per_concept_in_order(entries, lang):
    from docutils import nodes

    table = glossary.glossary_table(entries, lang)
    rows = list(table.findall(nodes.row))[1:]  # the header row first
    ids = [row["ids"][0] for row in rows]
    assert ids == [e.anchor for e in glossary.sorted_entries(entries, lang)]
    assert len(set(ids)) == len(entries)
    first_terms = [row[0].astext().split("\n")[0] for row in rows]
    assert first_terms == [e.term(lang) for e in glossary.sorted_entries(entries, lang)]


@pytest.mark.parametrize(("lang", "title"), [("bn", "# পরিভাষা"), ("en", "# Glossary")])
def test_glossary_pages_exist_as_plain_pages_with_the_directive(lang, title):
    page = ROOT / "chapters" / lang / "glossary.md"
    text = page.read_text(encoding="utf-8")
    assert not text.startswith("---"), f"{page} must be a plain page, without front matter"
    assert "```{course-glossary}" in text and f":lang: {lang}" in text
    assert text.startswith(title + "\n")


def test_directive_renders_the_table_with_anchors_and_labels(tmp_path):
    """A small Sphinx site: the glossary page builds without warnings, with its stylesheet, and
    links reach its rows."""
    pytest.importorskip("myst_parser")
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        "extensions = ['myst_parser', 'coursekit.authoring.glossary']\n"
        f"course_glossary_path = {str(GLOSSARY)!r}\n",
        encoding="utf-8",
    )
    (src / "index.md").write_text(
        "# Index\n\n```{toctree}\nglossary\n```\n\nSee {ref}`glossary-bn-bias`.\n",
        encoding="utf-8",
    )
    (src / "glossary.md").write_text(
        "# পরিভাষা\n\n```{course-glossary}\n:lang: bn\n```\n", encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    html = (tmp_path / "out" / "glossary.html").read_text(encoding="utf-8")
    assert 'id="term-bias"' in html
    assert "পক্ষপাত" in html and "বায়াস" in html
    # synonyms and senses are listed with why: নির্ভুলতা under precision, ক্লাস under class
    assert "নির্ভুলতা" in html and "ক্লাস</strong> (এই অর্থে)" in html
    assert 'href="_static/glossary.css' in html, "the table's stylesheet is not linked"
    css = (tmp_path / "out" / "_static" / "glossary.css").read_text(encoding="utf-8")
    assert "table.course-glossary" in css
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="glossary.html#term-bias"' in index


def test_rejected_stem_is_shown_with_an_ellipsis():
    assert Rejected("কনভোল্যুশন*", "variant").shown == "কনভোল্যুশন…"
