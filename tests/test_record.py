"""benchmarks/full_runs/record.py: the script that writes the logs the chapters quote.

Running a chapter is what the notebook tests do; here: its settings reach the code, its refusals
are clear, and a finished run leaves one log with the header the chapters cite (chapter 1, whose
quick run takes seconds).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "full_runs" / "record.py"


@pytest.fixture(scope="module")
def record():
    spec = importlib.util.spec_from_file_location("record", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=600,
    )


def test_set_replaces_only_a_top_level_assignment(record):
    source = "SEED = 0\nrng = make(SEED)\n    SEED = 5  # inside a function\nSEEDS = [0]\n"
    changed, count = record._set(source, "SEED", "3")
    assert count == 1
    assert changed.splitlines()[0] == "SEED = 3"
    assert "    SEED = 5" in changed and "SEEDS = [0]" in changed


@pytest.mark.parametrize(
    "args, message",
    [
        (["99", "--mode", "quick"], "no single notebook for chapter 99"),
        (["01", "--mode", "quick", "--seeds", "0", "1"], "--seeds needs a top-level 'SEED = ...'"),
        (["01", "--mode", "quick", "--set", "NOPE=1"], "no top-level assignment 'NOPE = ...'"),
        (["01", "--mode", "quick", "--set", "1x"], "--set takes NAME=VALUE"),
    ],
)
def test_bad_arguments_are_refused_with_a_reason(args, message):
    result = run(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert message in result.stderr


def test_a_run_writes_one_log_with_its_header(tmp_path):
    result = run(
        "01",
        "--mode",
        "quick",
        "--tag",
        "selftest",
        "--summary",
        "after 60 steps",
        "--logs",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (log,) = tmp_path.glob("ch01_quick_selftest_*.txt")
    text = log.read_text(encoding="utf-8")
    header = text.splitlines()[:5]
    assert header[0].startswith("# Chapter 01, quick mode, chapters/en/01-gradient-descent.ipynb")
    assert header[1].startswith("# Command: COURSE_MODE=quick")
    assert header[2].startswith("# Machine: ") and header[3].startswith("# Versions: Python")
    assert "---- code cell" in text
    summary = text.split("---- summary\n", 1)[1]
    assert summary.startswith("after 60 steps: w = ")
