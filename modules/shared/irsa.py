"""One IAM role per workload service account, trusted only for it: through the cluster's OIDC
provider (IRSA), through EKS Pod Identity (the ``pods.eks.amazonaws.com`` principal plus an
association), or both while migrating (``catalog/identity.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf_cdktf_provider_aws.eks_pod_identity_association import EksPodIdentityAssociation
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog.identity import POD_IDENTITY_ACTIONS, POD_IDENTITY_PRINCIPAL, associated, trusts_oidc
from modules.shared.iam import Statement, document
from modules.shared.iam_lint import accept_all


def irsa_trust(*, oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> str:
    """Trust policy for exactly ``system:serviceaccount:<namespace>:<service_account>`` tokens
    issued for STS (both ``:sub`` and ``:aud``: without ``:aud`` a token minted for another
    audience would do)."""
    return irsa_trust_for(oidc_provider_arn=oidc_provider_arn, oidc_issuer=oidc_issuer, subjects=[(namespace, service_account)])


def irsa_trust_for(*, oidc_provider_arn: str, oidc_issuer: str, subjects: list[tuple[str, str]]) -> str:
    """As :func:`irsa_trust`, for exactly the listed ``(namespace, service account)`` pairs."""
    return document(_oidc_statement(oidc_provider_arn, oidc_issuer, subjects))


def _oidc_statement(oidc_provider_arn: str, oidc_issuer: str, subjects: list[tuple[str, str]]) -> Statement:
    subs = [f"system:serviceaccount:{namespace}:{sa}" for namespace, sa in subjects]
    return {
        "Effect": "Allow",
        "Principal": {"Federated": oidc_provider_arn},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {
                f"{oidc_issuer}:sub": subs[0] if len(subs) == 1 else subs,
                f"{oidc_issuer}:aud": "sts.amazonaws.com",
            }
        },
    }


def pod_identity_statement(*, cluster_name: str, namespace: str, service_account: str) -> Statement:
    """EKS Pod Identity may assume the role (``sts:AssumeRole``) and tag the session
    (``sts:TagSession``), only for sessions it tags as this cluster's ``<namespace>/<service_account>``:
    the trust policy of https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html with the
    conditions its "Setting Conditions" shows, over the session tags of
    https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html. Without them any association
    in the account, in any cluster, could use the role."""
    return {
        "Sid": "EksPodIdentity",
        "Effect": "Allow",
        "Principal": {"Service": POD_IDENTITY_PRINCIPAL},
        "Action": list(POD_IDENTITY_ACTIONS),
        "Condition": {
            "StringEquals": {
                "aws:RequestTag/eks-cluster-name": cluster_name,
                "aws:RequestTag/kubernetes-namespace": namespace,
                "aws:RequestTag/kubernetes-service-account": service_account,
            }
        },
    }


def workload_trust(*, identity: str, oidc_provider_arn: str, oidc_issuer: str, cluster_name: str, namespace: str, service_account: str) -> str:
    """The trust policy of a service account's role for ``identity``: the OIDC statement for
    ``irsa``, the Pod Identity statement for ``pod_identity``, both for ``both`` and ``handover``."""
    statements = []
    if trusts_oidc(identity):
        statements.append(_oidc_statement(oidc_provider_arn, oidc_issuer, [(namespace, service_account)]))
    if associated(identity):
        statements.append(pod_identity_statement(cluster_name=cluster_name, namespace=namespace, service_account=service_account))
    return document(*statements)


class IrsaRole(Construct):
    """Role ``name`` assumable by one service account, with an inline policy and managed policies;
    with ``identity`` ``pod_identity``, ``both`` or ``handover``, also its EKS Pod Identity association in
    ``cluster_name`` (the role's trust is in place before the association is created)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        oidc_provider_arn: str,
        oidc_issuer: str,
        namespace: str,
        service_account: str,
        statements: list[dict[str, Any]],
        managed_policy_arns: tuple[str, ...] = (),
        lint_accept: Mapping[str, str] | None = None,
        identity: str = "irsa",
        cluster_name: str = "",
        cluster_ref: str = "",
    ) -> None:
        super().__init__(scope, id_)
        role = IamRole(
            self,
            "role",
            name=name,
            description=f"IRSA role of {namespace}/{service_account}",  # kept: changing it is an in-place update of every role
            assume_role_policy=workload_trust(
                identity=identity,
                oidc_provider_arn=oidc_provider_arn,
                oidc_issuer=oidc_issuer,
                cluster_name=cluster_name,
                namespace=namespace,
                service_account=service_account,
            ),
        )
        if statements:
            policy = IamRolePolicy(self, "policy", name=name, role=role.id, policy=document(*statements))
            accept_all(policy, lint_accept or {})
        for i, arn in enumerate(managed_policy_arns):
            IamRolePolicyAttachment(self, f"managed-{i}", role=role.name, policy_arn=arn)
        self.arn = role.arn
        if associated(identity):
            if not (cluster_name and cluster_ref):
                raise ValueError(f"{namespace}/{service_account}: identity {identity!r} needs the cluster (cluster_name, cluster_ref)")
            EksPodIdentityAssociation(
                self,
                "pod-identity",
                cluster_name=cluster_ref,
                namespace=namespace,
                service_account=service_account,
                role_arn=role.arn,
            )
