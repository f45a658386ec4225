"""The deploy and PR plan jobs, run as their jobs run (every ``run:`` step of plan.yml's ``plan``
and deploy.yml's ``plan`` and ``apply`` jobs) against the emulator's S3, on two small stacks
(tests/delivery/mini_stacks.py) whose state holds a value Terraform marks sensitive.

Replaced steps: ``Synthesize`` (main.py knows only the environment files; the stacks here are
written by the test) and the ``uses:`` actions (a credentials action exports the emulator's keys,
artifacts are folders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.delivery import mini_stacks
from tests.delivery.job_support import charts_pulled, checkout, download, no_op, upload, venv_made
from tests.delivery.workflow_harness import Run, log, run_job, runner_env
from tools.emulator import Emulator

TARGET = {
    "environment": mini_stacks.ENV,
    "runner": ["self-hosted", "deploy"],
    "plan_runner": ["self-hosted", "pr"],
    "region": mini_stacks.REGION,
    "plan_role": "plan",
    "pr_plan_role": "pr-plan",
    "apply_role": "apply",
}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator() as emu:
        emu.create_bucket(mini_stacks.BUCKET, mini_stacks.REGION)
        yield emu


@pytest.fixture
def account(emulator: Emulator, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A clean state bucket, a checkout, the stacks, the runner's environment."""
    emulator.empty_bucket(mini_stacks.BUCKET, mini_stacks.REGION)
    work = checkout(tmp_path / "work")
    venv_made(work)
    charts_pulled(work)  # what `make venv` made: the job's `.venv/bin/python`
    outdir = mini_stacks.write(tmp_path / "work" / "cdktf.out", emulator.endpoint)
    env = runner_env(Path(sys.executable).parent, PLATFORM_OUTDIR=str(outdir), PLATFORM_ENVIRONMENTS_DIR=str(work / "environments"))
    env["HOME"] = str(tmp_path)
    yield {"work": work, "outdir": outdir, "env": env, "artifacts": tmp_path / "artifacts", "emulator": emulator}


def aws(emulator: Emulator) -> Any:
    def handler(with_: dict[str, Any], run: Run) -> None:
        # aws-actions/configure-aws-credentials exports the assumed role's keys and the region.
        run.env.update({k: v for k, v in emulator.terraform_env({}).items() if k.startswith(("AWS_", "NO_PROXY", "no_proxy"))})
        run.env["AWS_REGION"] = run.env["AWS_DEFAULT_REGION"] = with_["aws-region"]
        run.env["ROLE_ASSUMED"] = with_["role-to-assume"]

    return handler


def handlers(account: dict[str, Any]) -> dict[str, Any]:
    return {
        "actions/checkout": no_op,
        "actions/setup-python": no_op,
        "hashicorp/setup-terraform": no_op,
        "actions/cache": no_op,  # a cache miss: the job builds what it would restore
        "aws-actions/configure-aws-credentials": aws(account["emulator"]),
        "actions/upload-artifact": upload(account["artifacts"]),
        "actions/download-artifact": download(account["artifacts"]),
    }


def workstation_apply(account: dict[str, Any]) -> None:
    """Apply every stack as a workstation would (``tools.delivery apply``), so state exists."""
    env = {**account["emulator"].terraform_env(dict(os.environ)), "PLATFORM_OUTDIR": str(account["outdir"]), "PLATFORM_PROVIDERS_FROM_REGISTRY": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "tools.delivery", "apply", mini_stacks.ENV], cwd=account["work"], env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr


def job(account: dict[str, Any], workflow_name: str, name: str, **context: Any) -> Run:
    ctx = {
        "inputs": {"target": json.dumps(TARGET)},
        "github": {"run_id": "42", "sha": "c0ffee", "event": {"pull_request": {"number": 7}}},
        "needs": {"gate": {"outputs": {"open": "true"}}, "plan": {"result": "success"}},
        **context,
    }
    return run_job(workflow_name, name, workdir=account["work"], env=account["env"], context=ctx, handlers=handlers(account), replaced={"Synthesize": no_op})


def uploaded(account: dict[str, Any]) -> list[Path]:
    return [p for p in account["artifacts"].rglob("*") if p.is_file()]


