"""From an empty account to a migrated state stack with the CI roles, in one command, and the
deploy's saved plans: applied exactly, refused when stale.

On the emulator: ``python -m tools.delivery.bootstrap local`` (what ``make bootstrap ENV=local`` runs)
applies ``local-state`` on local state, flips ``state_stack_in_s3`` in the file, migrates the state
into the bucket and re-plans it empty. Then ``tools.delivery plan
--save`` / ``apply --plans``: a plan made stale by another apply is not applied, and nothing after
it is; a fresh one is applied as saved.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.e2e.e2e_support import phase
from tools.emulator import Emulator
from tools.terraform import ROOT

pytestmark = pytest.mark.e2e
ENV = "local"


@dataclass
class Account:
    emulator: Emulator
    environments: Path
    outdir: Path
    env: dict[str, str]
    first: subprocess.CompletedProcess[str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=900, check=False)

    def terraform(self, stack: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["terraform", *args], cwd=self.outdir / "stacks" / stack, env=self.env, capture_output=True, text=True, timeout=900, check=False)

    def config(self) -> dict[str, object]:
        return yaml.safe_load((self.environments / f"{ENV}.yaml").read_text())


@pytest.fixture(scope="module")
def account(tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str]) -> Iterator[Account]:
    base = tmp_path_factory.mktemp("bootstrap")
    environments = base / "environments"
    environments.mkdir()
    shutil.copy(ROOT / "environments" / f"{ENV}.yaml", environments)
    emulator = Emulator(log_path=base / "emulator.log").start()
    try:
        env = {**emulator.terraform_env(tf_env), "PLATFORM_ENVIRONMENTS_DIR": str(environments)}
        account = Account(emulator, environments, base / "cdktf.out", env, subprocess.CompletedProcess([], 0))
        with phase("bootstrap local"):
            account.first = account.run("tools.delivery.bootstrap", ENV, "--environments", str(environments), "--outdir", str(account.outdir))
        yield account
    finally:
        emulator.stop()


def test_one_command_creates_the_bucket_and_roles_and_migrates_the_state_into_the_bucket(account: Account) -> None:
    assert account.first.returncode == 0, account.first.stderr[-4000:]
    backend = account.config()["state_backend"]
    assert backend["state_stack_in_s3"] is True  # type: ignore[index]
    s3 = account.emulator.client("s3", "eu-west-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=backend["bucket"]).get("Contents", [])]  # type: ignore[index]
    assert f"{ENV}/state.tfstate" in keys
    state = json.loads(s3.get_object(Bucket=backend["bucket"], Key=f"{ENV}/state.tfstate")["Body"].read())  # type: ignore[index]
    assert any(r["type"] == "aws_s3_bucket" for r in state["resources"])
    stack = account.outdir / "stacks" / f"{ENV}-state"
    assert not (stack / f"terraform.{ENV}-state.tfstate").exists() and (stack / f"terraform.{ENV}-state.tfstate.migrated").exists()
    iam = account.emulator.client("iam", "eu-west-1")
    plan_role = iam.get_role(RoleName=f"{ENV}-github-plan")["Role"]
    trust = plan_role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}
    assert iam.get_role(RoleName=f"{ENV}-github-apply")["Role"]["MaxSessionDuration"] == 7200
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    assert any(a.endswith("oidc-provider/token.actions.githubusercontent.com") for a in providers)
    assert "4/4 planning" in account.first.stderr


def _retag(account: Account, value: str) -> None:
    raw = account.config()
    raw["tags"] = {**raw.get("tags", {}), "review": value}  # type: ignore[dict-item]
    (account.environments / f"{ENV}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    synth = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env={**account.env, "PLATFORM_ENVIRONMENTS": ENV, "PLATFORM_OUTDIR": str(account.outdir), "PLATFORM_QUIET": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert synth.returncode == 0, synth.stderr


def test_a_stale_saved_plan_is_not_applied_and_a_fresh_one_is_applied_as_saved(account: Account, tmp_path: Path) -> None:
    _retag(account, "one")
    plans = tmp_path / "plans"
    with phase("saved plans"):
        planned = account.run("tools.delivery", "plan", ENV, "--save", "--out", str(plans), "--outdir", str(account.outdir))
    assert planned.returncode == 0, planned.stderr[-4000:]
    assert (plans / f"{ENV}-state.tfplan").is_file()
    # The network's outputs are new, so every stack reading them waits for the next run.
    deferred = (plans / "deferred.txt").read_text()
    assert f"{ENV}-cluster\tplanned after {ENV}-network is applied" in deferred
    # Someone applies the state stack after the plan was made (another run, a person).
    applied = account.terraform(f"{ENV}-state", "apply", "-auto-approve", "-input=false", "-no-color")
    assert applied.returncode == 0, applied.stderr
    with phase("saved plans"):
        stale = account.run("tools.delivery", "apply", ENV, "--plans", str(plans), "--outdir", str(account.outdir))
    assert stale.returncode == 1, stale.stderr[-4000:]
    assert "Saved plan is stale" in stale.stderr
    assert f"tools.delivery: {ENV}-state: the saved plan was not applied (stale" in stale.stderr
    assert "Traceback" not in stale.stderr
    s3 = account.emulator.client("s3", "eu-west-1")
    bucket = account.config()["state_backend"]["bucket"]  # type: ignore[index]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert f"{ENV}/network.tfstate" not in keys, "a stack after the stale one was applied"

    _retag(account, "two")
    fresh = tmp_path / "fresh"
    with phase("saved plans"):
        planned = account.run("tools.delivery", "plan", ENV, "--save", "--out", str(fresh), "--outdir", str(account.outdir))
        assert planned.returncode == 0, planned.stderr[-4000:]
        done = account.run("tools.delivery", "apply", ENV, "--plans", str(fresh), "--outdir", str(account.outdir))
    assert done.returncode == 4, done.stderr[-4000:]  # applied; the deferred stacks need the next run
    assert f"not yet planned: {ENV}-cluster" in done.stderr
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags["review"] == "two"
    assert f"{ENV}/network.tfstate" in [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    replan = account.terraform(f"{ENV}-network", "plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock=false")
    assert replan.returncode == 0, replan.stdout[-3000:]
