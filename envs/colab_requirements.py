"""Print the pip requirements of one Colab-like runtime from envs/colab.toml.

    python envs/colab_requirements.py cpu    # Colab's CPU/GPU runtime (with TensorFlow)
    python envs/colab_requirements.py tpu    # Colab's TPU runtime (no TensorFlow)

Each runtime is the ``common`` table plus its own (its own wins where both name a package).
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

FILE = Path(__file__).with_name("colab.toml")


def runtime(name: str, path: Path = FILE) -> dict[str, str]:
    tables = tomllib.loads(path.read_text(encoding="utf-8"))["runtime"]
    if name == "common" or name not in tables:
        choices = ", ".join(sorted(set(tables) - {"common"}))
        raise SystemExit(f"unknown runtime {name!r}; {path.name} describes: {choices}")
    return {**tables["common"], **tables[name]}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        raise SystemExit(__doc__)
    for package, version in runtime(argv[0]).items():
        print(f"{package}=={version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
