"""How a service account's pods get AWS credentials: the three choices and their trust principal.

- ``irsa``: IAM roles for service accounts. The role trusts the cluster's OIDC provider for exactly
  ``system:serviceaccount:<namespace>:<name>``; the service account carries the role ARN annotation.
- ``pod_identity``: EKS Pod Identity. The role trusts the service principal
  ``pods.eks.amazonaws.com`` for ``sts:AssumeRole`` and ``sts:TagSession``; an EKS Pod Identity
  association maps (namespace, service account) to the role; no annotation. It needs the
  ``eks-pod-identity-agent`` DaemonSet, so it does not work for pods on Fargate (EKS User Guide,
  "Learn how EKS Pod Identity grants pods access to AWS services", considerations).
- ``both``: the migration phase. The role trusts both, the service account keeps its annotation and
  has an association, so pods started before, during and after the change all get credentials.

https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html (the trust policy),
https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html (the session tags EKS sets).
"""

from __future__ import annotations

from typing import Literal, get_args

Identity = Literal["pod_identity", "irsa", "both"]
IDENTITIES: tuple[str, ...] = get_args(Identity)
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def annotated(identity: str) -> bool:
    """Whether the service account carries the IRSA role annotation (and its role trusts the OIDC provider)."""
    return identity in ("irsa", "both")


def associated(identity: str) -> bool:
    """Whether the service account has a Pod Identity association (and its role trusts ``pods.eks.amazonaws.com``)."""
    return identity in ("pod_identity", "both")
