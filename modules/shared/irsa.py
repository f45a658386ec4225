"""IAM roles for service accounts (IRSA): one role per service account, trusted only for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from modules.shared.iam import document
from modules.shared.iam_lint import accept_all


def irsa_trust(*, oidc_provider_arn: str, oidc_issuer: str, namespace: str, service_account: str) -> str:
    """Trust policy for exactly ``system:serviceaccount:<namespace>:<service_account>`` tokens
    issued for STS (both ``:sub`` and ``:aud``: without ``:aud`` a token minted for another
    audience would do)."""
    return irsa_trust_for(oidc_provider_arn=oidc_provider_arn, oidc_issuer=oidc_issuer, subjects=[(namespace, service_account)])


def irsa_trust_for(*, oidc_provider_arn: str, oidc_issuer: str, subjects: list[tuple[str, str]]) -> str:
    """As :func:`irsa_trust`, for exactly the listed ``(namespace, service account)`` pairs."""
    subs = [f"system:serviceaccount:{namespace}:{sa}" for namespace, sa in subjects]
    return document(
        {
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
    )


class IrsaRole(Construct):
    """Role ``name`` assumable by one service account, with an inline policy and managed policies."""

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
    ) -> None:
        super().__init__(scope, id_)
        role = IamRole(
            self,
            "role",
            name=name,
            description=f"IRSA role of {namespace}/{service_account}",
            assume_role_policy=irsa_trust(
                oidc_provider_arn=oidc_provider_arn,
                oidc_issuer=oidc_issuer,
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