@pytest.mark.parametrize(("workflow_name", "matrix"), [("deploy.yml", {}), ("plan.yml", {"target": TARGET})])
def test_plan_artifacts_carry_no_sensitive_value(account: dict[str, Any], workflow_name: str, matrix: dict[str, Any]) -> None:
    workstation_apply(account)
    secret = mini_stacks.secret(account["emulator"])
    mini_stacks.write(account["outdir"], account["emulator"].endpoint, version="2")
    run = job(account, workflow_name, "plan", matrix=matrix)
    assert run.status == "success", log(run)
    files = uploaded(account)
    assert any(p.name == f"{mini_stacks.ENV}-base.json" for p in files), files
    for path in files:
        data = path.read_bytes()
        assert secret.encode() not in data, f"{path.relative_to(account['artifacts'])} holds the sensitive value"
        assert not path.name.endswith("tfplan"), f"{path}: a binary plan holds every sensitive value in clear text"


def terraform_apply(account: dict[str, Any], stack: str) -> None:
    """Someone (or an earlier attempt of the apply job) applies one stack's current configuration."""
    env = {**account["emulator"].terraform_env(dict(os.environ)), "TF_IN_AUTOMATION": "1"}
    workdir = account["outdir"] / "stacks" / stack
    for args in (["init", "-input=false"], ["apply", "-input=false", "-auto-approve"]):
        proc = subprocess.run(["terraform", *args], cwd=workdir, env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def deploy(account: dict[str, Any], between: Any = None) -> tuple[Run, Run]:
    plan = job(account, "deploy.yml", "plan")
    assert plan.status == "success", log(plan)
    if between:
        between()
    return plan, job(account, "deploy.yml", "apply")


def inputs(account: dict[str, Any], layer: str) -> dict[str, object]:
    state = mini_stacks.state(account["emulator"], layer)
    return {
        r["name"]: r["instances"][0]["attributes"]["input"]["value"] for r in state["resources"] if r["type"] == "terraform_data" and r["name"] != "credential"
    }  # type: ignore[index,union-attr]


def test_deferred_stacks_leave_the_apply_job_green_and_say_so(account: dict[str, Any]) -> None:
    """A change of an output another stack reads (``version``) defers that stack: the run goes on
    (later waves are gated by the record, not by a red job) and the next deploy plans it."""
    workstation_apply(account)
    mini_stacks.write(account["outdir"], account["emulator"].endpoint, version="2")
    _, apply = deploy(account)
    assert apply.status == "success", log(apply)
    assert apply.outputs["deferred"] == "true"
    summary = apply.summary.read_text()
    assert "`mini-base`: applied as reviewed" in summary and "`mini-app`: deferred" in summary, summary
    assert inputs(account, "base")["release"] == "2" and inputs(account, "app")["deployment"] == "1"


def test_a_rerun_after_a_partial_apply_applies_the_rest_and_says_what_was_applied(account: dict[str, Any]) -> None:
    """The first attempt applied ``mini-base`` and failed before ``mini-app``; re-running the apply
    job must not stop on the stack already applied, and must not call later stacks unchanged."""
    workstation_apply(account)
    mini_stacks.write(account["outdir"], account["emulator"].endpoint, note="b")
    _, apply = deploy(account, between=lambda: terraform_apply(account, f"{mini_stacks.ENV}-base"))
    assert apply.status == "success", log(apply)
    summary = apply.summary.read_text()
    assert "`mini-base`: already as reviewed" in summary and "`mini-app`: applied as reviewed" in summary, summary
    assert inputs(account, "app")["note"] == "b"


def test_a_stack_changed_since_its_review_is_not_applied_nor_any_after_it(account: dict[str, Any]) -> None:
    workstation_apply(account)
    mini_stacks.write(account["outdir"], account["emulator"].endpoint, note="b")

    def someone_else_applies() -> None:
        mini_stacks.write(account["outdir"], account["emulator"].endpoint, note="c")
        terraform_apply(account, f"{mini_stacks.ENV}-base")

    _, apply = deploy(account, between=someone_else_applies)
    assert apply.status == "failure", log(apply)
    assert "`mini-base`: **not applied**" in apply.summary.read_text()
    assert "nothing was applied by this deploy" in log(apply)
    assert inputs(account, "base")["note"] == "c" and inputs(account, "app")["note"] == "a"


def test_the_reviewed_plans_outlive_the_approval_wait() -> None:
    """GitHub fails a job waiting for an environment's approval after 30 days ("Using environments
    for deployment", required reviewers); the only thing the apply job needs from the plan job must
    be kept that long."""
    from tests.delivery.workflow_harness import workflow

    steps = workflow("deploy.yml")["jobs"]["plan"]["steps"]
    kept = [int(s["with"]["retention-days"]) for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert kept and min(kept) >= 30
