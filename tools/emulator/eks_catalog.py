"""What the emulator's ``DescribeAddonVersions`` answers, and the access policies it knows.

The add-on catalog is the project's own version table (``catalog/eks_versions.py``): every
version in it is listed as compatible with the cluster minors whose row names it, and is the
default version for those minors. The emulator therefore proves that the stacks and the table
agree with each other and with EKS's API shapes, not that AWS publishes these builds (that is
the table's cited source's job).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from catalog.eks_versions import ADDON_VERSIONS

# Add-on type as DescribeAddonVersions reports it.
_TYPE = {"vpc-cni": "networking", "coredns": "networking", "kube-proxy": "networking", "eks-pod-identity-agent": "security"}

# EKS access policies (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html).
ACCESS_POLICIES = (
    "AmazonEKSAdminPolicy",
    "AmazonEKSAdminViewPolicy",
    "AmazonEKSClusterAdminPolicy",
    "AmazonEKSEditPolicy",
    "AmazonEKSViewPolicy",
    # EKS Auto Mode's: the node policy a custom NodeClass role's EC2 entry takes, and those EKS
    # associates with the cluster role itself (same page, "AmazonEKSAutoNodePolicy" and following).
    "AmazonEKSAutoNodePolicy",
    "AmazonEKSBlockStoragePolicy",
    "AmazonEKSComputePolicy",
    "AmazonEKSLoadBalancingPolicy",
    "AmazonEKSNetworkingPolicy",
)


def access_policy_arns(partition: str) -> dict[str, str]:
    return {f"arn:{partition}:eks::aws:cluster-access-policy/{name}": name for name in ACCESS_POLICIES}


def compatible_minors(addon: str, version: str) -> list[str]:
    """The cluster minors a catalog version is compatible with ([] if the version is unknown)."""
    return sorted(minor for minor, v in ADDON_VERSIONS.get(addon, {}).items() if v == version)


def default_version(addon: str, cluster_version: str) -> str | None:
    return ADDON_VERSIONS.get(addon, {}).get(cluster_version)


def addon_infos(*, addon_name: str | None, kubernetes_version: str | None) -> list[dict[str, Any]]:
    """``AddonInfo`` structures (botocore's EKS model), filtered as DescribeAddonVersions filters."""
    infos = []
    for name in sorted(ADDON_VERSIONS):
        if addon_name and name != addon_name:
            continue
        by_version: dict[str, list[str]] = defaultdict(list)
        for minor, version in ADDON_VERSIONS[name].items():
            if version:
                by_version[version].append(minor)
        versions = []
        for version in sorted(by_version, key=_version_key, reverse=True):
            minors = sorted(by_version[version])
            if kubernetes_version and kubernetes_version not in minors:
                continue
            versions.append(
                {
                    "addonVersion": version,
                    "architecture": ["amd64", "arm64"],
                    "computeTypes": ["ec2"],
                    "compatibilities": [{"clusterVersion": minor, "platformVersions": ["*"], "defaultVersion": True} for minor in minors],
                    "requiresConfiguration": False,
                    "requiresIamPermissions": name == "vpc-cni",
                }
            )
        if versions:
            infos.append({"addonName": name, "type": _TYPE.get(name, "networking"), "addonVersions": versions, "owner": "aws", "publisher": "eks"})
    return infos


def _version_key(version: str) -> tuple[int, ...]:
    """``v1.20.4-eksbuild.2`` -> (1, 20, 4, 2): newest first, like EKS lists them."""
    digits = version.lstrip("v").replace("-eksbuild.", ".").split(".")
    return tuple(int(d) if d.isdigit() else 0 for d in digits)


def is_older(candidate: str, current: str) -> bool:
    return _version_key(candidate) < _version_key(current)
