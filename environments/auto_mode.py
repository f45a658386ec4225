"""``cluster.auto_mode`` — EKS Auto Mode: AWS runs the nodes (Karpenter-based), the pod network, cluster
DNS, block storage and load balancing for the cluster (pure config, no cdktf).

Sources (Amazon EKS User Guide): "Automate cluster infrastructure with EKS Auto Mode" (what it
manages), "Enable or Disable Built-in NodePools" (``general-purpose`` and ``system``: they can only
be switched on or off), "Create a Node Pool for EKS Auto Mode" (its NodePool and the labels its
requirements take), "Create a Node Class for Amazon EKS" (``eks.amazonaws.com/v1`` NodeClass),
"Migrate from ..." (enabling it on a cluster with node groups; both run while workloads move).

Turning it off is a step of its own: ``enabled: false`` with no pool left (``built_in_pools: []``
and no ``node_pools``) writes ``compute_config.enabled = false`` and the storage and load-balancing
switches off together, as the EKS API requires them to move as one; removing the section instead
would leave the cluster as it is (the aws provider keeps what it does not see). Emptying
``built_in_pools`` while Auto Mode keeps running is allowed but, on a cluster that had them, replaces
the cluster with aws 5.100.0 (the node role leaves ``compute_config``: hashicorp/terraform-provider-aws
#40582); docs/compute.md walks through the way in and out.

Every rule reports ``<field.path>: message`` and the loader adds the file, like the rest of the schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Self

from pydantic import Field, model_validator

from catalog.fields import K8sName, Strict
from environments.karpenter import NodePool

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig

BUILT_IN_POOLS = ("general-purpose", "system")

# Label domains Auto Mode sets on its nodes itself (its NodePool CRD refuses them in template labels,
# as Karpenter's does for karpenter.sh): "Create a Node Pool for EKS Auto Mode", supported labels.
_RESERVED_LABEL_DOMAINS = ("karpenter.sh", "eks.amazonaws.com")

# What Auto Mode already runs, refused beside it (two controllers acting on the same objects):
# add-on -> what Auto Mode does instead. Auto Mode's load balancing reconciles Services of type
# LoadBalancer and Ingresses as the AWS Load Balancer Controller does; its block storage is the EBS
# CSI driver (provisioner ebs.csi.eks.amazonaws.com); its compute is Karpenter (so neither
# Karpenter nor the Cluster Autoscaler may run); it handles Spot interruptions and instance
# health itself ("Automatically handles EC2 Spot Instance interruption notices").
REPLACED_ADDONS = {
    "aws-load-balancer-controller": "Auto Mode's load balancing (IngressClass controller eks.amazonaws.com/alb) would reconcile the same Services and Ingresses",
    "aws-ebs-csi-driver": "Auto Mode's block storage (provisioner ebs.csi.eks.amazonaws.com) already provisions EBS volumes",
    "cluster-autoscaler": "Auto Mode launches and removes its own nodes; an autoscaler beside it would fight it over capacity",
    "aws-node-termination-handler": "Auto Mode drains its nodes on Spot interruptions and health events itself",
}

# The managed core add-ons Auto Mode runs on its own nodes (VPC CNI, kube-proxy, CoreDNS: "EKS Auto
# Mode ... core components, as opposed to add-ons"). They stay while node groups exist (the nodes
# Auto Mode does not manage need them); with no node group they are not installed, so tuning them
# would change nothing.
REPLACED_MANAGED_ADDONS = ("vpc-cni", "kube-proxy", "coredns")


class AutoNodePool(NodePool):
    """An Auto Mode NodePool (``karpenter.sh/v1`` NodePool on the ``eks.amazonaws.com`` NodeClass):
    the same choices as a Karpenter pool, with Auto Mode's label domains reserved."""

    @model_validator(mode="after")
    def _auto_labels(self) -> Self:
        for key in self.labels:
            domain = key.split("/")[0] if "/" in key else ""
            if domain.endswith(_RESERVED_LABEL_DOMAINS):
                raise ValueError(f"labels: {key!r} is in a label domain EKS Auto Mode sets on its nodes itself")
        return self


