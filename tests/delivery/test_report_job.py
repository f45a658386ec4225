"""The pull request's required ``plan / report`` check, run as its job runs: every step of
plan.yml's ``report`` job, in a fresh interpreter holding only what the job itself installs (the
runner's Python from actions/setup-python has no project packages), with GitHub's API recorded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.delivery.job_support import checkout, download, fake_gh, fresh_venv, no_op
from tests.delivery.workflow_harness import log, run_job, runner_env

# A plan in Terraform's JSON plan format (https://developer.hashicorp.com/terraform/internals/json-format)
# updating a Helm release: the review renders it, which reads chart files with PyYAML.
HELM_PLAN = {
    "format_version": "1.2",
    "resource_changes": [
        {
            "address": "helm_release.metrics-server",
            "mode": "managed",
            "type": "helm_release",
            "name": "metrics-server",
            "change": {
                "actions": ["update"],
                "before": {"name": "metrics-server", "chart": "metrics-server", "version": "3.12.1", "namespace": "kube-system", "values": ["replicas: 1"]},
                "after": {"name": "metrics-server", "chart": "metrics-server", "version": "3.12.2", "namespace": "kube-system", "values": ["replicas: 2"]},
                "after_unknown": {},
            },
        }
    ],
}


@pytest.fixture(scope="module")
def python_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory.mktemp("runner") / "python")


def report_job(tmp_path: Path, python_bin: Path, plan_result: str) -> tuple[object, Path]:
    work = checkout(tmp_path / "work")
    artifacts = tmp_path / "artifacts"
    (artifacts / "plans-dev").mkdir(parents=True)
    (artifacts / "plans-dev" / "dev-addons.json").write_text(json.dumps(HELM_PLAN))
    (artifacts / "plans-dev" / "deferred.txt").write_text("")
    calls = tmp_path / "gh-calls"
    fake_gh(tmp_path / "gh-bin")
    env = runner_env(python_bin, GH_CALLS=str(calls))
    env["PATH"] = f"{tmp_path / 'gh-bin'}:{env['PATH']}"
    handlers = {"actions/checkout": no_op, "actions/setup-python": no_op, "actions/download-artifact": download(artifacts)}
    context = {
        "needs": {"affected": {"outputs": {"environments": '["dev"]'}}, "plan": {"result": plan_result}},
        "github": {"token": "t", "repository": "acme/eks-platform", "event": {"pull_request": {"number": 7}}},
    }
    return run_job("plan.yml", "report", workdir=work, env=env, context=context, handlers=handlers), calls


def test_the_report_job_reports_in_its_own_environment(tmp_path: Path, python_bin: Path) -> None:
    run, calls = report_job(tmp_path, python_bin, "success")
    assert run.status == "success", log(run)
    posted = sorted(Path(f) for f in tmp_path.glob("gh-calls.body.*"))
    assert len(posted) == 1, calls.read_text()
    body = posted[0].read_text()
    assert body.startswith("<!-- eks-platform-plan-report -->") and "## Terraform plan review" in body and "dev-addons" in body


@pytest.mark.parametrize("result", ["failure", "cancelled"])
def test_a_plan_job_that_did_not_succeed_fails_the_check(tmp_path: Path, python_bin: Path, result: str) -> None:
    """GitHub's ``needs.<job>.result`` is success, failure, cancelled or skipped: anything but
    success leaves environments unreviewed, so the required check must not pass."""
    run, _ = report_job(tmp_path, python_bin, result)
    assert run.status == "failure", log(run)
    assert f"did not succeed ({result})" in "".join(Path(f).read_text() for f in tmp_path.glob("gh-calls.body.*"))


def test_the_harness_runs_the_jobs_interpreter_not_this_one(tmp_path: Path) -> None:
    """The job's ``python3`` is the runner's: here a venv without PyYAML cannot import it."""
    bare = fresh_venv(tmp_path / "bare")
    proc = __import__("subprocess").run(["python3", "-c", "import yaml"], env=runner_env(bare), capture_output=True, check=False)
    assert proc.returncode != 0
    assert shutil.which("python3", path=runner_env(bare)["PATH"]) == str(bare / "python3")


def test_the_report_jobs_pins_are_the_projects() -> None:
    """What the report job installs is what `make venv` installs (runtime set and the rest), never a second version."""
    from tests.delivery.workflow_harness import ROOT

    def pins(name: str) -> dict[str, str]:
        lines = (ROOT / name).read_text().splitlines()
        return {n.split("==")[0].lower().replace("_", "-"): n.split("==")[1].split()[0] for n in lines if "==" in n and not n.startswith("#")}

    report, project = pins("requirements-report.txt"), pins("requirements-runtime.txt") | pins("requirements.txt")
    assert report and all(project.get(name) == version for name, version in report.items()), (report, project)
