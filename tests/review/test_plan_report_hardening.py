"""Plan-report rules on ``terraform show -json`` shapes, for what the emulator
cannot apply: Helm releases (no Kubernetes API), the add-on buckets (applied only by the lifecycle
module), access entries (no access-entry API in moto before the emulator extension) and an errored
plan without a protected resource. The others (OIDC provider, node role, routes, route table
associations, EFS mount target and security group, a plan blocked by ``protect``) are checked on
real plans against the emulator in tests/e2e/test_deploy_and_review.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.review.test_plan_report import rc
from tools.plan_report import assess, load_plan


def risks(tmp_path: Path, stack: str, *changes: dict, errored: bool = False) -> list[str]:
    path = tmp_path / f"{stack}.json"
    path.write_text(json.dumps({"format_version": "1.2", "planned_values": {}, "errored": errored, "resource_changes": list(changes)}))
    return [f"{r.level}: {r.message}" for r in assess([load_plan(stack, path)])]


def test_uninstalling_the_ebs_driver_and_the_load_balancer_controller_say_what_goes_with_them(tmp_path: Path) -> None:
    found_other = risks(tmp_path, "dev-addons", rc("helm_release", "ms", ["delete"], {"name": "metrics-server", "chart": "metrics-server"}))
    assert found_other == [
        "high: Helm release metrics-server (metrics-server) will be uninstalled: everything the chart installed is deleted from the cluster."
    ]
    found = risks(
        tmp_path,
        "dev-addons",
        rc("helm_release", "ebs", ["delete"], {"name": "aws-ebs-csi-driver", "chart": "aws-ebs-csi-driver"}),
        rc("helm_release", "lbc", ["delete"], {"name": "aws-load-balancer-controller", "chart": "aws-load-balancer-controller"}),
        rc(
            "helm_release",
            "ms",
            ["delete", "create"],
            {"name": "metrics-server", "chart": "metrics-server"},
            {"name": "metrics-server", "chart": "metrics-server"},
        ),
    )
    assert found == [
        "high: Helm release aws-ebs-csi-driver (aws-ebs-csi-driver) will be uninstalled: the gp3 default StorageClass and the EBS CSI "
        "driver go with it: new EBS volumes cannot be provisioned or attached.",
        "high: Helm release aws-load-balancer-controller (aws-load-balancer-controller) will be uninstalled: Ingresses and LoadBalancer "
        "Services are no longer reconciled; the ALBs/NLBs it created are orphaned in AWS (nothing deletes them).",
    ]  # metrics-server is replaced, not uninstalled: reinstalled at once, not flagged here


def test_an_updated_release_is_not_flagged(tmp_path: Path) -> None:
    assert (
        risks(
            tmp_path,
            "dev-addons",
            rc(
                "helm_release",
                "ms",
                ["update"],
                {"name": "metrics-server", "chart": "metrics-server", "version": "3.13.0"},
                {"name": "metrics-server", "chart": "metrics-server", "version": "3.13.1"},
            ),
        )
        == []
    )


def test_destroying_an_addon_bucket_is_high_but_not_a_bucket_elsewhere(tmp_path: Path) -> None:
    bucket = rc("aws_s3_bucket", "loki", ["delete"], {"bucket": "dev-111111111111-loki-chunks"})
    assert risks(tmp_path, "dev-addons-aws", bucket) == [
        "high: Add-on bucket dev-111111111111-loki-chunks will be destroyed: the data it holds (logs, traces) is lost."
    ]
    assert risks(tmp_path, "dev-other", bucket) == []


ROLE = "arn:aws:iam::111111111111:role/developers"


def test_an_access_entry_deleted_and_created_again_for_the_same_role_is_high(tmp_path: Path) -> None:
    """What a positional key did when the list was reordered: entry-0 goes, entry-1 comes, same role."""
    found = risks(
        tmp_path,
        "dev-cluster",
        rc("aws_eks_access_entry", "entry-0", ["delete"], {"principal_arn": ROLE}),
        rc("aws_eks_access_entry", "entry-1", ["create"], None, {"principal_arn": ROLE}),
    )
    assert found == [
        f"high: The access entry of {ROLE} is deleted and created again (its key changed, e.g. the list was reordered): between the two "
        "that role cannot reach the cluster, and its policy associations are re-created."
    ]


def test_removing_an_access_entry_is_medium(tmp_path: Path) -> None:
    assert risks(tmp_path, "dev-cluster", rc("aws_eks_access_entry", "x", ["delete"], {"principal_arn": ROLE})) == [
        f"medium: The access entry of {ROLE} is removed: that role loses its access to the cluster."
    ]


def test_an_errored_plan_without_a_protected_resource_is_high(tmp_path: Path) -> None:
    assert risks(tmp_path, "dev-network", errored=True) == ["high: The plan errored: it cannot be applied; read the plan log of this stack."]


# --- 10.6: the EFS file system policy ------------------------------------------------------------

FS_ARN = "arn:aws:elasticfilesystem:eu-west-1:111111111111:file-system/fs-0123"


def _efs_policy(require_access_point: bool = True, **edits: dict) -> dict:
    from modules.shared.iam import document
    from modules.storage.efs_policy import statements

    listed = [{**s, **edits.get(s["Sid"], {})} for s in statements(FS_ARN, require_access_point=require_access_point)]
    return {"file_system_id": "fs-0123", "policy": document(*listed)}


def test_removing_the_efs_policy_is_high(tmp_path: Path) -> None:
    found = risks(tmp_path, "dev-storage", rc("aws_efs_file_system_policy", "p", ["delete"], _efs_policy()))
    assert found == [
        "high: The EFS file system policy will be destroyed: meanwhile EFS's default policy applies, which lets any client that "
        "reaches a mount target mount, write and act as root, without TLS and without an access point."
    ]


def test_loosening_the_efs_policy_is_medium_and_names_the_statements(tmp_path: Path) -> None:
    root = {"MountTargetClients": {"Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientRootAccess", "elasticfilesystem:ClientWrite"]}}
    found = risks(tmp_path, "dev-storage", rc("aws_efs_file_system_policy", "p", ["update"], _efs_policy(), _efs_policy(False, **root)))
    assert found == [
        "medium: The EFS file system policy is loosened (Deny statements dropped or changed: DenyWithoutAccessPoint; Allow statements "
        "added or changed: MountTargetClients): make sure it is meant; clients should still need TLS, a mount target and (unless "
        "storage.efs_require_access_point is false) an access point, and get no root access."
    ]


def test_tightening_or_creating_the_efs_policy_is_not_flagged(tmp_path: Path) -> None:
    tighter = rc("aws_efs_file_system_policy", "p", ["update"], _efs_policy(False), _efs_policy(True))
    renamed = rc("aws_efs_file_system_policy", "q", ["update"], _efs_policy(), _efs_policy(DenyNonTls={"Sid": "DenyPlainNfs"}))
    created = rc("aws_efs_file_system_policy", "r", ["create"], None, _efs_policy())
    assert risks(tmp_path, "dev-storage", tighter, renamed, created) == []
