"""``make synth`` installs only requirements-runtime.txt; ``make test`` installs requirements.txt (which
includes it) on top, in the same venv. What each distribution provides and needs is taken from the
installed distributions' own metadata (``importlib.metadata``: RECORD/top_level.txt, Requires-Dist),
not from the project."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.conftest import ROOT

RUNTIME = ROOT / "requirements-runtime.txt"
FULL = ROOT / "requirements.txt"
PROJECT = ("catalog", "environments", "modules", "stacks", "tools", "main")


def _pins(path: Path) -> list[tuple[Requirement, Path]]:
    """Every requirement of a pip requirements file, following ``-r`` includes."""
    found: list[tuple[Requirement, Path]] = []
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("-r "):
            found += _pins(path.parent / line[3:].strip())
            continue
        found.append((Requirement(line), path))
    return found


def _runtime_names() -> set[str]:
    return {canonicalize_name(req.name) for req, _ in _pins(RUNTIME)}


def _runtime_modules() -> list[str]:
    """Top-level import names whose every providing distribution is in the runtime set."""
    runtime = _runtime_names()
    return sorted(module for module, dists in metadata.packages_distributions().items() if {canonicalize_name(d) for d in dists} <= runtime)


def _only_runtime(*args: str, outdir: Path | None = None) -> subprocess.CompletedProcess[str]:
    """tests/project/only_runtime.py: the project run as a venv holding only the runtime set would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATFORM_")}
    env |= {"RUNTIME_MODULES": json.dumps(_runtime_modules()), "PROJECT_MODULES": json.dumps(PROJECT)}
    if outdir is not None:
        env["PLATFORM_OUTDIR"] = str(outdir)
    command = [sys.executable, str(ROOT / "tests" / "project" / "only_runtime.py"), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def _synth(outdir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLATFORM_")} | {"PLATFORM_OUTDIR": str(outdir)}
    return subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)


def test_synth_runs_with_only_the_runtime_set_and_writes_the_same_json(tmp_path: Path) -> None:
    restricted, normal = _only_runtime("synth", outdir=tmp_path / "runtime"), _synth(tmp_path / "full")
    assert restricted.returncode == 0, restricted.stderr[-3000:]
    assert normal.returncode == 0, normal.stderr[-3000:]
    written = sorted(p.relative_to(tmp_path / "full") for p in (tmp_path / "full").rglob("*.json"))
    assert written and written == sorted(p.relative_to(tmp_path / "runtime") for p in (tmp_path / "runtime").rglob("*.json"))
    for relative in written:
        assert (tmp_path / "runtime" / relative).read_bytes() == (tmp_path / "full" / relative).read_bytes(), relative


def _runtime_jobs() -> dict[str, list[str]]:
    """``<workflow>/<job>`` -> the modules it runs, for every job that installs only the runtime set."""
    jobs: dict[str, list[str]] = {}
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for name, job in (yaml.safe_load(path.read_text()).get("jobs") or {}).items():
            runs = [str(step.get("run", "")) for step in job.get("steps", [])]
            if "make runtime-venv" in runs:
                text = "\n".join(runs)
                modules = re.findall(r"\.venv/bin/python -m ([\w.]+)", text) + (["main"] if ".venv/bin/python main.py" in text else [])
                jobs[f"{path.name}/{name}"] = [
                    m for module in modules for m in (module, f"{module}.__main__") if (ROOT / module.replace(".", "/")).is_dir() or m == module
                ]
    return jobs


def test_what_the_runtime_only_workflow_jobs_run_needs_only_the_runtime_set() -> None:
    jobs = _runtime_jobs()
    assert jobs, "no workflow job installs only the runtime set (make runtime-venv)"
    assert all(jobs.values()), jobs
    entries = sorted({m for modules in jobs.values() for m in modules} | {"main"})
    proc = _only_runtime("imports", *entries)
    assert proc.returncode == 0, f"{entries}: {proc.stderr[-3000:]}"


def test_the_runtime_set_pins_every_distribution_it_needs() -> None:
    """pip given requirements-runtime.txt alone installs nothing unpinned: each pinned distribution's
    requirements (markers evaluated for this interpreter, with the extras it is pinned with) are pinned too."""
    runtime = _runtime_names()
    missing = []
    for req, _ in _pins(RUNTIME):
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{req.name} (requirements-runtime.txt) is not installed: run `make venv`")
        for line in dist.requires or []:
            need = Requirement(line)
            if need.marker is None or any(need.marker.evaluate({"extra": extra}) for extra in (req.extras or {""})):
                if canonicalize_name(need.name) not in runtime:
                    missing.append(f"{req.name} needs {need}")
    assert not missing, f"not pinned in requirements-runtime.txt: {missing}"


def test_every_pin_is_exact_and_no_package_has_two_versions() -> None:
    assert any(line.strip() == "-r requirements-runtime.txt" for line in FULL.read_text().splitlines()), "requirements.txt must include the runtime set"
    versions: dict[str, set[str]] = {}
    for req, path in _pins(FULL):
        (spec,) = req.specifier
        assert spec.operator == "==", f"{path.name}: {req} is not an exact pin"
        versions.setdefault(canonicalize_name(req.name), set()).add(spec.version)
    assert {name: v for name, v in versions.items() if len(v) > 1} == {}
