"""The delivery workflows: clean under actionlint and zizmor, actions pinned, the promised shape.

Also the pure helpers the workflows call (which environments a change affects, stack order).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tools.delivery.changes import affected
from tools.delivery.stacks import stack_order

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def workflow(name: str) -> dict[Any, Any]:
    # PyYAML reads the key `on` as True (YAML 1.1); normalise it back.
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    if True in data:
        data["on"] = data.pop(True)
    return data


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `make venv` (it is pinned in requirements.txt)")
    return found


def test_actionlint_is_clean() -> None:
    proc = subprocess.run([tool("actionlint"), *map(str, WORKFLOWS)], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_is_clean() -> None:
    proc = subprocess.run([tool("zizmor"), "--offline", "--no-progress", ".github/workflows"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


def test_linters_do_catch_a_bad_workflow(tmp_path: Path) -> None:
    """The two gates above are not vacuous: an injectable, unpinned workflow fails both."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request_target\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    assert subprocess.run([tool("actionlint"), str(bad)], capture_output=True, check=False).returncode != 0
    assert subprocess.run([tool("zizmor"), "--offline", str(bad.parent)], capture_output=True, check=False).returncode != 0


def test_every_third_party_action_is_pinned_to_a_full_sha_with_its_tag() -> None:
    uses = [
        (wf.name, line.strip()) for wf in WORKFLOWS for line in wf.read_text().splitlines() if re.match(r"^\s*(- )?uses: ", line) and "./.github/" not in line
    ]
    assert uses
    for name, line in uses:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), f"{name}: {line}"


def test_pull_requests_plan_with_oidc_and_comment() -> None:
    plan = workflow("plan.yml")
    assert list(plan["on"]) == ["pull_request"]
    assert plan["permissions"] == {}
    job = plan["jobs"]["plan"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    steps = job["steps"]
    aws = next(s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials@"))
    assert "role-to-assume" in aws["with"] and not {"aws-access-key-id", "aws-secret-access-key"} & set(aws["with"])
    assert any("tools.delivery plan" in s.get("run", "") for s in steps)
    report = plan["jobs"]["report"]
    assert report["permissions"]["pull-requests"] == "write"
    script = "\n".join(s.get("run", "") for s in report["steps"])
    assert "tools.plan_report" in script and "PATCH" in script and "<!-- eks-platform-plan-report -->" in script
    assert "secrets." not in (ROOT / ".github/workflows/plan.yml").read_text()


def test_merge_deploys_in_promotion_waves_with_no_job_per_environment() -> None:
    apply = workflow("apply.yml")
    assert apply["on"]["push"] == {"branches": ["main"]} and "workflow_dispatch" in apply["on"]
    jobs = apply["jobs"]
    assert set(jobs) == {"affected", *(f"wave{i}" for i in range(5))}
    for i in range(5):
        job = jobs[f"wave{i}"]
        assert job["uses"] == "./.github/workflows/deploy.yml" and job["with"] == {"target": "${{ toJSON(matrix.target) }}"}
        assert job["strategy"]["matrix"]["target"] == f"${{{{ fromJSON(needs.affected.outputs.wave{i}) }}}}"
        if i:
            assert job["needs"] == ["affected", f"wave{i - 1}"] and "!failure()" in job["if"]
    text = (ROOT / ".github/workflows/apply.yml").read_text()
    for env in ("dev", "staging", "prod"):
        assert env not in text.replace("environment", ""), f"apply.yml names {env!r}: environments come from the files"
    deploy = workflow("deploy.yml")["jobs"]
    assert deploy["apply"]["needs"] == "plan"
    assert deploy["apply"]["environment"] == "${{ fromJSON(inputs.target).environment }}"  # reviewers are the GitHub environment's
    assert deploy["apply"]["concurrency"] == {"group": "apply-${{ fromJSON(inputs.target).environment }}", "cancel-in-progress": False}
    assert "environment" not in deploy["plan"]  # the plan runs before, and is what the approvers read


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (["environments/staging.yaml"], ["staging"]),
        (["environments/local.yaml"], []),
        (["docs/delivery.md", "tests/test_x.py", "README.md"], []),
        (["modules/cluster/eks.py"], ["dev", "staging", "prod"]),
        (["environments/prod.yaml", "environments/dev.yaml"], ["dev", "prod"]),
    ],
)
def test_affected_environments(changed: list[str], expected: list[str]) -> None:
    assert affected(changed, ["dev", "staging", "prod"]) == expected


def test_stack_order_puts_dependencies_first(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(
        '{"stacks": {"dev-cluster": {"dependencies": ["dev-state", "dev-network"]}, "dev-network": {"dependencies": ["dev-state"]},'
        ' "dev-state": {"dependencies": []}, "dev-storage": {"dependencies": ["dev-cluster", "dev-network", "dev-state"]},'
        ' "prod-state": {"dependencies": []}}}'
    )
    assert stack_order("dev", tmp_path) == ["dev-state", "dev-network", "dev-cluster", "dev-storage"]
