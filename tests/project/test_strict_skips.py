"""A missing tool skips visibly on a developer machine and fails in CI (``CI=true``).

Checked both on the helper and end to end: pytest run in a subprocess with a PATH that holds no
terraform, once as a developer and once as CI.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, missing_prerequisite, require

NEEDS_TERRAFORM = """
def test_needs_terraform(tf_env):
    assert tf_env
"""


def outcome(call, *args: object) -> tuple[str, str]:
    """What a prerequisite check did: ("skip" | "fail", message) or ("ran", "")."""
    try:
        call(*args)
    except pytest.skip.Exception as exc:
        return "skip", str(exc)
    except pytest.fail.Exception as exc:
        return "fail", str(exc)
    return "ran", ""


def test_require_skips_locally_and_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    assert outcome(require, None, "helm 3.17.2", "make helm") == ("skip", "helm 3.17.2 not found: make helm")
    monkeypatch.setenv("CI", "true")
    assert outcome(require, None, "helm 3.17.2", "make helm") == ("fail", "CI=true and helm 3.17.2 not found: make helm")
    assert outcome(require, Path("/"), "the root directory", "never missing") == ("ran", "")
    # What the render tests call for Helm and the chart archives (tests/render_support.py).
    assert outcome(missing_prerequisite, "chart archive missing: loki-18.11.0.tgz") == ("fail", "CI=true and chart archive missing: loki-18.11.0.tgz")
    for value in ("false", "0", ""):
        monkeypatch.setenv("CI", value)
        assert outcome(missing_prerequisite, "chart archive missing: x") == ("skip", "chart archive missing: x")
    for value in ("1", "TRUE", "yes"):
        monkeypatch.setenv("CI", value)
        assert outcome(missing_prerequisite, "x")[0] == "fail"


@pytest.mark.parametrize(("ci", "outcome"), [(None, "1 skipped"), ("true", "1 error")])
def test_terraform_missing_from_path(tmp_path: Path, ci: str | None, outcome: str) -> None:
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tests / "test_needs_terraform.py").write_text(NEEDS_TERRAFORM)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PATH": str(bin_dir), "PYTHONPATH": str(ROOT)}
    if ci:
        env["CI"] = ci
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rsf", "-p", "no:cacheprovider", str(tests)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert outcome in proc.stdout and (proc.returncode != 0) == bool(ci), proc.stdout + proc.stderr
    assert "terraform or the local mirror of hashicorp/aws 5.100.0 not found" in proc.stdout
