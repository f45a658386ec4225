"""State backend choice: S3 (default) or Terraform Cloud, and the OIDC trust for TFC runs.

The cloud environments are generated into a temporary environments directory (not shipped in
environments/), synthesized once per module by main.py (as `make synth` does), and checked on the JSON and with real
``terraform validate``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import ConfigError, load_environments
from environments.schema import CloudStateBackend, S3StateBackend
from tests.conftest import Synth, run_main

ROOT = Path(__file__).resolve().parents[2]
ORG, PROJECT, PREFIX = "acme", "eks-platform", "platform"


def cloud_backend(**overrides: Any) -> dict[str, Any]:
    backend: dict[str, Any] = {
        "kind": "cloud",
        "organization": ORG,
        "project": PROJECT,
        "workspace_prefix": PREFIX,
        "dynamic_credentials": {
            "role_name": "tfc-platform-runs",
            "policy_arns": ["arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::111111111111:policy/platform-iam"],
        },
    }
    backend.update(overrides)
    return backend


def write_env(directory: Path, name: str, state_backend: dict[str, Any]) -> None:
    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    raw["name"] = name
    raw["state_backend"] = state_backend
    if state_backend.get("kind") == "cloud":
        raw.pop("ci", None)  # the GitHub CI roles read state in S3 (environments/ci.py)
    elif "ci" in raw:
        # dev's account already has GitHub's OIDC provider (dev creates it): one per URL per account.
        raw["ci"]["create_oidc_provider"] = False
    (directory / f"{name}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))


# --- schema (no cdktf) -------------------------------------------------------------------------


def test_shipped_environments_default_to_s3_without_a_kind_key() -> None:
    envs = load_environments(ROOT / "environments")
    assert envs and all(isinstance(e.state_backend, S3StateBackend) for e in envs)
    assert all(e.state_backend.kind == "s3" for e in envs)


def test_cloud_backend_parses_with_defaults(tmp_path: Path) -> None:
    write_env(tmp_path, "tfc", cloud_backend())
    (env,) = load_environments(tmp_path)
    backend = env.state_backend
    assert isinstance(backend, CloudStateBackend)
    assert backend.hostname == "app.terraform.io"
    assert backend.dynamic_credentials.audience == "aws.workload.identity"
    assert backend.state_stack_remote is False


@pytest.mark.parametrize(
    ("backend", "expected"),
    [
        ({"kind": "gcs", "bucket": "b"}, "state_backend: kind must be 's3' or 'cloud'"),
        (cloud_backend(dynamic_credentials=None), "state_backend.cloud.dynamic_credentials"),
        (cloud_backend(bucket="acme-state"), "state_backend.cloud.bucket: Extra inputs are not permitted"),
        (cloud_backend(workspace_prefix="-bad"), "state_backend.cloud.workspace_prefix"),
        (
            cloud_backend(dynamic_credentials={"role_name": "r", "policy_arns": ["AdministratorAccess"]}),
            "state_backend.cloud.dynamic_credentials.policy_arns.0",
        ),
        (
            cloud_backend(dynamic_credentials={"role_name": "r", "policy_arns": []}),
            "state_backend.cloud.dynamic_credentials.policy_arns",
        ),
    ],
)
def test_bad_backend_fails_naming_file_and_field(tmp_path: Path, backend: dict[str, Any], expected: str) -> None:
    write_env(tmp_path, "tfc", backend)
    with pytest.raises(ConfigError) as info:
        load_environments(tmp_path)
    assert any(p.startswith("tfc.yaml: ") or "/tfc.yaml: " in p for p in info.value.problems), info.value.problems
    assert any(expected in p for p in info.value.problems), info.value.problems


# --- synthesized JSON --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """main.py over: tfc (bootstrap: state stack local), tfcmig (state stack migrated, TFE host,
    existing OIDC provider) and dev (S3) side by side."""
    envs = tmp_path_factory.mktemp("environments")
    write_env(envs, "tfc", cloud_backend())
    write_env(
        envs,
        "tfcmig",
        cloud_backend(
            state_stack_in_cloud=True,
            hostname="tfe.example.com",
            dynamic_credentials={
                "role_name": "tfc-platform-tfcmig",
                "policy_arns": ["arn:aws:iam::aws:policy/PowerUserAccess"],
                "create_oidc_provider": False,
                "audience": "aws.tfe.example.com",
            },
        ),
    )
    shutil.copy(ROOT / "environments" / "dev.yaml", envs / "dev.yaml")
    # S3 with a key prefix, the state stack migrated into its bucket (same synthesis: no extra cost).
    write_env(envs, "pfx", {"bucket": "acme-platform-pfx-tfstate", "region": "eu-west-1", "key_prefix": "platform/eks", "state_stack_in_s3": True})
    outdir = tmp_path_factory.mktemp("cloud-synth") / "cdktf.out"
    proc = run_main(outdir, env_dir=envs)
    assert proc.returncode == 0, f"main.py failed:\n{proc.stdout}\n{proc.stderr}"
    return Synth(outdir)


@pytest.mark.parametrize("layer", ["network", "cluster", "storage"])
def test_cloud_stacks_use_one_named_workspace_each(cloud: Synth, layer: str) -> None:
    terraform = cloud.stack(f"tfc-{layer}")["terraform"]
    assert "backend" not in terraform
    assert terraform["cloud"] == {
        "hostname": "app.terraform.io",
        "organization": ORG,
        "workspaces": {"name": f"{PREFIX}-tfc-{layer}", "project": PROJECT},
    }


def test_cross_stack_references_read_the_producing_workspace(cloud: Synth) -> None:
    cluster_refs = cloud.stack("tfc-cluster")["data"]["terraform_remote_state"]
    assert cluster_refs == {
        "cross-stack-reference-input-tfc-network": {
            "backend": "remote",
            "config": {"hostname": "app.terraform.io", "organization": ORG, "workspaces": {"name": f"{PREFIX}-tfc-network"}},
        }
    }
    storage_refs = cloud.stack("tfc-storage")["data"]["terraform_remote_state"]
    assert {v["config"]["workspaces"]["name"] for v in storage_refs.values()} == {f"{PREFIX}-tfc-network", f"{PREFIX}-tfc-cluster"}
    assert {v["backend"] for v in storage_refs.values()} == {"remote"}
    # The producing workspace really publishes what is read: every referenced output exists there.
    network_outputs = set(cloud.stack("tfc-network")["output"])
    cluster_json = json.dumps(cloud.stack("tfc-cluster")["resource"])
    read = set(re.findall(r"cross-stack-reference-input-tfc-network\.outputs\.([\w-]+)", cluster_json))
    assert read, "the cluster stack reads nothing from the network workspace"
    assert read <= network_outputs, f"read but not published by tfc-network: {sorted(read - network_outputs)}"
    for consumer in ("tfc-cluster", "tfc-storage"):
        text = json.dumps(cloud.stack(consumer).get("resource", {})) + json.dumps(cloud.stack(consumer).get("output", {}))
        for producer, output in set(re.findall(r"cross-stack-reference-input-(tfc-[a-z-]+)\.outputs\.([\w-]+)", text)):
            assert output in cloud.stack(producer)["output"], f"{consumer} reads {producer}.{output}, which {producer} does not publish"


def test_cloud_state_stack_bootstraps_on_local_state_with_the_tfc_trust(cloud: Synth) -> None:
    state = cloud.stack("tfc-state")
    assert state["terraform"]["backend"] == {"local": {"path": "terraform.tfc-state.tfstate"}}
    resources = state["resource"]
    assert "aws_s3_bucket" not in resources, "Terraform Cloud keeps the state: no state bucket"
    (provider,) = resources["aws_iam_openid_connect_provider"].values()
    assert provider["url"] == "https://app.terraform.io"
    assert provider["client_id_list"] == ["aws.workload.identity"]
    role = next(r for r in resources["aws_iam_role"].values() if r["name"] == "tfc-platform-runs")  # the apply role
    trust = json.loads(role["assume_role_policy"])
    (statement,) = trust["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {
        "Federated": "${{aws_iam_openid_connect_provider.{}.arn}}".format(next(iter(resources["aws_iam_openid_connect_provider"])))
    }
    # Exact workspace names, one subject each, for every stack of the environment.
    layers = [n.removeprefix("tfc-") for n in cloud.stack_names if n.startswith("tfc-")]
    assert {"state", "network", "cluster", "storage", "addons-aws", "addons"} <= set(layers)
    assert statement["Condition"]["StringEquals"] == {"app.terraform.io:aud": "aws.workload.identity"}
    assert sorted(statement["Condition"]["StringLike"]["app.terraform.io:sub"]) == sorted(
        f"organization:{ORG}:project:{PROJECT}:workspace:{PREFIX}-tfc-{layer}:run_phase:apply" for layer in layers
    )
    attached = sorted(a["policy_arn"] for a in resources["aws_iam_role_policy_attachment"].values())
    assert attached == ["arn:aws:iam::111111111111:policy/platform-iam", "arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/ReadOnlyAccess"]
    assert {"tfc_plan_role_arn", "tfc_apply_role_arn", "tfc_oidc_provider_arn"} <= set(state["output"])


def test_migrated_state_stack_on_tfe_with_existing_provider(cloud: Synth) -> None:
    state = cloud.stack("tfcmig-state")
    assert state["terraform"]["cloud"]["workspaces"] == {"name": f"{PREFIX}-tfcmig-state", "project": PROJECT}
    assert state["terraform"]["cloud"]["hostname"] == "tfe.example.com"
    assert "aws_iam_openid_connect_provider" not in state["resource"]
    for role in state["resource"]["aws_iam_role"].values():
        (statement,) = json.loads(role["assume_role_policy"])["Statement"]
        assert statement["Principal"] == {"Federated": "arn:aws:iam::111111111111:oidc-provider/tfe.example.com"}
        assert statement["Condition"]["StringEquals"] == {"tfe.example.com:aud": "aws.tfe.example.com"}
        subjects = statement["Condition"]["StringLike"]["tfe.example.com:sub"]
        phase = "plan" if role["name"].endswith("-plan") else "apply"
        assert f"organization:{ORG}:project:{PROJECT}:workspace:{PREFIX}-tfcmig-state:run_phase:{phase}" in subjects
        assert all("-tfcmig-*" not in s for s in subjects)


def test_tfc_trust_admits_no_workspace_of_an_environment_whose_name_extends_this_one(cloud: Synth) -> None:
    """A later ``tfc-dr`` environment's workspaces (``platform-tfc-dr-network``) must not assume
    ``tfc``'s role: IAM's StringLike matches ``*`` across hyphens, as fnmatch does."""
    from fnmatch import fnmatchcase

    roles = cloud.stack("tfc-state")["resource"]["aws_iam_role"].values()
    subjects = [s for role in roles for s in json.loads(role["assume_role_policy"])["Statement"][0]["Condition"]["StringLike"]["app.terraform.io:sub"]]
    intruder = f"organization:{ORG}:project:{PROJECT}:workspace:{PREFIX}-tfc-dr-network:run_phase:apply"
    own = f"organization:{ORG}:project:{PROJECT}:workspace:{PREFIX}-tfc-network:run_phase:apply"
    assert not any(fnmatchcase(intruder, s) for s in subjects)
    assert any(fnmatchcase(own, s) for s in subjects)


def test_s3_environment_next_to_cloud_ones_is_unchanged(cloud: Synth) -> None:
    network = cloud.stack("dev-network")["terraform"]
    assert "cloud" not in network
    assert network["backend"]["s3"]["key"] == "dev/network.tfstate"
    assert network["backend"]["s3"]["use_lockfile"] is True
    refs = cloud.stack("dev-cluster")["data"]["terraform_remote_state"]
    assert {v["backend"] for v in refs.values()} == {"s3"}
    assert "aws_s3_bucket" in cloud.stack("dev-state")["resource"]


def test_terraform_validates_the_cloud_stacks(cloud: Synth, tmp_path: Path, tf_env: dict[str, str]) -> None:
    from tools.gates.validate import init, validate

    for stack in ("tfc-state", "tfc-cluster"):
        workdir = tmp_path / stack
        shutil.copytree(cloud.outdir / "stacks" / stack, workdir)
        result = init(workdir, tf_env) or validate(workdir, tf_env)
        assert result.ok, result.detail


@pytest.mark.parametrize("layer", ["state", "network", "cluster", "storage"])
def test_key_prefix_goes_in_front_of_every_state_key(cloud: Synth, layer: str) -> None:
    """``state_backend.key_prefix: platform/eks`` -> ``platform/eks/<env>/<layer>.tfstate``, for
    every stack's backend and every remote-state lookup that reads it."""
    doc = cloud.stack(f"pfx-{layer}")
    assert doc["terraform"]["backend"]["s3"]["key"] == f"platform/eks/pfx/{layer}.tfstate"
    for lookup in doc.get("data", {}).get("terraform_remote_state", {}).values():
        assert re.fullmatch(r"platform/eks/pfx/(network|cluster|storage|state)\.tfstate", lookup["config"]["key"]), lookup


