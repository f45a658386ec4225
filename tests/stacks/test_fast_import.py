"""Loading only the provider submodules used gives byte-identical Terraform JSON to the normal import.

The normal import loads every provider submodule in Python and Node: 25-60 s of one of two
workers, the slowest test of the suite, so it runs in CI (``CI=true``, in ``make test``) and when
this file is named (``pytest tests/stacks/test_fast_import.py``), not in a local ``make test``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from modules._provider_packages import supported_node
from tests.conftest import ROOT, Synth

pytestmark = pytest.mark.ci_only(reason="imports every provider submodule the normal way, 25-60 s")


def test_cheap_imports_synthesize_the_same_bytes_as_normal_imports(synth: Synth, tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    env = dict(os.environ, PLATFORM_OUTDIR=str(outdir), PLATFORM_QUIET="1", PLATFORM_ENVIRONMENTS="dev,prod")
    env["JSII_NODE"] = os.environ.get("JSII_NODE") or supported_node() or "node"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "normal_imports.py")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert proc.returncode == 0, proc.stderr
    compared = 0
    for path in sorted((outdir / "stacks").glob("*/cdk.tf.json")):
        assert path.read_bytes() == (synth.outdir / "stacks" / path.parent.name / "cdk.tf.json").read_bytes(), path.parent.name
        compared += 1
    assert compared >= 8  # dev and prod, every layer
