"""coursekit.colab, the first cell's preparation of a Colab session, on its own (the Colab-like
runs of whole chapters are in test_colab_cpu.py and test_colab_tpu.py)."""

from __future__ import annotations

import sys
import types

import pytest

from coursekit import colab


def test_the_course_needs_nothing_here():
    # the pinned environment holds everything the package asks for
    assert colab.missing() == []
    names = {r.name for r in colab.requirements()}
    assert {"numpy", "matplotlib"} <= names


def test_missing_lists_what_is_absent_or_too_old(monkeypatch):
    versions = {"numpy": "2.1.3", "matplotlib": "3.10.0", "scikit-learn": None, "tqdm": "4.67.3"}
    monkeypatch.setattr(
        colab, "_installed_version", lambda name: versions.get(name, "99"), raising=True
    )
    assert colab.missing() == ["matplotlib>=3.11", "scikit-learn>=1.4"]


def test_keep_constraints_hold_what_colab_ships_at_its_versions():
    import numpy

    lines = colab.keep_constraints().splitlines()
    assert f"numpy=={numpy.__version__}" in lines
    assert all(line.split("==")[0] in colab.KEEP for line in lines)
    # the kernel's own packages are held too (upgrading them can crash Colab's runtime)
    assert {"ipykernel", "tornado", "pyzmq"} <= set(colab.KEEP)


def test_stale_finds_a_module_loaded_at_another_version(monkeypatch):
    assert colab.stale(["matplotlib", "numpy"]) == []
    old = types.ModuleType("matplotlib")
    old.__version__ = "3.10.0"
    monkeypatch.setitem(sys.modules, "matplotlib", old)
    (line,) = colab.stale(["matplotlib", "numpy", "scikit-learn"])
    assert line.startswith("matplotlib 3.10.0 → 3.")


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_prepare_restarts_once_when_an_upgraded_module_is_loaded(monkeypatch, capsys, lang):
    old = types.ModuleType("matplotlib")
    old.__version__ = "3.10.0"
    monkeypatch.setitem(sys.modules, "matplotlib", old)
    restarts = []
    assert colab.prepare(lang, restart=lambda: restarts.append(1)) == []
    assert restarts == [1]
    out = capsys.readouterr().out
    assert "matplotlib 3.10.0" in out and "Run all" in out
    # without a way to restart, it says what to do instead
    colab.prepare(lang, restart=None)
    assert "Restart session" in capsys.readouterr().out


def test_prepare_installs_nothing_and_stays_quiet_when_all_is_there(monkeypatch, capsys):
    monkeypatch.setattr(colab, "install", lambda *a, **k: pytest.fail("nothing to install"))
    assert colab.prepare("en", restart=lambda: pytest.fail("no restart needed")) == []
    assert capsys.readouterr().out == ""


def test_install_failure_says_what_failed_and_what_to_do():
    with pytest.raises(colab.ColabSetupError) as info:
        colab.install(["./no-such-package.whl"], "en")
    message = str(info.value)
    assert "no-such-package.whl" in message and "Run the first cell again" in message


def test_unknown_language_is_refused_before_any_work():
    with pytest.raises(ValueError, match="languages"):
        colab.prepare("fr")


@pytest.mark.parametrize("lang", ["bn", "en"])
def test_setup_page_names_the_colab_versions_last_tested(root, lang):
    import tomllib

    listed = tomllib.loads((root / "envs" / "colab.toml").read_text(encoding="utf-8"))
    page = (root / "chapters" / lang / "setup.md").read_text(encoding="utf-8")
    dates = {"bn": listed["colab"]["date"].translate(str.maketrans("0123456789", "০১২৩৪৫৬৭৮৯"))}
    assert listed["colab"]["commit"] in page
    assert dates.get(lang, listed["colab"]["date"]) in page
    cpu = listed["runtime"]["common"] | listed["runtime"]["cpu"]
    for package in ("keras", "numpy", "matplotlib"):
        assert f"{cpu[package]}" in page, (
            f"setup page ({lang}) does not say {package} {cpu[package]}"
        )
    assert listed["runtime"]["cpu"]["tensorflow-cpu"] in page
