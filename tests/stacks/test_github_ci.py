"""``ci:``: the GitHub OIDC provider and plan/apply roles the state stack creates, the runner rule,
and the promotion order (environments/ci.py, modules/state/github_ci.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import ENVIRONMENTS_DIR, ConfigError, load_environments
from environments.ci import promotion_order, role_arns
from tests.conftest import Synth

DEV = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())
HOST = "token.actions.githubusercontent.com"


def roles(synth: Synth, env: str) -> dict[str, dict[str, Any]]:
    return {body["name"]: body for body in synth.resources(f"{env}-state", "aws_iam_role").values()}


def test_state_stack_creates_the_github_oidc_provider_and_the_roles(synth: Synth) -> None:
    provider = synth.one("dev-state", "aws_iam_openid_connect_provider")
    assert provider["url"] == f"https://{HOST}" and provider["client_id_list"] == ["sts.amazonaws.com"]
    found = roles(synth, "dev")
    assert set(found) == {"dev-github-plan", "dev-github-pr-plan", "dev-github-apply"}
    outputs = synth.stack("dev-state")["output"]
    assert {"github_plan_role_arn", "github_pr_plan_role_arn", "github_apply_role_arn"} <= set(outputs)
    # The ARNs the workflows and access entries derive from config are the roles created here.
    env = load_environments(only=["dev"])[0]
    assert role_arns(env) == ("arn:aws:iam::111111111111:role/dev-github-plan", "arn:aws:iam::111111111111:role/dev-github-apply")


def test_apply_trust_is_bound_to_repository_environment_and_branch(synth: Synth) -> None:
    trust = json.loads(roles(synth, "prod")["prod-github-apply"]["assume_role_policy"])["Statement"]
    assert len(trust) == 1 and trust[0]["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust[0]["Principal"]["Federated"].startswith("${aws_iam_openid_connect_provider.")
    assert trust[0]["Condition"] == {
        "StringEquals": {f"{HOST}:aud": "sts.amazonaws.com", f"{HOST}:sub": "repo:acme/eks-platform:environment:prod:ref:refs/heads/main"}
    }


def test_plan_trust_admits_the_branch_only_and_the_pr_plan_trust_pull_requests_only(synth: Synth) -> None:
    trust = json.loads(roles(synth, "dev")["dev-github-plan"]["assume_role_policy"])["Statement"][0]
    assert trust["Condition"]["StringEquals"] == {f"{HOST}:aud": "sts.amazonaws.com"}
    assert trust["Condition"]["StringLike"] == {f"{HOST}:sub": ["repo:acme/eks-platform:ref:refs/heads/main:ref:refs/heads/main"]}
    trust = json.loads(roles(synth, "dev")["dev-github-pr-plan"]["assume_role_policy"])["Statement"][0]
    assert trust["Condition"]["StringLike"] == {f"{HOST}:sub": ["repo:acme/eks-platform:pull_request:ref:refs/pull/*"]}


def test_plan_role_is_read_only_and_can_decrypt_the_state_key(synth: Synth) -> None:
    attachments = synth.resources("dev-state", "aws_iam_role_policy_attachment").values()
    assert [a["policy_arn"] for a in attachments] == ["arn:aws:iam::aws:policy/ReadOnlyAccess"] * 2  # plan, pull-request plan
    policies = {p["name"]: json.loads(p["policy"]) for p in synth.resources("dev-state", "aws_iam_role_policy").values()}
    state = {s["Sid"]: s for s in policies["read-terraform-state"]["Statement"]}
    key = synth.resources("dev-state", "aws_kms_key")
    assert len(key) == 1
    assert state["DecryptState"]["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    assert state["DecryptState"]["Resource"] == [f"${{aws_kms_key.{next(iter(key))}.arn}}"]
    assert not any(a.startswith(("s3:Put", "s3:Delete")) for a in state["ReadState"]["Action"])


def test_apply_role_is_limited_to_the_platforms_services(synth: Synth) -> None:
    policies = {p["name"]: json.loads(p["policy"]) for p in synth.resources("dev-state", "aws_iam_role_policy").values()}
    actions = [a for s in policies["manage-platform"]["Statement"] for a in s["Action"]]
    assert "eks:*" in actions and "ec2:*" in actions and "iam:PassRole" in actions
    assert "*" not in actions and "iam:*" not in actions
    assert not any(a.startswith(("organizations:", "iam:CreateUser", "iam:CreateAccessKey", "iam:*User", "iam:*AccessKey")) for a in actions)


def test_the_emulator_environment_applies_the_roles_too(synth: Synth) -> None:
    assert set(roles(synth, "local")) == {"local-github-plan", "local-github-pr-plan", "local-github-apply"}


def write(directory: Path, name: str, **ci: Any) -> None:
    data = copy.deepcopy(DEV)
    data["name"] = name
    data["ci"] = {"repository": "acme/eks-platform", "runner": ["self-hosted", "vpc"], "plan_runner": ["self-hosted", "pr"], **ci}
    # Environments sharing dev's account: their own state bucket, and GitHub's OIDC provider
    # created once per account (by dev), as the physical-name rule requires.
    data["state_backend"] = {**data["state_backend"], "bucket": f"acme-platform-{name}-tfstate"}
    if name != "dev":
        data["ci"].setdefault("create_oidc_provider", False)
    (directory / f"{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def problems(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_environments(directory)
    return caught.value.problems


def test_promotion_order_comes_from_the_files(tmp_path: Path) -> None:
    write(tmp_path, "dev")
    write(tmp_path, "qaa", after=["dev"])
    write(tmp_path, "staging", after=["dev"])
    write(tmp_path, "prod", after=["staging", "qaa"])
    assert promotion_order(load_environments(tmp_path)) == [["dev"], ["qaa", "staging"], ["prod"]]


def test_promotion_names_must_exist_and_not_cycle(tmp_path: Path) -> None:
    write(tmp_path, "dev", after=["prod"])
    write(tmp_path, "staging", after=["dev"])
    write(tmp_path, "prod", after=["staging", "sandbox"])
    found = problems(tmp_path)
    assert "prod.yaml: ci.after.1: unknown environment 'sandbox'; known: dev, prod, staging" in "\n".join(found)
    assert any(p.endswith("ci.after: promotion order has a cycle: dev -> after prod -> after staging -> after dev") for p in found), found


def test_an_environment_cannot_deploy_after_itself(tmp_path: Path) -> None:
    write(tmp_path, "dev", after=["dev"])
    assert problems(tmp_path) == [f"{tmp_path / 'dev.yaml'}: ci.after.0: an environment cannot deploy after itself; got 'dev'"]


def test_hosted_runner_only_where_the_endpoint_admits_it(tmp_path: Path) -> None:
    write(tmp_path, "dev", runner=["ubuntu-24.04"])
    (found,) = problems(tmp_path)
    assert found == (
        f"{tmp_path / 'dev.yaml'}: ci.runner: GitHub-hosted runner 'ubuntu-24.04' cannot reach the cluster endpoint, which admits only "
        "203.0.113.0/24: use a self-hosted runner's labels (docs/getting-started.md, 'Runners')"
    )
    data = yaml.safe_load((tmp_path / "dev.yaml").read_text())
    data["cluster"]["public_access_cidrs"] = ["0.0.0.0/0"]
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(data))
    assert load_environments(tmp_path)[0].ci.runner == ("ubuntu-24.04",)  # type: ignore[union-attr]


def test_ci_roles_need_the_s3_backend(tmp_path: Path) -> None:
    data = copy.deepcopy(DEV)
    data["state_backend"] = {
        "kind": "cloud",
        "organization": "acme",
        "project": "eks-platform",
        "workspace_prefix": "platform",
        "dynamic_credentials": {"role_name": "tfc-runs", "policy_arns": ["arn:aws:iam::aws:policy/PowerUserAccess"]},
    }
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (found,) = problems(tmp_path)
    assert found.endswith("dev.yaml: ci: the GitHub roles read state in S3; with Terraform Cloud, runs use state_backend.dynamic_credentials instead")
