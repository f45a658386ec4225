"""``cluster.managed_addons``: the EKS managed core add-ons every cluster runs, with typed options.

vpc-cni, coredns, kube-proxy and eks-pod-identity-agent are always installed as EKS managed
add-ons; a file only tunes them. Versions come from ``catalog/eks_versions.py`` for the
cluster's minor; ``version`` overrides one (only where the table has no confirmed build for the
minor, or to repeat the table's build explicitly: anything else fails at load time). Options
are typed here and become the add-on's ``configuration_values`` as sorted JSON in
``modules/cluster/managed_addons.py``; no file ever holds a JSON or YAML string for them.
"""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import Field, model_validator

from catalog.eks_versions import ADDON_VERSIONS
from catalog.fields import Strict

_VERSION = r"^v\d+\.\d+\.\d+-eksbuild\.\d+$"
AddonVersion = Annotated[str, Field(pattern=_VERSION)]


class ManagedAddon(Strict):
    version: AddonVersion | None = None
    """Pin instead of the table's build for the cluster minor (see module docstring)."""


class VpcCni(ManagedAddon):
    """Amazon VPC CNI (aws-node). Installed before any node group, so nodes start with this config."""

    prefix_delegation: bool = False
    """Assign /28 prefixes instead of single IPs to ENIs (``ENABLE_PREFIX_DELEGATION``): many more
    pods per node; changing it takes effect on nodes started afterwards."""
    warm_prefix_target: int | None = Field(default=None, ge=1, le=16)
    """Free prefixes kept attached per node (``WARM_PREFIX_TARGET``); only with prefix delegation."""
    network_policy: bool = False
    """Enforce Kubernetes NetworkPolicy with the VPC CNI's eBPF agent (``enableNetworkPolicy``)."""

    @model_validator(mode="after")
    def _warm_needs_prefixes(self) -> Self:
        if self.warm_prefix_target is not None and not self.prefix_delegation:
            raise ValueError("warm_prefix_target: set only with prefix_delegation: true")
        return self


class CoreDns(ManagedAddon):
    replicas: int | None = Field(default=None, ge=2, le=20)
    """CoreDNS replicas (the add-on's default is 2)."""


class ManagedAddons(Strict):
    vpc_cni: VpcCni = Field(default_factory=VpcCni, alias="vpc-cni")
    coredns: CoreDns = Field(default_factory=CoreDns)
    kube_proxy: ManagedAddon = Field(default_factory=ManagedAddon, alias="kube-proxy")
    eks_pod_identity_agent: ManagedAddon = Field(default_factory=ManagedAddon, alias="eks-pod-identity-agent")

    def by_name(self) -> dict[str, ManagedAddon]:
        """EKS add-on name -> its settings."""
        return {"vpc-cni": self.vpc_cni, "coredns": self.coredns, "kube-proxy": self.kube_proxy, "eks-pod-identity-agent": self.eks_pod_identity_agent}


def resolve_versions(addons: ManagedAddons, cluster_version: str) -> tuple[dict[str, str], list[str]]:
    """The add-on versions for a cluster minor, and problems as ``managed_addons.<name>.version: ...``."""
    versions: dict[str, str] = {}
    problems: list[str] = []
    for name, settings in addons.by_name().items():
        pinned = ADDON_VERSIONS[name].get(cluster_version)
        where = f"managed_addons.{name}.version"
        if settings.version is None and pinned is None:
            problems.append(
                f"{where}: no {name} build is confirmed for Kubernetes {cluster_version} in catalog/eks_versions.py; "
                f"pin one (aws eks describe-addon-versions --kubernetes-version {cluster_version} --addon-name {name})"
            )
        elif settings.version is not None and pinned is not None and settings.version != pinned:
            problems.append(
                f"{where}: {settings.version} is not the build pinned for Kubernetes {cluster_version} ({pinned}, catalog/eks_versions.py); "
                "remove the override or update the table from its source"
            )
        else:
            versions[name] = settings.version or pinned  # type: ignore[assignment]  # never None: the first branch takes both-None
    return versions, problems


def version_sort_key(version: str) -> tuple[int, ...]:
    """``v1.20.4-eksbuild.2`` -> (1, 20, 4, 2)."""
    return tuple(int(n) for n in re.findall(r"\d+", version))