def test_terraform_cloud_plans_and_applies_with_separate_roles(cloud: Synth) -> None:
    """HashiCorp's dynamic credentials: ``TFC_AWS_PLAN_ROLE_ARN`` / ``TFC_AWS_APPLY_ROLE_ARN`` give
    each run phase its role, and the token's ``sub`` ends in ``run_phase:plan`` or
    ``run_phase:apply`` (https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/aws-configuration):
    a speculative plan (any pull request's VCS run) must not get the apply role's rights."""
    import fnmatch

    state = cloud.stack("tfc-state")
    roles = {r["name"]: r for r in state["resource"]["aws_iam_role"].values()}

    def admitted(sub: str) -> set[str]:
        found = set()
        for name, role in roles.items():
            (statement,) = json.loads(role["assume_role_policy"])["Statement"]
            if any(fnmatch.fnmatchcase(sub, p) for p in statement["Condition"]["StringLike"]["app.terraform.io:sub"]):
                found.add(name)
        return found

    run = f"organization:{ORG}:project:{PROJECT}:workspace:{PREFIX}-tfc-network:run_phase:"
    assert admitted(run + "plan") == {"tfc-platform-runs-plan"}
    assert admitted(run + "apply") == {"tfc-platform-runs"}
    attachments = {(a["role"], a["policy_arn"]) for a in state["resource"]["aws_iam_role_policy_attachment"].values()}
    by_role = {key: body["name"] for key, body in state["resource"]["aws_iam_role"].items()}
    attached = {(by_role[r.split(".")[1]], p) for r, p in attachments}
    assert {p for n, p in attached if n == "tfc-platform-runs-plan"} == {"arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert {p for n, p in attached if n == "tfc-platform-runs"} == {"arn:aws:iam::111111111111:policy/platform-iam", "arn:aws:iam::aws:policy/PowerUserAccess"}
    assert {"tfc_plan_role_arn", "tfc_apply_role_arn"} <= set(state["output"])
