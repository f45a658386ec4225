"""IRSA to EKS Pod Identity on the emulator: one service account's role and association moved
through every phase (``catalog.identity.MIGRATION``), one ``terraform apply`` per phase.

The role's trust is the product's (``modules.shared.irsa.workload_trust``) beside a real OIDC
provider resource; the association exists exactly where ``associated(phase)`` says, as
``IrsaRole`` makes it. After each phase, read back from the emulator: the role is the same one
(ARN, role id and creation date unchanged: updated in place, never replaced, so nothing that
names it breaks), its trust has the statements of the phase, the association is the same one
from ``both`` on, each plan only updates the role or creates the association, and the next plan
is empty. The emulator refuses an association whose role does not trust EKS Pod Identity, as EKS
does (``tools/emulator/eks/pod_identity.py``), so ``both`` also proves the role's new trust is in
place before its association is created.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from catalog.identity import MIGRATION, associated, trusts_oidc
from modules.shared.irsa import workload_trust
from tests.e2e.e2e_support import phase
from tools.emulator import Emulator

pytestmark = pytest.mark.e2e
REGION = "eu-west-1"
CLUSTER = "migrate-eks"
ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
NAMESPACE, SERVICE_ACCOUNT = "external-dns", "external-dns"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with Emulator(log_path=tmp_path_factory.mktemp("migration") / "emulator.log") as emulator:
        ec2, iam = emulator.client("ec2", REGION), emulator.client("iam", REGION)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
        role = iam.create_role(RoleName="migrate-cluster", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        emulator.client("eks", REGION).create_cluster(name=CLUSTER, version="1.35", roleArn=role, resourcesVpcConfig={"subnetIds": [subnet]})
        yield emulator


def _module(identity: str) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "aws_iam_openid_connect_provider": {"oidc": {"url": f"https://{ISSUER}", "client_id_list": ["sts.amazonaws.com"], "thumbprint_list": ["9" * 40]}},
        "aws_iam_role": {
            "workload": {
                "name": f"{CLUSTER}-{SERVICE_ACCOUNT}",
                "assume_role_policy": workload_trust(
                    identity=identity,
                    oidc_provider_arn="${aws_iam_openid_connect_provider.oidc.arn}",
                    oidc_issuer=ISSUER,
                    cluster_name=CLUSTER,
                    namespace=NAMESPACE,
                    service_account=SERVICE_ACCOUNT,
                ),
            }
        },
    }
    if associated(identity):
        resources["aws_eks_pod_identity_association"] = {
            "workload": {"cluster_name": CLUSTER, "namespace": NAMESPACE, "service_account": SERVICE_ACCOUNT, "role_arn": "${aws_iam_role.workload.arn}"}
        }
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "provider": {"aws": [{"region": REGION, "skip_metadata_api_check": "true"}]},
        "resource": resources,
    }


def _terraform(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command, *rest = args
    return subprocess.run(
        ["terraform", command, "-input=false", "-no-color", *rest], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def _actions(env: dict[str, str], cwd: Path) -> dict[str, list[str]]:
    shown = subprocess.run(["terraform", "show", "-json", "phase.tfplan"], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=True)
    return {rc["address"]: rc["change"]["actions"] for rc in json.loads(shown.stdout).get("resource_changes", [])}


def test_irsa_to_pod_identity_phase_by_phase_updates_the_role_in_place(emulator: Emulator, tf_env: dict[str, str], tmp_path: Path) -> None:
    env = emulator.terraform_env(tf_env)
    iam, eks = emulator.client("iam", REGION), emulator.client("eks", REGION)
    first: dict[str, Any] | None = None
    association_id = None
    for step, identity in enumerate(MIGRATION):
        (tmp_path / "main.tf.json").write_text(json.dumps(_module(identity), indent=2))
        with phase("identity migration"):
            if step == 0:
                assert _terraform(env, tmp_path, "init").returncode == 0
            planned = _terraform(env, tmp_path, "plan", "-out=phase.tfplan")
            assert planned.returncode == 0, planned.stderr[-3000:]
            actions = _actions(env, tmp_path)
            applied = _terraform(env, tmp_path, "apply", "phase.tfplan")
            assert applied.returncode == 0, f"{identity}: {applied.stderr[-3000:]}"
            replan = _terraform(env, tmp_path, "plan", "-detailed-exitcode")
        assert replan.returncode == 0, f"{identity}: the plan after apply is not empty:\n{replan.stdout[-3000:]}"
        if step:
            assert actions.get("aws_iam_role.workload", ["no-op"]) in (["update"], ["no-op"]), (identity, actions)
            assert all(a in (["create"], ["update"], ["no-op"]) for a in actions.values()), (identity, actions)

        role = iam.get_role(RoleName=f"{CLUSTER}-{SERVICE_ACCOUNT}")["Role"]
        first = first or role
        assert (role["Arn"], role["RoleId"], role["CreateDate"]) == (first["Arn"], first["RoleId"], first["CreateDate"]), identity
        statements = role["AssumeRolePolicyDocument"]["Statement"]
        trusted = {"oidc" if s["Action"] == "sts:AssumeRoleWithWebIdentity" else "pods" for s in statements}
        assert trusted == {p for p, on in (("oidc", trusts_oidc(identity)), ("pods", associated(identity))) if on}, (identity, statements)

        listed = eks.list_pod_identity_associations(clusterName=CLUSTER, namespace=NAMESPACE, serviceAccount=SERVICE_ACCOUNT)["associations"]
        if associated(identity):
            [summary] = listed
            described = eks.describe_pod_identity_association(clusterName=CLUSTER, associationId=summary["associationId"])["association"]
            assert described["roleArn"] == role["Arn"], identity
            association_id = association_id or summary["associationId"]
            assert summary["associationId"] == association_id, f"{identity}: the association was replaced"
        else:
            assert listed == [], identity
