"""Every shipped environment admits every example that applies to it: the render checks and each
admission (Pod Security, LimitRange + ResourceQuota, NetworkPolicy reachability, CRD CEL rules, the
EFS policy, IRSA trust) find nothing. The examples that do not apply say why."""

from __future__ import annotations

import pytest

from environments import load_environments
from tests.conftest import Synth
from tools.examples.__main__ import build_context
from tools.examples.catalog import EXAMPLES_DIR
from tools.examples.checks import ADMISSIONS, render_findings, run_admissions

SHIPPED = sorted(e.name for e in load_environments() if e.teams)


@pytest.mark.parametrize("env", SHIPPED)
def test_every_applicable_example_is_admitted(env: str, synth: Synth) -> None:
    ctx, skipped = build_context(env, synth.outdir, EXAMPLES_DIR, None)
    assert ctx.examples, f"{env}: no example applies"
    results = {**render_findings(ctx), **run_admissions(ctx)}
    assert set(ADMISSIONS) <= set(results)
    found = [str(f) for findings in results.values() for f in findings]
    assert found == [], "\n".join(found)
    assert all(reason for reason in skipped.values())