class AutoModeConfig(Strict):
    """EKS Auto Mode on the cluster (``cluster.auto_mode``).

    ``built_in_pools``: which of AWS's own pools run (``general-purpose`` for workloads,
    ``system`` for critical add-ons, tainted ``CriticalAddonsOnly``); ``node_pools``: pools of
    your own on the platform's NodeClass (``modules/addons/auto_mode.py``).
    """

    enabled: bool = True
    built_in_pools: tuple[Literal[BUILT_IN_POOLS], ...] = BUILT_IN_POOLS  # type: ignore[valid-type]
    node_pools: dict[K8sName, AutoNodePool] = Field(default_factory=dict)
    disk_size_gib: int = Field(default=80, ge=20, le=16384)
    """Ephemeral storage of each node of the custom pools (NodeClass ``ephemeralStorage.size``; Auto Mode's default is 80Gi)."""

    @model_validator(mode="after")
    def _pools(self) -> Self:
        if len(set(self.built_in_pools)) != len(self.built_in_pools):
            raise ValueError(f"built_in_pools: duplicate entry in {list(self.built_in_pools)}")
        clash = sorted(set(self.node_pools) & set(BUILT_IN_POOLS))
        if clash:
            raise ValueError(f"node_pools.{clash[0]}: the name of a built-in pool (built_in_pools switches those on and off)")
        if not self.enabled:
            left = [f"built_in_pools ({', '.join(self.built_in_pools)})"] if self.built_in_pools else []
            left += [f"node_pools ({', '.join(sorted(self.node_pools))})"] if self.node_pools else []
            if left:
                raise ValueError(
                    f"enabled: false is refused while Auto Mode pools still exist: {' and '.join(left)}. Move the workloads to node "
                    "groups first (cordon and drain Auto Mode's nodes), then write built_in_pools: [], no node_pools and enabled: false"
                )
        return self


def running(env: EnvironmentConfig) -> bool:
    """Whether Auto Mode runs nodes in ``env``."""
    auto = env.cluster.auto_mode
    return auto is not None and auto.enabled


def only_compute(env: EnvironmentConfig) -> bool:
    """Auto Mode runs and no managed node group exists: the core add-ons it replaces are not installed."""
    return running(env) and not env.cluster.node_groups


def problems(env: EnvironmentConfig) -> list[str]:
    """Cross-section rules of Auto Mode, each ``"<field.path>: message"`` naming both fields."""
    auto = env.cluster.auto_mode
    found: list[str] = []
    if not env.cluster.node_groups and not running(env):
        found.append("cluster.node_groups: at least 1 item is required (or nodes from cluster.auto_mode)")
    if not running(env):
        return found
    assert auto is not None
    if not env.cluster.node_groups and not auto.built_in_pools and not auto.node_pools:
        found.append(
            "cluster.auto_mode.built_in_pools: no Auto Mode pool and no node group in cluster.node_groups: nothing could run. "
            "Keep a built-in pool or add cluster.auto_mode.node_pools"
        )
    for name, why in REPLACED_ADDONS.items():
        if name in env.addons:
            found.append(f"addons.{name}: refused with cluster.auto_mode enabled: {why}. Remove the add-on, or turn Auto Mode off")
    if env.cluster.autoscaler == "karpenter":
        found.append(
            "cluster.autoscaler: karpenter is refused with cluster.auto_mode enabled: Auto Mode runs its own Karpenter and the two "
            "would launch nodes for the same pending pods. Move the karpenter.node_pools to cluster.auto_mode.node_pools"
        )
    if env.network.pod_network is not None:
        found.append(
            "network.pod_network: VPC CNI custom networking (ENIConfigs) does not apply to Auto Mode nodes "
            "(cluster.auto_mode enabled); their pod subnets are a NodeClass setting this platform does not write yet"
        )
    if only_compute(env):
        tuned = env.cluster.managed_addons.model_fields_set
        for field, alias in (("vpc_cni", "vpc-cni"), ("kube_proxy", "kube-proxy"), ("coredns", "coredns")):
            if field in tuned:
                found.append(
                    f"cluster.managed_addons.{alias}: not installed when cluster.auto_mode runs every node (cluster.node_groups is empty): "
                    f"Auto Mode runs its own {alias} on its nodes, so these settings would change nothing. Remove them"
                )
    return found
