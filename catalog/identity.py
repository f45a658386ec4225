"""How a service account's pods get AWS credentials: the three choices and their trust principal.

- ``irsa``: IAM roles for service accounts. The role trusts the cluster's OIDC provider for exactly
  ``system:serviceaccount:<namespace>:<name>``; the service account carries the role ARN annotation.
- ``pod_identity``: EKS Pod Identity. The role trusts the service principal
  ``pods.eks.amazonaws.com`` for ``sts:AssumeRole`` and ``sts:TagSession``; an EKS Pod Identity
  association maps (namespace, service account) to the role; no annotation. It needs the
  ``eks-pod-identity-agent`` DaemonSet, so it does not work for pods on Fargate (EKS User Guide,
  "Learn how EKS Pod Identity grants pods access to AWS services", considerations).
- ``both`` and ``handover``: the migration phases, in that order (``MIGRATION``). In both the role
  trusts the OIDC provider and ``pods.eks.amazonaws.com`` and the association exists. ``both`` keeps
  the annotation, so pods still use IRSA: with both sets of variables the SDKs' default credential
  chain takes web identity before the container credential provider (EKS User Guide,
  pod-id-minimum-sdk.html; botocore's resolver order). ``handover`` removes the annotation: pods
  started from then on use Pod Identity, pods started before keep IRSA, which the role still trusts,
  until they are restarted. Only then does ``pod_identity`` remove the OIDC trust, so no single
  deploy removes a path a running pod uses (docs/upgrades.md, "IRSA to EKS Pod Identity").

https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html (the trust policy),
https://docs.aws.amazon.com/eks/latest/userguide/pod-id-abac.html (the session tags EKS sets).
"""

from __future__ import annotations

from typing import Literal, get_args

Identity = Literal["pod_identity", "irsa", "both", "handover"]
IDENTITIES: tuple[str, ...] = get_args(Identity)
MIGRATION: tuple[Identity, ...] = ("irsa", "both", "handover", "pod_identity")  # one deploy per step
POD_IDENTITY_PRINCIPAL = "pods.eks.amazonaws.com"
POD_IDENTITY_ACTIONS = ("sts:AssumeRole", "sts:TagSession")
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


def annotated(identity: str) -> bool:
    """Whether the service account carries the IRSA role annotation."""
    return identity in ("irsa", "both")


def trusts_oidc(identity: str) -> bool:
    """Whether the role trusts the cluster's OIDC provider for the service account (IRSA)."""
    return identity in ("irsa", "both", "handover")


def associated(identity: str) -> bool:
    """Whether the service account has a Pod Identity association (and its role trusts ``pods.eks.amazonaws.com``)."""
    return identity in ("pod_identity", "both", "handover")
