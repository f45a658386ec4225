"""The plan report on moves between IRSA and EKS Pod Identity.

Expectations from how each credential path works (EKS User Guide): an IRSA pod holds a projected
token and calls AssumeRoleWithWebIdentity against the role's OIDC trust until it restarts; a Pod
Identity pod gets credentials only through an association and the role's trust for
``pods.eks.amazonaws.com``, and only pods started after the association exists get it. So removing
OIDC trust before Pod Identity was in place, or removing an association a role without IRSA relies
on, leaves pods without credentials (HIGH); adding Pod Identity beside unchanged IRSA does not.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.review.test_plan_report import rc, risks_of

ARN = "arn:aws:iam::111111111111:role/dev-eks-external-dns"
OIDC = {
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:external-dns:external-dns"}},
    "Effect": "Allow",
    "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
}
PODS = {"Action": ["sts:AssumeRole", "sts:TagSession"], "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}}
ASSOC = {"namespace": "external-dns", "service_account": "external-dns", "role_arn": ARN, "cluster_name": "dev-eks"}


def trust(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def role(actions: list[str], before: str, after: str) -> dict:
    return rc(
        "aws_iam_role",
        "dns",
        actions,
        {"name": "dev-eks-external-dns", "arn": ARN, "assume_role_policy": before},
        {"name": "dev-eks-external-dns", "arn": ARN, "assume_role_policy": after},
    )


def test_irsa_to_both_is_a_recorded_step_not_a_risk(tmp_path: Path) -> None:
    risks = risks_of(tmp_path, role(["update"], trust(OIDC), trust(OIDC, PODS)), rc("aws_eks_pod_identity_association", "a", ["create"], None, ASSOC))
    assert len(risks) == 1 and risks[0].startswith("medium: Role dev-eks-external-dns gains EKS Pod Identity trust"), risks


def test_a_one_shot_irsa_to_pod_identity_is_high_even_with_the_association_in_the_same_plan(tmp_path: Path) -> None:
    risks = risks_of(tmp_path, role(["update"], trust(OIDC), trust(PODS)), rc("aws_eks_pod_identity_association", "a", ["create"], None, ASSOC))
    assert [r for r in risks if r.startswith("high: ")] == [
        "high: The IRSA trust of role dev-eks-external-dns is removed before EKS Pod Identity was in place (a one-shot IRSA -> pod_identity): "
        "running pods keep using their IRSA token and lose AWS access. Deploy identity `both` first, then `pod_identity` (docs/upgrades.md)."
    ]


def test_both_to_pod_identity_is_medium_with_the_restart_to_do(tmp_path: Path) -> None:
    risks = risks_of(tmp_path, role(["update"], trust(OIDC, PODS), trust(PODS)), rc("aws_eks_pod_identity_association", "a", ["no-op"], ASSOC, ASSOC))
    assert len(risks) == 1 and risks[0].startswith("medium: The IRSA trust of role dev-eks-external-dns is removed (migration to EKS Pod Identity completes)")
    assert "rollout restart" in risks[0]


def test_removing_an_association_a_pod_identity_only_role_relies_on_is_high(tmp_path: Path) -> None:
    risks = risks_of(tmp_path, role(["no-op"], trust(PODS), trust(PODS)), rc("aws_eks_pod_identity_association", "a", ["delete"], ASSOC, None))
    assert risks == [
        "high: The EKS Pod Identity association of external-dns/external-dns is destroyed while its role keeps no IRSA trust it already had: "
        "pods of that service account get no AWS credentials."
    ]


def test_going_back_from_both_to_irsa_is_not_high(tmp_path: Path) -> None:
    risks = risks_of(tmp_path, role(["update"], trust(OIDC, PODS), trust(OIDC)), rc("aws_eks_pod_identity_association", "a", ["delete"], ASSOC, None))
    assert not [r for r in risks if r.startswith("high: ")], risks


def test_an_association_whose_role_is_not_in_the_plan_is_high_when_removed(tmp_path: Path) -> None:
    risks = risks_of(tmp_path, rc("aws_eks_pod_identity_association", "a", ["delete"], ASSOC, None))
    assert len(risks) == 1 and risks[0].startswith("high: The EKS Pod Identity association of external-dns/external-dns is destroyed")
