"""EKS access entries: IAM roles mapped to Kubernetes access through EKS access policies."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import (
    EksAccessPolicyAssociation,
    EksAccessPolicyAssociationAccessScope,
)
from constructs import Construct

from environments.schema import AccessEntry

# admin without namespaces is cluster-admin; scoped to namespaces it is the namespace admin policy.
# https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
_POLICY = {
    ("admin", False): "AmazonEKSClusterAdminPolicy",
    ("admin", True): "AmazonEKSAdminPolicy",
    ("edit", False): "AmazonEKSEditPolicy",
    ("edit", True): "AmazonEKSEditPolicy",
    ("view", False): "AmazonEKSViewPolicy",
    ("view", True): "AmazonEKSViewPolicy",
}
POLICY_PREFIX = "arn:aws:eks::aws:cluster-access-policy/"


def access_policy_arn(entry: AccessEntry) -> str:
    return f"{POLICY_PREFIX}{_POLICY[(entry.access, bool(entry.namespaces))]}"


@dataclass(frozen=True)
class Grant:
    """One role's access: an EKS access policy, on the cluster or on ``namespaces``."""

    role_arn: str
    policy: str  # an EKS access policy name, e.g. AmazonEKSClusterAdminPolicy
    namespaces: tuple[str, ...] = ()
    position: int | None = None  # index in cluster.access_entries, for the move from positional keys
    kubernetes_groups: tuple[str, ...] = ()  # RBAC groups on top of the access policy (in-place update)


def grant(entry: AccessEntry, position: int) -> Grant:
    return Grant(entry.role_arn, access_policy_arn(entry).removeprefix(POLICY_PREFIX), tuple(entry.namespaces), position)


def role_key(role_arn: str) -> str:
    """The construct key of a role's entry: its name (unique per account, whatever its path)."""
    return role_arn.rsplit("/", 1)[-1]


def _positional_address(resource_type: str, scope_id: str, child: str) -> str:
    # The address cdktf gave a resource at construct path <scope_id>/<child> (its allocateLogicalId:
    # path joined with "_", then the first 8 hex digits of the MD5 of the path, upper case).
    path = f"{scope_id}/{child}"
    return f"{resource_type}.{scope_id}_{child}_{hashlib.md5(path.encode()).hexdigest()[:8].upper()}"


class AccessEntries(Construct):
    """One access entry and one policy association per role, keyed by the role's name: reordering
    the list changes nothing. Entries that were keyed by position (``entry-<i>``, ``policy-<i>``)
    before are moved to their role's key with ``moved`` blocks, so existing clusters keep them
    (a ``moved`` whose source is not in state is a no-op)."""

    def __init__(self, scope: Construct, id_: str, *, grants: list[Grant], cluster_name: str) -> None:
        super().__init__(scope, id_)
        for g in grants:
            key = role_key(g.role_arn)
            access_entry = EksAccessEntry(
                self,
                f"entry-{key}",
                cluster_name=cluster_name,
                principal_arn=g.role_arn,
                type="STANDARD",
                kubernetes_groups=list(g.kubernetes_groups) or None,
            )
            association = EksAccessPolicyAssociation(
                self,
                f"policy-{key}",
                cluster_name=cluster_name,
                principal_arn=access_entry.principal_arn,
                policy_arn=f"{POLICY_PREFIX}{g.policy}",
                access_scope=EksAccessPolicyAssociationAccessScope(type="namespace", namespaces=list(g.namespaces))
                if g.namespaces
                else EksAccessPolicyAssociationAccessScope(type="cluster"),
            )
            if g.position is not None:
                access_entry.move_from_id(_positional_address("aws_eks_access_entry", id_, f"entry-{g.position}"))
                association.move_from_id(_positional_address("aws_eks_access_policy_association", id_, f"policy-{g.position}"))
