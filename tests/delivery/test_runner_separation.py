"""Pull-request plans run the pull request's own code: they never land on a runner the deploys
use, and never with the deploy's identities. Checked on the jobs the workflows' own commands
produce (plan.yml's and apply.yml's ``affected`` jobs) with each job's ``runs-on`` and role
evaluated as GitHub evaluates them.

GitHub: a job runs on a self-hosted runner that has every label of its ``runs-on``
(https://docs.github.com/actions/how-tos/manage-runners/self-hosted-runners/use-in-a-workflow), so
two label sets are kept apart only when each holds a label the other lacks."""

from __future__ import annotations

import copy
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import ENVIRONMENTS_DIR, ConfigError, load_environments
from tests.delivery.job_support import checkout, no_op, venv_made
from tests.delivery.test_promotion_jobs import commit, git
from tests.delivery.workflow_harness import ROOT, evaluate, log, run_job, runner_env, workflow


@pytest.fixture(scope="module")
def matrices(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(pull-request plan matrix, deploy matrix) for a change of shared code: every environment."""
    tmp = tmp_path_factory.mktemp("sep")
    repo = tmp / "repo"
    shutil.copytree(ROOT / "environments", repo / "environments", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    base = git(repo, "rev-parse", "HEAD")
    commit(repo, "modules/cluster/eks.py", "# shared\n")
    work = checkout(tmp / "work")
    venv_made(work)
    env = runner_env(Path(sys.executable).parent, PLATFORM_REPO=str(repo))
    handlers = {"actions/checkout": no_op, "actions/setup-python": no_op}
    pr = run_job(
        "plan.yml", "affected", workdir=work, env=env, handlers=handlers, temp=tmp, context={"github": {"event": {"pull_request": {"base": {"sha": base}}}}}
    )
    assert pr.status == "success", log(pr)
    push = run_job(
        "apply.yml",
        "affected",
        workdir=work,
        env=env,
        handlers=handlers,
        temp=tmp,
        context={"github": {"event_name": "push", "event": {"before": base}}, "inputs": {"environment": ""}},
    )
    assert push.status == "success", log(push)
    return json.loads(pr.outputs["matrix"]), [t for i in range(5) for t in json.loads(push.outputs[f"wave{i}"])]


def runs_on(workflow_name: str, job: str, context: dict[str, Any]) -> set[str]:
    expr = workflow(workflow_name)["jobs"][job]["runs-on"]
    value = evaluate(expr.strip()[3:-2], context, "success") if expr.strip().startswith("${{") else expr
    return {value} if isinstance(value, str) else set(value)


def role(workflow_name: str, job: str, context: dict[str, Any]) -> str:
    step = next(s for s in workflow(workflow_name)["jobs"][job]["steps"] if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    return str(evaluate(step["with"]["role-to-assume"].strip()[3:-2], context, "success"))


def test_pull_request_plans_never_share_a_runner_or_identity_with_deploys(matrices: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    pr, deploy = matrices
    # Every environment file with a ``ci:`` section that does not target the emulator, read as plain YAML.
    files = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "environments").glob("*.yaml"))]
    deployed = {raw["name"] for raw in files if raw.get("ci") and "emulator" not in raw}
    assert deployed and {t["environment"] for t in pr} == {t["environment"] for t in deploy} == deployed
    for target in pr:
        twin = next(t for t in deploy if t["environment"] == target["environment"])
        plan_labels = runs_on("plan.yml", "plan", {"matrix": {"target": target}})
        inputs = {"inputs": {"target": json.dumps(twin)}}
        for job in ("plan", "apply"):
            deploy_labels = runs_on("deploy.yml", job, inputs)
            assert not plan_labels <= deploy_labels and not deploy_labels <= plan_labels, (target["environment"], job, plan_labels, deploy_labels)
        pr_role = role("plan.yml", "plan", {"matrix": {"target": target}})
        assert pr_role not in {role("deploy.yml", "plan", inputs), role("deploy.yml", "apply", inputs)}
        assert pr_role.endswith(f":role/{target['environment']}-github-pr-plan")


def write(directory: Path, **ci: Any) -> Path:
    data = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())
    data["ci"] = {"repository": "acme/eks-platform", **ci}
    (directory / "dev.yaml").write_text(yaml.safe_dump(copy.deepcopy(data), sort_keys=False))
    return directory / "dev.yaml"


@pytest.mark.parametrize(
    ("ci", "expected"),
    [
        ({"runner": ["self-hosted", "linux", "platform-dev"]}, "ci.plan_runner: required with a self-hosted runner"),
        (
            {"runner": ["self-hosted", "linux", "platform-dev"], "plan_runner": ["self-hosted", "linux"]},
            "ci.plan_runner: ['self-hosted', 'linux'] and ci.runner",
        ),
        ({"runner": ["self-hosted", "linux"], "plan_runner": ["self-hosted", "linux", "pr"]}, "can pick the same runner"),
    ],
)
def test_labels_that_could_pick_a_deploy_runner_are_refused(tmp_path: Path, ci: dict[str, Any], expected: str) -> None:
    path = write(tmp_path, **ci)
    with pytest.raises(ConfigError) as caught:
        load_environments(tmp_path)
    assert any(p.startswith(f"{path}: ") and expected in p for p in caught.value.problems), caught.value.problems


def test_separate_labels_load(tmp_path: Path) -> None:
    write(tmp_path, runner=["self-hosted", "linux", "platform-dev"], plan_runner=["self-hosted", "linux", "platform-dev-pr"])
    assert load_environments(tmp_path)[0].ci.plan_runner == ("self-hosted", "linux", "platform-dev-pr")  # type: ignore[union-attr]
