"""EKS Auto Mode on CreateCluster, DescribeCluster and UpdateClusterConfig, which moto 5.2.5 drops.

What EKS does, as its API reference (CreateCluster/UpdateClusterConfig: ``computeConfig``,
``storageConfig``, ``kubernetesNetworkConfig.elasticLoadBalancing``) and the Auto Mode user guide
describe it, and as the aws provider relies on:

- the three capabilities move together: ``computeConfig.enabled``, ``storageConfig.blockStorage.enabled``
  and ``kubernetesNetworkConfig.elasticLoadBalancing.enabled`` are all true or all false, else
  InvalidParameterException;
- ``nodePools`` (only ``general-purpose`` and ``system``) need ``nodeRoleArn``, and a running Auto
  Mode refuses a role without pools; turned off, the role may stay (hashicorp/terraform-provider-aws
  #40411 lists the in-place transitions EKS allows);
- with a node role, EKS creates that role's access entry (type EC2, AmazonEKSAutoNodePolicy on the
  cluster) when the cluster uses API authentication ("Learn about identity and access in EKS Auto
  Mode": Auto Mode maps its roles with access entries itself);
- DescribeCluster answers with what was set (moto serializes ``compute_config``/``storage_config``
  through the Cluster output shape); an update is one ``AutoModeUpdate`` with its three params.
"""

from __future__ import annotations

from typing import Any

from tools.emulator.eks.access import _new_access_entry
from tools.emulator.eks.common import _api_auth, _day2, _invalid_parameter, _now

BUILT_IN_POOLS = ("general-purpose", "system")
_AUTO_NODE_POLICY = "cluster-access-policy/AmazonEKSAutoNodePolicy"


def _enabled(block: dict[str, Any] | None, *path: str) -> bool | None:
    value: Any = block
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return bool(value)


def _check(cluster_name: str, compute: dict[str, Any] | None, storage: dict[str, Any] | None, network: dict[str, Any] | None) -> None:
    switches = {_enabled(compute, "enabled"), _enabled(storage, "blockStorage", "enabled"), _enabled(network, "elasticLoadBalancing", "enabled")}
    if len(switches) > 1:
        raise _invalid_parameter(
            "For EKS Auto Mode, please ensure that all required configs, including computeConfig, kubernetesNetworkConfig, "
            "and blockStorage are all either fully enabled or fully disabled.",
            cluster=cluster_name,
        )
    compute = compute or {}
    pools, role = compute.get("nodePools") or [], compute.get("nodeRoleArn")
    unknown = sorted(set(pools) - set(BUILT_IN_POOLS))
    if unknown:
        raise _invalid_parameter(f"Invalid node pool(s) {unknown}; valid values are {list(BUILT_IN_POOLS)}.", cluster=cluster_name)
    if pools and not role:
        raise _invalid_parameter("nodeRoleArn must be provided with nodePools in computeConfig.", cluster=cluster_name)
    if role and not pools and compute.get("enabled"):
        # Off, the role may stay named (provider issue #40411: disabling with node_role_arn set is in place).
        raise _invalid_parameter("When Compute Config nodeRoleArn is not null or empty, nodePool value(s) must be provided.", cluster=cluster_name)
    if pools and not compute.get("enabled"):
        raise _invalid_parameter("nodePools can only be set when computeConfig is enabled.", cluster=cluster_name)


def _node_access(self: Any, cluster: Any) -> None:
    role = (getattr(cluster, "compute_config", None) or {}).get("nodeRoleArn")
    if not role or not _api_auth(cluster) or role in _day2(cluster).access_entries:
        return
    _new_access_entry(self, cluster, role, "EC2", [], None, {})
    policy = f"arn:{self.eks_backend.partition}:eks::aws:{_AUTO_NODE_POLICY}"
    _day2(cluster).access_policies[role] = {
        policy: {"policyArn": policy, "accessScope": {"type": "cluster", "namespaces": []}, "associatedAt": _now(), "modifiedAt": _now()}
    }


def on_create(self: Any, cluster: Any) -> None:
    """Keep the Auto Mode blocks of a CreateCluster request (after moto created the cluster)."""
    compute, storage = self._get_param("computeConfig"), self._get_param("storageConfig")
    network = self._get_param("kubernetesNetworkConfig") or {}
    if compute is None and storage is None and "elasticLoadBalancing" not in network:
        return
    _check(cluster.name, compute, storage, network)
    cluster.compute_config = compute
    cluster.storage_config = storage
    _node_access(self, cluster)


def check_create(self: Any) -> None:
    """Refuse a CreateCluster whose Auto Mode blocks EKS would refuse (before moto creates anything)."""
    compute, storage = self._get_param("computeConfig"), self._get_param("storageConfig")
    network = self._get_param("kubernetesNetworkConfig") or {}
    if compute is not None or storage is not None or "elasticLoadBalancing" in network:
        _check(self._get_param("name"), compute, storage, network)


def on_update(self: Any, cluster: Any) -> list[tuple[str, Any]]:
    """The params of an Auto Mode change in UpdateClusterConfig (empty when the request has none)."""
    compute, storage = self._get_param("computeConfig"), self._get_param("storageConfig")
    network = self._get_param("kubernetesNetworkConfig")
    if compute is None and storage is None and network is None:
        return []
    _check(cluster.name, compute, storage, network)
    cluster.compute_config = compute
    cluster.storage_config = storage
    if network is not None:
        cluster.kubernetes_network_config = {**(cluster.kubernetes_network_config or {}), **network}
    _node_access(self, cluster)
    return [("ComputeConfig", compute), ("StorageConfig", storage), ("KubernetesNetworkConfig", network)]
