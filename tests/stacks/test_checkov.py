"""checkov over every synthesized stack: zero failures except those accepted in code, with a reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Synth, require
from tools.gates.checkov import CHECKOV, evaluate


@pytest.fixture(autouse=True)
def _checkov_installed() -> None:
    require(CHECKOV.exists(), f"checkov at {CHECKOV}", "make checkov-venv")


@pytest.fixture(scope="module")
def findings(synth: Synth):  # type: ignore[no-untyped-def]
    return evaluate(synth.outdir / "stacks")


def test_no_failed_check_without_a_reason_next_to_the_resource(findings) -> None:  # type: ignore[no-untyped-def]
    unaccepted = [f"{f.stack} {f.resource} {f.check_id} {f.check_name}" for f in findings if f.reason is None]
    assert not unaccepted, "\n".join(unaccepted)


def test_accepted_failures_are_config_driven_where_config_decides(findings, real_environments) -> None:  # type: ignore[no-untyped-def]
    """prod chose private endpoint, flow logs and 1-year retention: none of those checks may be waived there."""
    prod = {(f.check_id) for f in findings if f.stack.startswith("prod-")}
    assert not prod & {"CKV_AWS_39", "CKV2_AWS_11", "CKV_AWS_338", "CKV_AWS_37"}
    dev = real_environments["dev"]
    assert dev.cluster.endpoint_public_access
    assert any(f.check_id == "CKV_AWS_39" and f.stack == "dev-cluster" for f in findings)


def test_a_failure_without_annotation_fails_the_gate(synth: Synth, tmp_path: Path) -> None:
    stack = tmp_path / "stacks" / "dev-state"
    shutil.copytree(synth.outdir / "stacks" / "dev-state", stack)
    doc = json.loads((stack / "cdk.tf.json").read_text())
    for body in doc["resource"]["aws_s3_bucket"].values():
        body["//"].pop("checkov_skip")
    (stack / "cdk.tf.json").write_text(json.dumps(doc))
    unaccepted = {f.check_id for f in evaluate(tmp_path / "stacks") if f.reason is None}
    assert "CKV_AWS_18" in unaccepted


def test_a_skip_for_a_check_that_passes_is_reported_stale(synth: Synth, tmp_path: Path) -> None:
    stack = tmp_path / "stacks" / "prod-cluster"
    shutil.copytree(synth.outdir / "stacks" / "prod-cluster", stack)
    doc = json.loads((stack / "cdk.tf.json").read_text())
    (cluster,) = doc["resource"]["aws_eks_cluster"].values()
    cluster["//"]["checkov_skip"] = {"CKV_AWS_58": "secrets encryption is on, so this exception is stale"}
    (stack / "cdk.tf.json").write_text(json.dumps(doc))
    stale = [f for f in evaluate(tmp_path / "stacks") if f.check_id == "STALE_SKIP:CKV_AWS_58"]
    assert len(stale) == 1 and stale[0].reason is None
