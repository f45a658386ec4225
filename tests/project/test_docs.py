"""Docs that stay true: every `make` target and `python -m tools...` command quoted in README and
docs/ exists, every relative link resolves and `make help` lists every target (the cost section: test_cost_doc.py)."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE = re.compile(r"```[^\n]*\n(.*?)```|`([^`\n]+)`", re.S)
MAKE = re.compile(r"(?<![\w-])make[ \t]+((?:[A-Z_]+=\S+[ \t]+)*)([a-z0-9][a-z0-9-]*)")
TOOL = re.compile(r"python3? -m (tools(?:\.[a-z_]+)+)(?:\s+([a-z][a-z-]*))?")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def quoted_code(path: Path) -> str:
    return "\n".join(a or b for a, b in CODE.findall(path.read_text(encoding="utf-8")))


def makefile_targets() -> set[str]:
    return set(re.findall(r"^([a-z0-9][a-z0-9-]*):", (ROOT / "Makefile").read_text(), re.M))


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_quoted_make_target_exists(doc: Path) -> None:
    targets = makefile_targets()
    quoted = {m.group(2) for m in MAKE.finditer(quoted_code(doc))}
    assert not quoted - targets, f"{doc.name} quotes make targets that do not exist: {sorted(quoted - targets)}"


@functools.cache
def _subcommands(module: str) -> frozenset[str] | None:
    help_text = subprocess.run([sys.executable, "-m", module, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False).stdout
    found = re.search(r"\{([a-z,-]+)\}", help_text)
    return frozenset(found.group(1).split(",")) if found else None


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_quoted_tools_command_exists(doc: Path) -> None:
    for match in TOOL.finditer(quoted_code(doc)):
        module, sub = match.group(1), match.group(2)
        path = ROOT / Path(*module.split("."))
        assert path.with_suffix(".py").is_file() or (path / "__main__.py").is_file(), f"{doc.name}: `python -m {module}` does not exist"
        subcommands = _subcommands(module)
        if subcommands is not None and sub is not None:
            assert sub in subcommands, f"{doc.name}: `python -m {module} {sub}`: no such command (has {sorted(subcommands)})"


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_resolves(doc: Path) -> None:
    for target in LINK.findall(doc.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        assert (doc.parent / target.split("#", 1)[0]).exists(), f"{doc.name}: link {target} does not resolve"


def test_make_help_lists_every_target() -> None:
    shown = subprocess.run(["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    listed = {line.split()[0] for line in shown.splitlines() if line.strip()}
    assert makefile_targets() <= listed, f"make help omits {sorted(makefile_targets() - listed)}"
    assert "test-e2e" in listed
