"""The package's layers hold (runtime modules never import the checks or the authoring tools,
chhotograd imports no coursekit), and every
bilingual table goes through ``coursekit.lang`` (ARCHITECTURE.md explains both rules).

Both checks read the source with ``ast``; each is also run on a small bad example, so a check
that stopped finding anything would fail here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
LANG_KEYS = {"bn", "en"}


def _module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """Absolute names of what an import statement imports (relative ones resolved); for
    ``from package import name`` that is ``package.name``, a module or an attribute."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".")
            base = base if is_package else base[:-1]
            base = base[: len(base) - (node.level - 1)]
            prefix = ".".join(base + ([node.module] if node.module else []))
        else:
            prefix = node.module or ""
        return [f"{prefix}.{alias.name}" for alias in node.names]
    return []


def layer_of(module: str) -> str:
    """The layer a module belongs to (ARCHITECTURE.md): runtime, checks, authoring or chhotograd."""
    if module.split(".")[0] == "chhotograd":
        return "chhotograd"
    for prefix, layer in (("coursekit.authoring", "authoring"), ("coursekit.exercises", "checks")):
        if module == prefix or module.startswith(prefix + "."):
            return layer
    if module == "coursekit.checks" or module.startswith("coursekit.checks."):
        return "checks"
    return "runtime"


# layer -> the layers it must not import
FORBIDDEN = {
    "runtime": {"checks", "authoring"},
    "checks": {"authoring"},
    "chhotograd": {"runtime", "checks", "authoring"},
    "authoring": set(),
}


def layer_violations(src: Path) -> list[str]:
    """'file:line (layer) imports name (layer)' for every import a layer may not make."""
    found = []
    for path in sorted(src.rglob("*.py")):
        module = _module_name(path, src)
        layer = layer_of(module)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            for name in _imported(node, module, path.name == "__init__.py"):
                if name.split(".")[0] not in ("coursekit", "chhotograd"):
                    continue
                if layer_of(name) in FORBIDDEN[layer]:
                    where = f"{path.relative_to(src)}:{node.lineno}"
                    found.append(f"{where} ({layer}) imports {name} ({layer_of(name)})")
    return found


def _is_lang_table(node: ast.AST) -> bool:
    keys = {k.value for k in getattr(node, "keys", []) if isinstance(k, ast.Constant)}
    return isinstance(node, ast.Dict) and LANG_KEYS <= keys


def _is_lang_list(node: ast.AST) -> bool:
    if not isinstance(node, (ast.Tuple, ast.List, ast.Set)) or not node.elts:
        return False
    values = [e.value if isinstance(e, ast.Constant) else None for e in node.elts]
    return set(values) == LANG_KEYS


def language_tables(src: Path) -> list[str]:
    """Language tables or lists outside coursekit/lang.py that do not go through Messages.

    A dict keyed by both "bn" and "en" is a language table. It is allowed only as the argument
    of ``Messages(...)``, or bound to a name that the same module hands to ``Messages(...)``. A
    tuple, list or set of exactly the two language codes is a second language list: use
    ``coursekit.lang.LANGS``.
    """
    found = []
    for path in sorted(src.rglob("*.py")):
        if path == src / "coursekit" / "lang.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        handed = set()  # ids of dicts given to Messages, and names given to it
        names_given = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Messages":
                for arg in node.args:
                    handed.add(id(arg))
                    if isinstance(arg, ast.Name):
                        names_given.add(arg.id)
        for node in ast.walk(tree):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(getattr(t, "id", None) in names_given for t in targets):
                    handed.add(id(node.value))
        for node in ast.walk(tree):
            where = f"{path.relative_to(src)}:{getattr(node, 'lineno', '?')}"
            if _is_lang_table(node) and id(node) not in handed:
                found.append(f"{where}: a table keyed by 'bn' and 'en' that is not a Messages")
            elif _is_lang_list(node):
                found.append(f"{where}: a list of the languages; use coursekit.lang.LANGS")
    return found


def test_each_layer_imports_only_the_layers_below_it():
    assert layer_violations(SRC) == []


def test_every_language_table_goes_through_the_language_module():
    assert language_tables(SRC) == []


def test_the_authoring_tools_are_not_loaded_by_notebook_imports():
    """What a chapter imports at run time loads no authoring module (checked in a fresh process)."""
    import subprocess
    import sys

    code = (
        "import sys, coursekit, coursekit.colab, coursekit.checks, coursekit.data, "
        "coursekit.graphs, coursekit.hardware, coursekit.kerastools, coursekit.pretrained, "
        "coursekit.squeezenet, coursekit.torchtools, coursekit.flowers, coursekit.datasets\n"
        "from coursekit.exercises import ch01, ch06, ch12\n"
        "print(sorted(m for m in sys.modules if m.startswith('coursekit.authoring')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


BAD_RUNTIME = """\
from {dots}authoring import book
def later():
    from coursekit.authoring.glossary import load
"""

BAD_TABLES = """\
from coursekit.lang import Messages
GOOD = {"en": {"a": "x"}, "bn": {"a": "y"}}
text = Messages(GOOD)
inline = Messages({"en": {"a": "x"}, "bn": {"a": "y"}})
BAD = {"en": "yes", "bn": "হ্যাঁ"}
LANGS = ("bn", "en")
"""


@pytest.mark.parametrize(
    ("where", "dots"), [("coursekit/graphs.py", "."), ("coursekit/data/store.py", "..")]
)
def test_the_import_check_finds_an_authoring_import(tmp_path, where, dots):
    path = tmp_path / where
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(BAD_RUNTIME.format(dots=dots))
    (tmp_path / "coursekit" / "authoring").mkdir()
    (tmp_path / "coursekit" / "authoring" / "book.py").write_text("from ..graphs import x\n")
    (tmp_path / "chhotograd").mkdir()
    (tmp_path / "chhotograd" / "nn.py").write_text("from coursekit import lang\n")
    found = layer_violations(tmp_path)
    assert [line.split(" imports ")[1] for line in found] == [
        "coursekit.lang (runtime)",
        "coursekit.authoring.book (authoring)",
        "coursekit.authoring.glossary.load (authoring)",
    ]


def test_the_import_check_finds_a_runtime_module_importing_the_checks(tmp_path):
    (tmp_path / "coursekit").mkdir()
    (tmp_path / "coursekit" / "graphs.py").write_text("from .exercises import ch01\n")
    (tmp_path / "coursekit" / "checks.py").write_text("from .graphs import show_dot\n")
    assert layer_violations(tmp_path) == [
        "coursekit/graphs.py:1 (runtime) imports coursekit.exercises.ch01 (checks)",
    ]


def test_the_table_check_finds_a_second_table_and_a_second_language_list(tmp_path):
    (tmp_path / "coursekit").mkdir()
    (tmp_path / "coursekit" / "thing.py").write_text(BAD_TABLES)
    found = language_tables(tmp_path)
    assert [line.split(": ", 1)[0] for line in found] == [
        "coursekit/thing.py:5",
        "coursekit/thing.py:6",
    ]
