"""The plan report on moves between IRSA and EKS Pod Identity.

Expectations from how each credential path works (EKS User Guide): an IRSA pod holds a projected
token and calls AssumeRoleWithWebIdentity against the role's OIDC trust until it restarts; a Pod
Identity pod gets credentials only through an association and the role's trust for
``pods.eks.amazonaws.com``, and only pods started after the association exists get it. So removing
OIDC trust before Pod Identity was in place, or removing an association a role without IRSA relies
on, leaves pods without credentials (HIGH); adding Pod Identity beside unchanged IRSA does not.

A pod started while its service account carries the IRSA annotation holds the IRSA variables until
it is replaced, and with both sets of variables the SDKs take web identity first (EKS User Guide,
pod-id-minimum-sdk.html; tests/catalog/test_identity_phases.py asks botocore). So removing OIDC trust
from a role some service account is still annotated with, in the state before the deploy or in
any stack's plan, cuts those pods off (HIGH), even when Pod Identity trust was already in place.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.review.test_plan_report import plan_file, rc, risks_of
from tools.plan_report import assess, load_plan

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
        "running pods keep using their IRSA token and lose AWS access. Deploy identity `both` first, then `handover`, then `pod_identity` "
        "(docs/upgrades.md)."
    ]


def team_sa(actions: list[str], before_arn: str | None, after_arn: str | None) -> dict:
    def values(arn: str | None) -> dict:
        return {"metadata": [{"name": "web-api", "namespace": "web", "annotations": {"eks.amazonaws.com/role-arn": arn} if arn else {}}]}

    return rc("kubernetes_service_account_v1", "web_api", actions, values(before_arn), values(after_arn))


def addon_release(actions: list[str], before_arn: str | None, after_arn: str | None) -> dict:
    def values(arn: str | None) -> dict:
        annotations = f"\n    annotations:\n      eks.amazonaws.com/role-arn: {arn}" if arn else ""
        return {"name": "external-dns", "chart": "external-dns", "version": "1.21.1", "values": [f"serviceAccount:\n    create: true{annotations}\n"]}

    return rc("helm_release", "external_dns", actions, values(before_arn), values(after_arn))


def deploy(tmp_path: Path, **stacks: list[dict]) -> list[str]:
    plans = [load_plan(name, plan_file(tmp_path, name, *changes)) for name, changes in stacks.items()]
    return [f"{r.level}: {r.message}" for r in assess(plans)]


def test_handover_to_pod_identity_is_medium_when_no_service_account_is_annotated(tmp_path: Path) -> None:
    risks = deploy(
        tmp_path,
        **{
            "dev-addons-aws": [role(["update"], trust(OIDC, PODS), trust(PODS)), rc("aws_eks_pod_identity_association", "a", ["no-op"], ASSOC, ASSOC)],
            "dev-addons": [addon_release(["no-op"], None, None)],
        },
    )
    assert len(risks) == 1 and risks[0].startswith("medium: The IRSA trust of role dev-eks-external-dns is removed (migration to EKS Pod Identity completes)")
    assert "restarted" in risks[0]


def test_both_to_pod_identity_in_one_deploy_is_high_the_annotation_goes_only_after_the_trust(tmp_path: Path) -> None:
    """The add-on stack removes the annotation in the same deploy, but it is applied after the role
    stack, and pods started with the annotation keep IRSA until restarted."""
    risks = deploy(
        tmp_path,
        **{
            "dev-addons-aws": [role(["update"], trust(OIDC, PODS), trust(PODS)), rc("aws_eks_pod_identity_association", "a", ["no-op"], ASSOC, ASSOC)],
            "dev-addons": [addon_release(["update"], ARN, None)],
        },
    )
    high = [r for r in risks if r.startswith("high: ")]
    assert len(high) == 1 and high[0].startswith(
        "high: The IRSA trust of role dev-eks-external-dns is removed while a service account is still annotated with it "
        "(dev-addons helm_release.external_dns, in its current state)"
    ), risks
    assert "`handover`" in high[0]


def test_removing_oidc_trust_of_a_role_another_stack_keeps_annotated_is_high(tmp_path: Path) -> None:
    """A team service account that stays annotated (no change in its stack's plan) still hands its
    pods the IRSA variables."""
    risks = deploy(
        tmp_path,
        **{
            "dev-teams-aws": [role(["update"], trust(OIDC, PODS), trust(PODS))],
            "dev-teams": [team_sa(["no-op"], ARN, ARN)],
        },
    )
    assert [r for r in risks if r.startswith("high: ")] and "dev-teams kubernetes_service_account_v1.web_api" in risks[0], risks


def test_handover_removes_the_annotation_while_both_trusts_stay_medium_with_the_restart(tmp_path: Path) -> None:
    risks = deploy(
        tmp_path,
        **{
            "dev-teams-aws": [role(["no-op"], trust(OIDC, PODS), trust(OIDC, PODS)), rc("aws_eks_pod_identity_association", "a", ["no-op"], ASSOC, ASSOC)],
            "dev-teams": [team_sa(["update"], ARN, None)],
        },
    )
    assert len(risks) == 1 and risks[0].startswith(
        "medium: The IRSA annotation for role dev-eks-external-dns is removed (dev-teams kubernetes_service_account_v1.web_api): "
    ), risks
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
