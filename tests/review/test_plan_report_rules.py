"""Each plan-report rule with a case that must be flagged and a close one that must not.

The smallest ``terraform show -json`` shapes (helpers from test_plan_report); which change is
dangerous comes from how AWS treats it (what a destroy takes with it, which node-group attributes
roll the nodes, which access policy is cluster-admin), not from the rule tables in the code.
Real plans from Terraform against the emulator: tests/e2e/test_deploy_and_review.py.
"""

from __future__ import annotations

import json

import pytest

from tests.review.test_plan_report import ADMIN, EDIT, IRSA_TRUST, rc, risks_of

VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
NS_ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"

# What losing each resource takes down on EKS (VPC, subnets, NAT, cluster, node groups, EFS).
PLATFORM_CRITICAL = ["aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_efs_file_system", "aws_eks_node_group", "aws_eks_cluster"]


# --- critical loss -------------------------------------------------------------------------------


@pytest.mark.parametrize("type_", PLATFORM_CRITICAL)
def test_destroying_a_platform_critical_resource_is_high(tmp_path, type_: str) -> None:
    [risk] = risks_of(tmp_path, rc(type_, "x", ["delete"], {"id": "1"}, None))
    assert risk.startswith("high: ") and risk.endswith(" will be destroyed.")


@pytest.mark.parametrize("type_", PLATFORM_CRITICAL)
def test_updating_a_platform_critical_resource_in_place_is_not_a_loss(tmp_path, type_: str) -> None:
    change = rc(type_, "x", ["update"], {"id": "1", "tags": {}}, {"id": "1", "tags": {"team": "a"}})
    assert risks_of(tmp_path, change) == []


# Not aws_route_table: losing one cuts a subnet's egress.
@pytest.mark.parametrize("type_", ["aws_security_group", "aws_iam_role_policy", "aws_cloudwatch_log_group"])
def test_replacing_or_destroying_an_ordinary_resource_is_not_flagged(tmp_path, type_: str) -> None:
    assert risks_of(tmp_path, rc(type_, "x", ["delete", "create"], {"id": "1"}, {}, replace_paths=[["name"]])) == []
    assert risks_of(tmp_path, rc(type_, "y", ["delete"], {"id": "1"}, None)) == []


# --- node group roll -----------------------------------------------------------------------------

# Changes EKS applies to a managed node group by replacing its nodes batch by batch
# (UpdateNodegroupVersion / a new launch template version); scaling and labels change in place.
_BASE = {
    "version": "1.32",
    "release_version": "1.32.0-20260101",
    "ami_type": "AL2023_x86_64_STANDARD",
    "instance_types": ["m6i.large"],
    "launch_template": [{"id": "lt-1", "version": "1"}],
    "capacity_type": "ON_DEMAND",
    "disk_size": 50,
    "labels": {"a": "b"},
    "scaling_config": [{"min_size": 1, "max_size": 3, "desired_size": 2}],
}
ROLLING = {
    "version": "1.33",
    "release_version": "1.32.1-20260201",
    "ami_type": "AL2023_ARM_64_STANDARD",
    "instance_types": ["m7g.large"],
    "launch_template": [{"id": "lt-1", "version": "2"}],
    "capacity_type": "SPOT",
    "disk_size": 100,
}


@pytest.mark.parametrize(("attribute", "value"), sorted(ROLLING.items()))
def test_each_attribute_that_replaces_nodes_is_medium(tmp_path, attribute: str, value) -> None:
    change = rc("aws_eks_node_group", "system", ["update"], _BASE, {**_BASE, attribute: value})
    assert risks_of(tmp_path, change) == [f"medium: Node group nodes are replaced one batch at a time ({attribute} changes): expect pod evictions."]


def test_a_launch_template_version_known_only_after_apply_is_a_roll(tmp_path) -> None:
    after = {**_BASE, "launch_template": [{"id": "lt-1"}]}
    change = rc("aws_eks_node_group", "system", ["update"], _BASE, after, after_unknown={"launch_template": [{"version": True}]})
    assert risks_of(tmp_path, change) == ["medium: Node group nodes are replaced one batch at a time (launch_template changes): expect pod evictions."]


@pytest.mark.parametrize("attribute", ["labels", "scaling_config", "tags"])
def test_in_place_node_group_changes_are_not_a_roll(tmp_path, attribute: str) -> None:
    values = {"labels": {"a": "c"}, "scaling_config": [{"min_size": 0, "max_size": 9, "desired_size": 2}], "tags": {"x": "y"}}
    change = rc("aws_eks_node_group", "system", ["update"], _BASE, {**_BASE, attribute: values[attribute]})
    assert risks_of(tmp_path, change) == []


# --- last cluster admin --------------------------------------------------------------------------


def test_demoting_the_only_admin_to_edit_is_high(tmp_path) -> None:
    # policy_arn forces a new association: the admin one is replaced by an edit one.
    risks = risks_of(
        tmp_path,
        rc("aws_eks_access_policy_association", "ops", ["delete", "create"], {"policy_arn": ADMIN}, {"policy_arn": EDIT}),
        rc("aws_eks_access_policy_association", "dev", ["no-op"], {"policy_arn": VIEW}, {"policy_arn": VIEW}),
    )
    assert len(risks) == 1 and risks[0].startswith("high: The last cluster-admin access entry is removed")


def test_namespace_admin_is_not_a_cluster_admin(tmp_path) -> None:
    risks = risks_of(
        tmp_path,
        rc("aws_eks_access_policy_association", "ops", ["delete"], {"policy_arn": ADMIN}, None),
        rc("aws_eks_access_policy_association", "apps", ["no-op"], {"policy_arn": NS_ADMIN}, {"policy_arn": NS_ADMIN}),
    )
    assert len(risks) == 1 and "last cluster-admin" in risks[0]


