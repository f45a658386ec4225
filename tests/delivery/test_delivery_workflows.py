"""Adding an environment is one file: the workflows' own commands, run as the workflows run them,
pick up ``environments/qa.yaml`` (its runner, region, role ARNs and promotion wave) with nothing
else changed; and the repository's test workflow runs the README's test command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, run_main

QA = "qa"


def workflow(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """A scratch repository holding today's environment files; returns (path, base commit)."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "environments", repo / "environments", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    return repo, git(repo, "rev-parse", "HEAD")


def add_qa(repo: Path, name: str = QA) -> None:
    data = yaml.safe_load((repo / "environments" / "staging.yaml").read_text())
    data.update(name=name, account_id="444444444444")
    data["state_backend"]["bucket"] = f"acme-platform-{name}-tfstate"
    data["ci"] = {
        "repository": "acme/eks-platform",
        "runner": ["self-hosted", "linux", f"platform-{name}"],
        "plan_runner": ["self-hosted", "linux", f"platform-{name}-pr"],
        "after": ["dev"],
    }
    (repo / "environments" / "qa.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", f"add {name}")


def run_step(workflow_name: str, job: str, step_id: str, repo: Path, **env: str) -> dict[str, Any]:
    """Run the ``run:`` script of a workflow step with bash, as the runner would, and return what
    it wrote to ``$GITHUB_OUTPUT`` (values JSON-decoded)."""
    step = next(s for s in workflow(workflow_name)["jobs"][job]["steps"] if s.get("id") == step_id)
    output = repo.parent / "github_output"
    output.write_text("")
    merged = {**os.environ, **{k: str(v) for k, v in step.get("env", {}).items()}, **env, "GITHUB_OUTPUT": str(output), "PLATFORM_REPO": str(repo)}
    proc = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=ROOT, env=merged, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return {k: json.loads(v) for k, v in (line.split("=", 1) for line in output.read_text().splitlines())}


def test_a_new_environment_file_is_planned_and_deployed_by_the_workflows_own_commands(repo: tuple[Path, str]) -> None:
    path, base = repo
    add_qa(path)
    qa = {
        "environment": QA,
        "runner": ["self-hosted", "linux", f"platform-{QA}"],
        "plan_runner": ["self-hosted", "linux", f"platform-{QA}-pr"],
        "region": "eu-west-1",
        "plan_role": f"arn:aws:iam::444444444444:role/{QA}-github-plan",
        "pr_plan_role": f"arn:aws:iam::444444444444:role/{QA}-github-pr-plan",
        "apply_role": f"arn:aws:iam::444444444444:role/{QA}-github-apply",
    }
    planned = run_step("plan.yml", "affected", "affected", path, BASE_SHA=base)
    assert planned["environments"] == [QA] and planned["matrix"] == [qa]
    applied = run_step("apply.yml", "affected", "affected", path, BEFORE=base, DISPATCHED="")
    assert applied["environments"] == [QA] and applied["wave0"] == [qa]
    assert all(applied[f"wave{i}"] == [] for i in range(1, 5))
    # A manual dispatch (first deploy) targets it by name, too.
    dispatched = run_step("apply.yml", "affected", "affected", path, BEFORE="", DISPATCHED=QA)
    assert dispatched["wave0"] == [qa]


def test_shared_code_changes_deploy_every_environment_in_promotion_order(repo: tuple[Path, str]) -> None:
    path, _ = repo
    add_qa(path)
    base = git(path, "rev-parse", "HEAD")
    (path / "modules").mkdir()
    (path / "modules" / "cluster.py").write_text("# shared code\n")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "shared")
    waves = run_step("apply.yml", "affected", "affected", path, BEFORE=base, DISPATCHED="")
    assert [[e["environment"] for e in waves[f"wave{i}"]] for i in range(5)] == [
        ["dev"],
        ["auto", QA, "staging"],
        ["prod"],
        [],
        [],
    ]  # auto and staging follow dev


def test_affected_reads_the_name_inside_the_file(repo: tuple[Path, str]) -> None:
    """``qa.yaml`` holding ``name: sandbox`` is the environment ``sandbox``."""
    path, base = repo
    add_qa(path, name="sandbox")
    planned = run_step("plan.yml", "affected", "affected", path, BASE_SHA=base)
    assert planned["environments"] == ["sandbox"]
    assert planned["matrix"][0]["plan_role"] == "arn:aws:iam::444444444444:role/sandbox-github-plan"


def test_the_new_environment_synthesizes_with_its_ci_roles(repo: tuple[Path, str], tmp_path: Path) -> None:
    path, _ = repo
    add_qa(path)
    proc = run_main(tmp_path / "out", env_dir=path / "environments", only=QA)
    assert proc.returncode == 0, proc.stderr
    state = json.loads((tmp_path / "out" / "stacks" / f"{QA}-state" / "cdk.tf.json").read_text())
    assert sorted(r["name"] for r in state["resource"]["aws_iam_role"].values()) == [f"{QA}-github-apply", f"{QA}-github-plan", f"{QA}-github-pr-plan"]


def test_pull_requests_run_the_readmes_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make test " in readme
    test = workflow("test.yml")
    assert "pull_request" in test["on"] and "schedule" in test["on"]
    runs = [s.get("run", "") for s in test["jobs"]["test"]["steps"]]
    assert "make test" in runs
    assert "make test-e2e" in [s.get("run", "") for s in test["jobs"]["e2e"]["steps"]]
