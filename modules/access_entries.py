"""EKS access entries: IAM roles mapped to Kubernetes access through EKS access policies."""

from __future__ import annotations

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


def access_policy_arn(entry: AccessEntry) -> str:
    return f"arn:aws:eks::aws:cluster-access-policy/{_POLICY[(entry.access, bool(entry.namespaces))]}"


class AccessEntries(Construct):
    """One access entry and one policy association per configured role.

    Construct IDs are positional (``entry-0``...): reordering the list in the environment file
    re-creates entries, so append new ones at the end.
    """

    def __init__(self, scope: Construct, id_: str, *, entries: tuple[AccessEntry, ...], cluster_name: str) -> None:
        super().__init__(scope, id_)
        for i, entry in enumerate(entries):
            access_entry = EksAccessEntry(self, f"entry-{i}", cluster_name=cluster_name, principal_arn=entry.role_arn, type="STANDARD")
            scope_ = (
                EksAccessPolicyAssociationAccessScope(type="namespace", namespaces=list(entry.namespaces))
                if entry.namespaces
                else EksAccessPolicyAssociationAccessScope(type="cluster")
            )
            EksAccessPolicyAssociation(
                self,
                f"policy-{i}",
                cluster_name=cluster_name,
                principal_arn=access_entry.principal_arn,
                policy_arn=access_policy_arn(entry),
                access_scope=scope_,
            )
