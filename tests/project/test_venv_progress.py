"""``make venv`` says what it does while pip works, also when its output is not a terminal (CI,
a pipe), and a failed install ends with one line saying what to do, leaving no ``.installed``.
Runs the Makefile's own recipe on a one-package requirements file in a scratch venv."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def _make(tmp_path: Path, requirements: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    (tmp_path / "runtime.txt").write_text("six==1.17.0\n")
    (tmp_path / "req.txt").write_text(requirements)
    venv = tmp_path / "v"
    # Run as a person types it: not as a sub-make of `make test`, whose MAKEFLAGS/MAKELEVEL would
    # add make's "Entering/Leaving directory" lines around the recipe's own output.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "MAKEOVERRIDES")}
    return subprocess.run(
        [
            "make",
            "--no-print-directory",
            f"{venv}/.installed",
            f"VENV={venv}",
            f"REQUIREMENTS={tmp_path / 'req.txt'}",
            f"RUNTIME_REQUIREMENTS={tmp_path / 'runtime.txt'}",
            f"PYTHON={sys.executable}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
    )


def test_each_package_is_named_as_pip_reaches_it(tmp_path: Path) -> None:
    proc = _make(tmp_path, "-r runtime.txt\nsix==1.17.0\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("venv: installing 1 pinned packages")))
    assert any("six" in line and line.startswith("venv: ") for line in lines[start + 1 :]), proc.stdout
    assert lines[-1].startswith("venv: done in ") and (tmp_path / "v" / ".installed").exists()


def test_a_failed_install_says_what_to_do(tmp_path: Path) -> None:
    proc = _make(tmp_path, "this is not a requirement!\n")
    assert proc.returncode != 0 and not (tmp_path / "v" / ".installed").exists()
    last = [line for line in proc.stderr.splitlines() if not line.startswith("make: ***")][-1]
    assert last.startswith("venv: pip install failed (above): check the network to PyPI"), proc.stderr