def test_moving_cluster_admin_to_a_new_entry_in_the_same_plan_is_fine(tmp_path) -> None:
    risks = risks_of(
        tmp_path,
        rc("aws_eks_access_policy_association", "old", ["delete"], {"policy_arn": ADMIN}, None),
        rc("aws_eks_access_policy_association", "new", ["create"], None, {"policy_arn": ADMIN}),
    )
    assert risks == []


def test_promoting_someone_to_admin_is_not_a_loss(tmp_path) -> None:
    change = rc("aws_eks_access_policy_association", "dev", ["delete", "create"], {"policy_arn": EDIT}, {"policy_arn": ADMIN})
    assert risks_of(tmp_path, change) == []


# --- state bucket --------------------------------------------------------------------------------


def test_state_bucket_is_recognised_by_its_tag_alone(tmp_path) -> None:
    bucket = rc("aws_s3_bucket", "b", ["delete"], {"bucket": "acme-dev-tfstate", "tags_all": {"platform-layer": "state"}}, None)
    assert risks_of(tmp_path, bucket, stack="dev-misc") == [
        "high: The Terraform state bucket acme-dev-tfstate will be destroyed: every stack of the environment keeps its state there."
    ]


def test_state_bucket_is_recognised_by_its_address_alone(tmp_path) -> None:
    bucket = rc("aws_s3_bucket", "state-bucket_bucket_1", ["delete", "create"], {"bucket": "acme-dev-tfstate"}, {"bucket": "acme-dev-tfstate2"})
    assert risks_of(tmp_path, bucket, stack="dev-misc") == [
        "high: The Terraform state bucket acme-dev-tfstate will be replaced: every stack of the environment keeps its state there."
    ]


def test_state_bucket_is_recognised_by_its_stack_alone(tmp_path) -> None:
    bucket = rc("aws_s3_bucket", "b", ["delete"], {"bucket": "acme-dev-tfstate"}, None)
    assert len(risks_of(tmp_path, bucket, stack="dev-state")) == 1


def test_updating_the_state_bucket_in_place_is_not_flagged(tmp_path) -> None:
    bucket = rc("aws_s3_bucket", "b", ["update"], {"bucket": "x", "tags": {}, "tags_all": {"platform-layer": "state"}}, {"bucket": "x", "tags": {"a": "b"}})
    assert risks_of(tmp_path, bucket, stack="dev-state") == []


# --- KMS, cluster encryption, IRSA trust ---------------------------------------------------------


def test_kms_key_update_or_create_is_not_a_deletion(tmp_path) -> None:
    update = rc("aws_kms_key", "k", ["update"], {"description": "a", "deletion_window_in_days": 7}, {"description": "b", "deletion_window_in_days": 7})
    create = rc("aws_kms_key", "n", ["create"], None, {"description": "new"})
    assert risks_of(tmp_path, update, create) == []


def test_kms_key_replacement_is_a_scheduled_deletion_with_the_default_window(tmp_path) -> None:
    [risk] = risks_of(tmp_path, rc("aws_kms_key", "k", ["delete", "create"], {"description": "EKS secrets"}, {"description": "EKS secrets"}))
    assert risk.startswith('high: KMS key "EKS secrets" will be scheduled for deletion (in 30 days).')


def test_cluster_update_without_encryption_change_is_not_flagged(tmp_path) -> None:
    config = [{"provider": [{"key_arn": "arn:a"}], "resources": ["secrets"]}]
    change = rc(
        "aws_eks_cluster",
        "eks",
        ["update"],
        {"enabled_cluster_log_types": ["api"], "encryption_config": config},
        {"enabled_cluster_log_types": ["api", "audit"], "encryption_config": config},
    )
    assert risks_of(tmp_path, change) == []


def test_destroying_an_irsa_role_is_high(tmp_path) -> None:
    change = rc("aws_iam_role", "dns", ["delete"], {"name": "dev-external-dns", "assume_role_policy": IRSA_TRUST}, None)
    assert risks_of(tmp_path, change) == [
        "high: The IRSA trust policy of role dev-external-dns is removed: pods (or runs) that assume it may lose their AWS access."
    ]


def test_a_web_identity_trust_without_a_service_account_is_an_oidc_trust(tmp_path) -> None:
    tfc = IRSA_TRUST.replace("system:serviceaccount:kube-system:external-dns", "organization:acme:project:p:workspace:w:run_phase:*")
    change = rc(
        "aws_iam_role",
        "tfc",
        ["update"],
        {"name": "tfc-runs", "assume_role_policy": tfc},
        {"name": "tfc-runs", "assume_role_policy": tfc.replace("acme", "acme2")},
    )
    assert risks_of(tmp_path, change) == [
        "high: The OIDC web-identity trust policy of role tfc-runs changes: pods (or runs) that assume it may lose their AWS access."
    ]


def test_changing_a_service_role_trust_is_not_an_irsa_risk(tmp_path) -> None:
    service = json.dumps({"Statement": [{"Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}}]})
    change = rc(
        "aws_iam_role",
        "cluster",
        ["update"],
        {"name": "dev-eks-cluster", "assume_role_policy": service},
        {"name": "dev-eks-cluster", "assume_role_policy": service.replace("eks.", "eks-fargate-pods.")},
    )
    assert risks_of(tmp_path, change) == []


def test_helm_release_destroy_is_not_a_major_bump(tmp_path) -> None:
    change = rc("helm_release", "dns", ["delete"], {"chart": "external-dns", "version": "1.21.1"}, None)
    # Only the uninstall rule speaks; no major-bump message.
    found = risks_of(tmp_path, change, stack="dev-addons")
    assert len(found) == 1 and "will be uninstalled" in found[0] and "major" not in found[0], found
