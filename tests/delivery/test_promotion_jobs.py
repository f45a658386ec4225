"""Promotion that gates, run as the jobs run: apply.yml's ``affected`` job and deploy.yml's ``gate``
and ``record`` jobs, every ``run:`` step, on a scratch repository holding today's environment files
(staging comes after dev, prod after staging), with GitHub's reference API acting on that repository.

The expectation is the issue's: an environment deploys a commit only after every environment it
comes after applied that commit; a deploy that did not finish is retried by the next run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.delivery.job_support import checkout, fake_gh, no_op, venv_made
from tests.delivery.workflow_harness import ROOT, Run, log, run_job, runner_env


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout.strip()


def commit(repo: Path, path: str, text: str) -> str:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    with (repo / path).open("a") as f:
        f.write(text)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", f"change {path}")
    return git(repo, "rev-parse", "HEAD")


def record(repo: Path, env: str, sha: str) -> None:
    git(repo, "tag", "-f", f"deployed/{env}", sha)


@pytest.fixture
def world(tmp_path: Path) -> dict[str, Any]:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "environments", repo / "environments", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    work = checkout(tmp_path / "work")
    venv_made(work)
    fake_gh(tmp_path / "gh-bin")
    env = runner_env(Path(sys.executable).parent, PLATFORM_REPO=str(repo), GH_ORIGIN=str(repo), GH_CALLS=str(tmp_path / "gh-calls"))
    env["PATH"] = f"{tmp_path / 'gh-bin'}:{env['PATH']}"
    return {"repo": repo, "work": work, "env": env, "tmp": tmp_path, "c0": git(repo, "rev-parse", "HEAD")}


def job(world: dict[str, Any], workflow_name: str, name: str, **context: Any) -> Run:
    handlers = {"actions/checkout": no_op, "actions/setup-python": no_op}
    return run_job(workflow_name, name, workdir=world["work"], env=world["env"], context=context, handlers=handlers, temp=world["tmp"])


def waves(run: Run) -> list[list[str]]:
    assert run.status == "success", log(run)
    return [[e["environment"] for e in json.loads(run.outputs[f"wave{i}"])] for i in range(5) if json.loads(run.outputs[f"wave{i}"])]


def target(env: str) -> dict[str, Any]:
    return {"inputs": {"target": json.dumps({"environment": env})}}


def staging_failed_then_prod_changed(world: dict[str, Any]) -> tuple[str, str]:
    """Every environment applied the base commit; shared code then applied in dev and failed in
    staging (no record); then a change of prod's file alone. Returns (shared, prod-only) commits."""
    repo = world["repo"]
    for env in ("dev", "staging", "prod"):
        record(repo, env, world["c0"])
    shared = commit(repo, "modules/cluster/eks.py", "# shared code\n")
    record(repo, "dev", shared)
    prod_only = commit(repo, "environments/prod.yaml", "# prod only\n")
    return shared, prod_only


def test_a_push_retries_the_environments_behind_and_keeps_the_order(world: dict[str, Any]) -> None:
    shared, prod_only = staging_failed_then_prod_changed(world)
    run = job(world, "apply.yml", "affected", github={"event_name": "push", "event": {"before": shared}}, inputs={"environment": ""})
    assert waves(run) == [["staging"], ["prod"]]


def test_a_dispatch_without_an_environment_deploys_exactly_those_behind(world: dict[str, Any]) -> None:
    staging_failed_then_prod_changed(world)
    run = job(world, "apply.yml", "affected", github={"event_name": "workflow_dispatch", "event": {}}, inputs={"environment": ""})
    assert waves(run) == [["staging"], ["prod"]]


def test_the_gate_holds_an_environment_until_those_before_it_applied_the_commit(world: dict[str, Any]) -> None:
    shared, prod_only = staging_failed_then_prod_changed(world)
    closed = job(world, "deploy.yml", "gate", github={"sha": prod_only}, **target("prod"))
    assert closed.status == "success", log(closed)
    assert closed.outputs["open"] == "false"
    summary = closed.summary.read_text()
    assert "closed" in summary and "| staging |" in summary and "modules/cluster/eks.py" in summary, summary
    # Staging applied the shared change (its record is the shared commit): the prod-only change
    # since then does not affect staging, so prod may deploy.
    record(world["repo"], "staging", shared)
    opened = job(world, "deploy.yml", "gate", github={"sha": prod_only}, **target("prod"))
    assert opened.outputs["open"] == "true", log(opened)
    # The first environment of the order has nothing to wait for.
    assert job(world, "deploy.yml", "gate", github={"sha": prod_only}, **target("dev")).outputs["open"] == "true"


def test_an_environment_never_recorded_holds_the_gate(world: dict[str, Any]) -> None:
    run = job(world, "deploy.yml", "gate", github={"sha": world["c0"]}, **target("staging"))
    assert run.outputs["open"] == "false" and "no record" in run.summary.read_text()


@pytest.mark.parametrize(("deferred", "recorded"), [("", True), ("true", False)])
def test_an_apply_that_left_nothing_deferred_is_recorded(world: dict[str, Any], deferred: str, recorded: bool) -> None:
    repo = world["repo"]
    sha = commit(repo, "modules/x.py", "# x\n")
    record(repo, "staging", world["c0"])  # an earlier record is moved, not duplicated
    run = job(
        world,
        "deploy.yml",
        "record",
        github={"sha": sha, "token": "t", "repository": "acme/eks-platform"},
        needs={"apply": {"outputs": {"deferred": deferred}}},
        **target("staging"),
    )
    assert run.status == ("success" if recorded else "skipped"), log(run)
    assert git(repo, "rev-parse", "deployed/staging^{commit}") == (sha if recorded else world["c0"])
    if recorded:
        assert sha in run.summary.read_text()
