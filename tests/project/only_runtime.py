"""Run the project as a venv holding only requirements-runtime.txt would: every top-level module that
is not the standard library's, the project's or in ``$RUNTIME_MODULES`` is "not installed".

    python tests/project/only_runtime.py synth              # main.py, as `make synth` runs it
    python tests/project/only_runtime.py imports MODULE...  # import each module and, transitively, every
                                                            # project module its code names (also inside
                                                            # functions), and every import those name

Prints ``refused: a,b`` (top-level names refused along the way) on stderr; ``imports`` fails on the first
import that cannot be satisfied.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = set(json.loads(os.environ["PROJECT_MODULES"]))
ALLOWED = set(json.loads(os.environ["RUNTIME_MODULES"])) | set(sys.stdlib_module_names) | PROJECT
refused: set[str] = set()


class OnlyRuntime:
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        top = name.partition(".")[0]
        # Private stdlib modules: _<name> C parts, and sysconfig's build-time data (_sysconfigdata_*).
        if top in ALLOWED or (top.startswith("_") and top[1:] in sys.stdlib_module_names) or top.startswith("_sysconfigdata_"):
            return None
        refused.add(top)
        raise ModuleNotFoundError(f"No module named {top!r} (not in requirements-runtime.txt)", name=top)


def _named_imports(module_name: str, path: Path) -> list[str]:
    """Every module an ``import`` in the file names, outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text())
    skipped = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test) for n in ast.walk(node)}
    package = module_name if path.name == "__init__.py" else module_name.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module or ""
            names += [base, *(f"{base}.{alias.name}" for alias in node.names if alias.name != "*")]
    return names


def imports(entries: list[str]) -> None:
    todo, seen = list(entries), set()
    while todo:
        name = todo.pop()
        if name in seen or name == "__future__":
            continue
        seen.add(name)
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            parent = name.rpartition(".")[0]
            if exc.name == name and parent in sys.modules:
                continue  # ``from package import attribute``: not a module
            raise
        origin = Path(getattr(module, "__file__", None) or "/")
        if name.partition(".")[0] in PROJECT and ROOT in origin.parents:
            todo += _named_imports(name, origin)


def main() -> None:
    sys.meta_path.insert(0, OnlyRuntime())
    sys.path.insert(0, str(ROOT))
    try:
        if sys.argv[1] == "synth":
            sys.argv = ["main.py"]
            runpy.run_path(str(ROOT / "main.py"), run_name="__main__")
        else:
            imports(sys.argv[2:])
    finally:
        print("refused:", ",".join(sorted(refused)), file=sys.stderr)


if __name__ == "__main__":
    main()
