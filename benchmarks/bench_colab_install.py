"""How long the chapters' first cell takes in a Colab-like session, and how much it downloads.

The session is the one the tests use (tests/colab_harness.py): a fresh overlay on
``.venv-colab-cpu`` (``make test`` builds it from envs/colab.toml), with an empty pip cache so that
everything is downloaded from the package registry as in a new Colab runtime. The first cell's two
steps run as in the notebook: the course package alone (here from its wheel; in Colab pip clones the
repository), then ``coursekit.colab.prepare`` (what Colab lacks: matplotlib >= 3.11). The time of
each step, the bytes pip downloaded, and the size of the repository's files at HEAD (gzip, roughly
what Colab's clone fetches besides history) are printed::

    .venv/bin/python benchmarks/bench_colab_install.py --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from colab_harness import build_wheel, new_session  # noqa: E402

PREPARE = "from coursekit import colab; colab.prepare(lang='en', restart=None)"


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def one_round(wheel: Path, base: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="colab-install-") as scratch:
        scratch = Path(scratch)
        session = new_session(base, scratch, "bench")
        env = {**os.environ, "PIP_CACHE_DIR": str(scratch / "pip-cache")}
        env.pop("PIP_FIND_LINKS", None)
        start = time.perf_counter()
        subprocess.run(
            [str(session.python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
            check=True,
            env=env,
        )
        course_s = time.perf_counter() - start
        start = time.perf_counter()
        done = subprocess.run(
            [str(session.python), "-c", PREPARE],
            check=True,
            env=env,
            capture_output=True,
            text=True,
        )
        prepare_s = time.perf_counter() - start
        # What pip fetched for prepare: the same files again, into a folder, to weigh them (pip
        # may have read them from a local mirror of the registry rather than its cache).
        fetched = scratch / "fetched"
        wanted = [f"{n}=={v}" for n, v in session.installed().items() if n != "dl-bangla-course"]
        subprocess.run(
            [str(session.python), "-m", "pip", "download", "-q", "--no-deps", "-d", str(fetched)]
            + wanted,
            check=True,
            env=env,
        )
        return {
            "course_s": course_s,
            "prepare_s": prepare_s,
            "downloaded": folder_bytes(fetched),
            "installed": sorted(session.installed().items()),
            "said": done.stdout.strip(),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    base = ROOT / ".venv-colab-cpu"
    with tempfile.TemporaryDirectory() as scratch:
        wheel = build_wheel(Path(scratch))
        rounds = [one_round(wheel, base) for _ in range(args.rounds)]
        wheel_bytes = wheel.stat().st_size
    archive = subprocess.run(
        ["git", "archive", "--format=tar.gz", "HEAD"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    print(f"first cell in a Colab-like session, median of {args.rounds} rounds, empty pip cache")
    course_s = statistics.median(r["course_s"] for r in rounds)
    prepare_s = statistics.median(r["prepare_s"] for r in rounds)
    print(f"  install the course (--no-deps)  {course_s:6.1f} s")
    print(f"  colab.prepare                   {prepare_s:6.1f} s")
    print(f"  prepare downloads               {max(r['downloaded'] for r in rounds) / 1e6:6.1f} MB")
    print(f"  the course's wheel              {wheel_bytes / 1e6:6.1f} MB")
    print(f"  repository files at HEAD, gzip  {len(archive) / 1e6:6.1f} MB")
    print(f"  installed: {rounds[-1]['installed']}")
    print(f"  it said: {rounds[-1]['said']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
