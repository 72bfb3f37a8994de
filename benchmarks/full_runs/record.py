"""Run a chapter's notebook top to bottom and keep what it printed, as a log the chapter can cite.

A number the chapters quote from a run they cannot repeat in quick mode (a full run, or a sweep
over seeds) comes with its log in ``benchmarks/full_runs/logs/``: this script writes it. It
executes the notebook (the English one by default) in a fresh kernel of the Python that runs the
script, with the run mode and the settings given, and writes, atomically and only when the
notebook ran to the end::

    # header: chapter, mode, settings, command, machine, versions, date, wall time
    ---- code cell 3
    <the text that cell printed>

Examples (the data folder as in the README; add ``KERAS_BACKEND=jax`` for the JAX backend)::

    .venv/bin/python benchmarks/full_runs/record.py 06 --mode full
    KERAS_BACKEND=jax .venv/bin/python benchmarks/full_runs/record.py 10 --mode quick \\
        --seeds 0 1 2 --tag jax --summary "validation accuracy"

``--set NAME=VALUE`` replaces the value of a top-level assignment ``NAME = ...`` in the code
cells before they run; ``--seeds 0 1 2`` runs the notebook once per seed (the chapters'
``SEED = 0``), each in a fresh kernel, into one log. The log's header says what was set.
``--summary REGEX`` repeats, in a last section, the printed lines that match (a sweep's table).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import os
import platform
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from coursekit.files import write_atomic  # noqa: E402

LOGS = Path(__file__).resolve().parent / "logs"


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    gpu = "no GPU"
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        if out.returncode == 0 and out.stdout.strip():
            gpu = out.stdout.strip().replace("\n", ", ")
    except (OSError, subprocess.SubprocessError):
        pass
    return f"{os.cpu_count()}-core {platform.machine()} ({cpu}){memory}, {gpu}"


def _versions() -> str:
    from importlib import metadata

    found = [f"Python {platform.python_version()}"]
    for name in ("numpy", "torch", "tensorflow", "tensorflow-cpu", "jax", "keras"):
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    return ", ".join(found)


def _set(source: str, name: str, value: str) -> tuple[str, int]:
    pattern = re.compile(rf"^{re.escape(name)}\s*=\s*.*$", re.MULTILINE)
    return pattern.subn(f"{name} = {value}", source)


def _text_of(output: dict) -> str:
    if output.get("output_type") == "stream":
        return output.get("text", "")
    if output.get("output_type") in ("execute_result", "display_data"):
        return output.get("data", {}).get("text/plain", "") + "\n"
    if output.get("output_type") == "error":
        return f"{output.get('ename')}: {output.get('evalue')}\n"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chapter", help="the chapter's number, e.g. 06")
    parser.add_argument("--mode", choices=("quick", "full"), required=True)
    parser.add_argument("--lang", choices=("en", "bn"), default="en")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--tag", default="", help="added to the log's name (e.g. jax)")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[], help="run once per seed (SEED = k)"
    )
    parser.add_argument("--summary", default="", metavar="REGEX")
    parser.add_argument("--logs", type=Path, default=LOGS, help="folder of the log (logs/)")
    parser.add_argument("--timeout", type=int, default=4 * 3600, help="seconds per cell")
    args = parser.parse_args(argv)

    import nbformat
    from nbclient import NotebookClient

    matches = sorted((ROOT / "chapters" / args.lang).glob(f"{int(args.chapter):02d}-*.ipynb"))
    if len(matches) != 1:
        parser.error(f"no single notebook for chapter {args.chapter} in chapters/{args.lang}")
    notebook_path = matches[0]
    notebook = nbformat.read(notebook_path, as_version=4)
    for setting in args.set:
        name, sep, value = setting.partition("=")
        if not sep or not name.isidentifier():
            parser.error(f"--set takes NAME=VALUE, got {setting!r}")
        count = 0
        for cell in notebook.cells:
            if cell.cell_type == "code":
                cell.source, n = _set(cell.source, name, value)
                count += n
        if count == 0:
            parser.error(f"no top-level assignment '{name} = ...' in {notebook_path.name}")

    if args.seeds and not any(
        _set(cell.source, "SEED", "0")[1] for cell in notebook.cells if cell.cell_type == "code"
    ):
        parser.error(f"--seeds needs a top-level 'SEED = ...' in {notebook_path.name}")

    os.environ["COURSE_MODE"] = args.mode
    date = dt.date.today().isoformat()
    runs = []  # (label, executed notebook, seconds)
    for seed in args.seeds or [None]:
        run = nbformat.from_dict(copy.deepcopy(notebook))
        if seed is not None:
            for cell in run.cells:
                if cell.cell_type == "code":
                    cell.source, _ = _set(cell.source, "SEED", str(seed))
        started = time.monotonic()
        NotebookClient(
            run,
            timeout=args.timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(notebook_path.parent)}},
        ).execute()
        label = f"seed {seed}" if seed is not None else ""
        runs.append((label, run, time.monotonic() - started))

    env = " ".join(
        f"{key}={os.environ[key]}"
        for key in ("KERAS_BACKEND", "TF_ENABLE_ONEDNN_OPTS", "OMP_NUM_THREADS")
        if key in os.environ
    )
    command = " ".join(
        part
        for part in (
            f"COURSE_MODE={args.mode} COURSE_DATA_DIR=<data folder>",
            env,
            ".venv/bin/python benchmarks/full_runs/record.py",
            shlex.join(sys.argv[1:] if argv is None else argv),
        )
        if part
    )
    settings = args.set + ([f"SEED in {args.seeds}"] if args.seeds else [])
    seconds = sum(run[2] for run in runs)
    lines = [
        f"# Chapter {args.chapter}, {args.mode} mode, {notebook_path.relative_to(ROOT)}, "
        f"run of {date}" + (f", with {', '.join(settings)}" if settings else ""),
        f"# Command: {command}",
        f"# Machine: {_machine()}",
        f"# Versions: {_versions()}",
        f"# The notebook ran top to bottom {len(runs)} time(s), {seconds:.0f} s in all; below,"
        " what its code cells printed.",
        "",
    ]
    summary = []
    pattern = re.compile(args.summary) if args.summary else None
    for label, run, run_seconds in runs:
        if label:
            lines.append(f"==== {label} ({run_seconds:.0f} s)")
        for index, cell in enumerate(run.cells, 1):
            if cell.cell_type != "code":
                continue
            text = "".join(_text_of(output) for output in cell.get("outputs", []))
            if text.strip():
                lines += [f"---- code cell {index}", text.rstrip("\n")]
                if pattern:
                    found = [line for line in text.splitlines() if pattern.search(line)]
                    summary += [f"{label}: {line}" if label else line for line in found]
    if pattern:
        lines += ["---- summary", *summary]
    name = f"ch{int(args.chapter):02d}_{args.mode}{'_' + args.tag if args.tag else ''}_{date}.txt"
    args.logs.mkdir(parents=True, exist_ok=True)
    write_atomic(args.logs / name, "\n".join(lines) + "\n")
    print(f"wrote {args.logs / name} ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
