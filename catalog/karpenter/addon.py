"""Karpenter's Kubernetes side: the ``karpenter-crd`` and ``karpenter`` charts (1.14.1) and the
EC2NodeClass/NodePool objects built from ``karpenter:`` (pure Python, no cdktf).

Not in the add-on registry: Karpenter is chosen with ``cluster.autoscaler: karpenter``, not under
``addons:``, so it can never be enabled next to the Cluster Autoscaler by accident. It still has
the add-on shape, so it is released by the same construct (``modules/shared/release.py``).

Order (ADDONS.md §2.4/§2.5): ``karpenter-crd`` first (Helm installs a chart's ``crds/`` only once and
never upgrades them, so the CRDs get their own release), then the controller with ``skip_crds``,
then the node class and pools as a second release of the local manifests chart once the
controller is ready.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from catalog import names
from catalog.addons.base import Addon, Chart, ClusterSide, CustomResources, ServiceAccount
from catalog.karpenter import KARPENTER_VERSION, controller_node_labels

if TYPE_CHECKING:
    from environments.karpenter import KarpenterConfig, NodePool
    from environments.schema import EnvironmentConfig

NAMESPACE = "kube-system"  # Karpenter's getting-started namespace (KARPENTER_NAMESPACE)
NODE_CLASS = "default"
DISCOVERY_TAG = "karpenter.sh/discovery"

# EKS taint effects (the node group spelling the schema uses) -> Kubernetes spelling.
_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


# -- physical names (a contract: renaming one replaces the resource) ------------------------------


def controller_role_name(env: EnvironmentConfig) -> str:
    return names.karpenter_controller_role(env.cluster_name)


def node_role_name(env: EnvironmentConfig) -> str:
    return names.karpenter_node_role(env.cluster_name)


def queue_name(env: EnvironmentConfig) -> str:
    return names.karpenter_queue(env.cluster_name)


# -- charts ---------------------------------------------------------------------------------------


class KarpenterCrd(Addon):
    name = "karpenter-crd"
    chart = Chart(repository="oci://public.ecr.aws/karpenter", name="karpenter-crd", version=KARPENTER_VERSION)
    namespace = NAMESPACE


class Karpenter(Addon):
    name = "karpenter"
    chart = Chart(repository="oci://public.ecr.aws/karpenter", name="karpenter", version=KARPENTER_VERSION)
    namespace = NAMESPACE
    monitor_switch = {"serviceMonitor": {"enabled": True}}  # chart values.yaml serviceMonitor
    service_account = ServiceAccount(name="karpenter", values_path=("serviceAccount",))
    skip_crds = True  # karpenter-crd owns them

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        k: KarpenterConfig = ctx.options
        settings: dict[str, Any] = {"clusterName": ctx.cluster_name}
        if k.interruption_handling:
            settings["interruptionQueue"] = queue_name(ctx.env)
        if ctx.env.network.pod_network is not None:
            # VPC CNI custom networking: the primary ENI holds no pod addresses, so Karpenter must
            # leave it out of max-pods and kube-reserved or it overcounts every node's pods
            # (chart values.yaml 1.14.1, settings.reservedENIs: "most often used in the VPC CNI
            # custom networking setup"; aws/amazon-vpc-cni-k8s#3238).
            settings["reservedENIs"] = "1"
        return {
            "settings": settings,
            "replicas": k.replicas,
            # On the managed node group, never on nodes it launches (it could consolidate itself away):
            # a label that group sets on its nodes (stacks/cluster.py), not its generated name.
            "nodeSelector": controller_node_labels(k),
            # Karpenter's docs: 1 CPU / 1 GiB, requests equal to limits.
            "controller": {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}},
        }

    def custom_resources(self, ctx: ClusterSide) -> CustomResources:
        k: KarpenterConfig = ctx.options
        return CustomResources(release="karpenter-nodepools", manifests=(node_class(ctx.env, k), *node_pools(k)))


def node_class(env: EnvironmentConfig, k: KarpenterConfig) -> dict[str, Any]:
    """The one EC2NodeClass every pool uses: pinned AMI alias, discovery by tag, IMDSv2 with hop
    limit 1 and encrypted gp3 root volumes as the managed node groups have."""
    discovery = [{"tags": {DISCOVERY_TAG: env.cluster_name}}]
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": NODE_CLASS},
        "spec": {
            "role": node_role_name(env),
            "amiSelectorTerms": [{"alias": k.ami_alias}],
            "subnetSelectorTerms": discovery,
            "securityGroupSelectorTerms": discovery,
            "metadataOptions": {
                "httpEndpoint": "enabled",
                "httpProtocolIPv6": "disabled",
                "httpPutResponseHopLimit": 1,
                "httpTokens": "required",
            },
            "blockDeviceMappings": [
                {
                    "deviceName": "/dev/xvda",
                    "ebs": {"volumeSize": f"{k.disk_size_gib}Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True},
                }
            ],
            # Instances Karpenter launches carry no provider default tags: give them the environment's.
            "tags": {**env.tags, "environment": env.name, "managed-by": "karpenter"},
        },
    }


def _requirement(key: str, values: tuple[str, ...]) -> dict[str, Any]:
    return {"key": key, "operator": "In", "values": list(values)}


def requirements(pool: NodePool) -> list[dict[str, Any]]:
    reqs = [
        _requirement("karpenter.sh/capacity-type", pool.capacity_types),
        _requirement("kubernetes.io/arch", pool.architectures),
        _requirement("kubernetes.io/os", ("linux",)),
    ]
    for key, values in (
        ("karpenter.k8s.aws/instance-category", pool.instance_categories),
        ("karpenter.k8s.aws/instance-family", pool.instance_families),
        ("karpenter.k8s.aws/instance-size", pool.instance_sizes),
        ("node.kubernetes.io/instance-type", pool.instance_types),
    ):
        if values:
            reqs.append(_requirement(key, values))
    return reqs


def node_pools(k: KarpenterConfig) -> list[dict[str, Any]]:
    out = []
    for name, pool in sorted(k.node_pools.items()):
        limits: dict[str, str] = {"cpu": str(pool.limits.cpu)}
        if pool.limits.memory_gib is not None:
            limits["memory"] = f"{pool.limits.memory_gib}Gi"
        budgets = []
        for b in pool.disruption.budgets:
            budget: dict[str, Any] = {"nodes": b.nodes}
            if b.schedule is not None:
                budget |= {"schedule": b.schedule, "duration": b.duration}
            if b.reasons:
                budget["reasons"] = list(b.reasons)
            budgets.append(budget)
        template_spec: dict[str, Any] = {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": NODE_CLASS},
            "requirements": requirements(pool),
            "expireAfter": pool.disruption.expire_after,
        }
        if pool.taints:
            template_spec["taints"] = [{"key": t.key, **({"value": t.value} if t.value else {}), "effect": _EFFECTS[t.effect]} for t in pool.taints]
        spec: dict[str, Any] = {
            "template": {"spec": template_spec},
            "limits": limits,
            "disruption": {
                "consolidationPolicy": pool.disruption.consolidation_policy,
                "consolidateAfter": pool.disruption.consolidate_after,
                "budgets": budgets,
            },
        }
        if pool.labels:
            spec["template"]["metadata"] = {"labels": dict(sorted(pool.labels.items()))}
        if pool.weight is not None:
            spec["weight"] = pool.weight
        out.append({"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": name}, "spec": spec})
    return out
