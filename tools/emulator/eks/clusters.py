"""Cluster and node-group operations moto lacks: version and config updates, and their update records."""

from __future__ import annotations

from typing import Any

from tools.emulator.eks import auto_mode
from tools.emulator.eks.access import _new_access_entry
from tools.emulator.eks.common import (
    _api_auth,
    _cluster,
    _day2,
    _invalid_parameter,
    _invalid_request,
    _minor,
    _not_found,
    _now,
    _page,
    _record_update,
    _release_version,
    _result,
)


def _wrap_cluster_and_nodegroup_creation(response_cls: Any) -> None:
    """Keep what CreateCluster/CreateNodegroup say that moto drops, as AWS does.

    - CreateCluster: ``accessConfig`` (default ``CONFIG_MAP`` with creator admin, AWS's API
      default) and ``upgradePolicy`` (default ``EXTENDED``); with API authentication and creator
      admin on, the caller gets an access entry with AmazonEKSClusterAdminPolicy, as on AWS.
    - CreateNodegroup: a group created without ``version`` runs the cluster's version (moto:
      1.19) with a release of that version; a version newer than the cluster's is refused; the
      node role gets its EC2_LINUX access entry when the cluster uses API authentication.
    """
    create_cluster = response_cls.create_cluster
    create_nodegroup = response_cls.create_nodegroup

    def create_cluster_keeping_config(self: Any) -> Any:
        auto_mode.check_create(self)
        result = create_cluster(self)
        cluster = self.eks_backend.clusters[self._get_param("name")]
        requested = self._get_param("accessConfig") or {}
        cluster.access_config = {
            "authenticationMode": requested.get("authenticationMode", "CONFIG_MAP"),
            "bootstrapClusterCreatorAdminPermissions": requested.get("bootstrapClusterCreatorAdminPermissions", True),
        }
        cluster.upgrade_policy = self._get_param("upgradePolicy") or {"supportType": "EXTENDED"}
        if _api_auth(cluster) and cluster.access_config["bootstrapClusterCreatorAdminPermissions"]:
            creator = f"arn:{self.eks_backend.partition}:iam::{self.current_account}:user/moto"  # moto's STS caller
            entry = _new_access_entry(self, cluster, creator, "STANDARD", [], None, {})
            policy = f"arn:{self.eks_backend.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
            _day2(cluster).access_policies[entry["principalArn"]] = {
                policy: {"policyArn": policy, "accessScope": {"type": "cluster", "namespaces": []}, "associatedAt": _now(), "modifiedAt": _now()}
            }
        auto_mode.on_create(self, cluster)  # computeConfig, storageConfig, elasticLoadBalancing (tools/emulator/eks/auto_mode.py)
        return result

    def create_nodegroup_following_cluster(self: Any) -> Any:
        cluster = _cluster(self)
        version = self._get_param("version")
        if version and _minor(version) > _minor(cluster.version):
            raise _invalid_parameter(f"Requested Nodegroup version {version} is newer than the cluster version {cluster.version}.", cluster=cluster.name)
        result = create_nodegroup(self)
        group = cluster.nodegroups[self._get_param("nodegroupName")]
        if not version:
            group.version = cluster.version
        if not self._get_param("releaseVersion"):
            group.release_version = _release_version(group.version)
        if _api_auth(cluster) and group.node_role not in _day2(cluster).access_entries:
            _new_access_entry(self, cluster, group.node_role, "EC2_LINUX", [], None, {})
        return result

    response_cls.create_cluster = create_cluster_keeping_config
    response_cls.create_nodegroup = create_nodegroup_following_cluster


# -- cluster and node group versions -----------------------------------------------------------


def update_cluster_version(self: Any) -> Any:
    cluster = _cluster(self)
    version = self._get_param("version")
    current = cluster.version
    if _minor(version) == _minor(current):
        raise _invalid_parameter(f"Cluster is already at the desired version {version}.", cluster=cluster.name)
    if _minor(version) != _minor(current) + 1:
        raise _invalid_parameter(f"Unsupported Kubernetes minor version update from {current} to {version}", cluster=cluster.name)
    behind = sorted(n for n, g in cluster.nodegroups.items() if _minor(g.version) < _minor(current))
    if behind and not self._get_param("force"):
        # EKS's documented precondition: nodes run the control plane's current minor before it moves on.
        raise _invalid_request(f"Nodegroups {', '.join(behind)} must be updated to Kubernetes version {current} before the cluster is updated to {version}.")
    cluster.version = version
    cluster.platformVersion = "eks.1"
    update = _record_update(cluster, "cluster", cluster.name, "VersionUpdate", [("Version", version), ("PlatformVersion", "eks.1")])
    return _result({"update": update})


def update_cluster_config(self: Any) -> Any:
    """moto's UpdateClusterConfig, plus ``accessConfig``, ``upgradePolicy`` and Auto Mode, answering with an update."""
    cluster = _cluster(self)
    params: list[tuple[str, Any]] = []
    update_type = "ConfigUpdate"
    access = self._get_param("accessConfig")
    if access and access.get("authenticationMode"):
        mode, current = access["authenticationMode"], cluster.access_config["authenticationMode"]
        allowed = {"CONFIG_MAP": {"API_AND_CONFIG_MAP"}, "API_AND_CONFIG_MAP": {"API"}, "API": set()}
        if mode != current and mode not in allowed[current]:
            raise _invalid_parameter(f"Unsupported authentication mode update from {current} to {mode}", cluster=cluster.name)
        cluster.access_config = {**cluster.access_config, "authenticationMode": mode}
        params.append(("AuthenticationMode", mode))
        update_type = "AccessConfigUpdate"
    policy = self._get_param("upgradePolicy")
    if policy:
        cluster.upgrade_policy = policy
        params.append(("UpgradePolicy", policy))
        update_type = "UpgradePolicyUpdate"
    vpc = self._get_param("resourcesVpcConfig")
    if vpc:
        cluster.resources_vpc_config = {**cluster.resources_vpc_config, **vpc}
        params.extend((k[0].upper() + k[1:], v) for k, v in sorted(vpc.items()))
        update_type = "EndpointAccessUpdate"
    auto = auto_mode.on_update(self, cluster)
    if auto:
        params.extend(auto)
        update_type = "AutoModeUpdate"
    logging = self._get_param("logging")
    if logging:
        cluster.logging = logging
        params.append(("ClusterLogging", logging))
        update_type = "LoggingUpdate"
    if not params:
        raise _invalid_parameter("No changes needed", cluster=cluster.name)
    update = _record_update(cluster, "cluster", cluster.name, update_type, params)
    return _result({"update": update})


def update_nodegroup_version(self: Any) -> Any:
    cluster = _cluster(self)
    name = self._get_param("nodegroupName")
    group = cluster.nodegroups.get(name)
    if group is None:
        raise _not_found(f"No node group found for name: {name}.", cluster=cluster.name, nodegroup=name)
    version = self._get_param("version") or cluster.version
    if _minor(version) > _minor(cluster.version):
        raise _invalid_parameter(
            f"Requested Nodegroup version {version} is newer than the cluster version {cluster.version}.", cluster=cluster.name, nodegroup=name
        )
    if _minor(version) < _minor(group.version):
        raise _invalid_parameter(f"Downgrading Nodegroup {name} from {group.version} to {version} is not supported.", cluster=cluster.name, nodegroup=name)
    release = self._get_param("releaseVersion") or (_release_version(version) if version != group.version else group.release_version)
    template = self._get_param("launchTemplate")
    group.version, group.release_version = version, release
    if template:
        group.launch_template = {**(group.launch_template or {}), **template}
    from moto.core.utils import utcnow

    group.modified_at = utcnow()
    params = [("Version", version), ("ReleaseVersion", release)]
    if template:
        params += [("LaunchTemplateName", template.get("name")), ("LaunchTemplateVersion", template.get("version"))]
    update = _record_update(cluster, "nodegroup", name, "VersionUpdate", params)
    return _result({"update": update})


def describe_update(self: Any) -> Any:
    cluster = _cluster(self)
    update_id = self._get_param("updateId")
    nodegroup, addon = self._get_param("nodegroupName"), self._get_param("addonName")
    found = _day2(cluster).updates.get(update_id)
    owner = ("nodegroup", nodegroup) if nodegroup else ("addon", addon) if addon else ("cluster", cluster.name)
    if found is None or (found[0], found[1]) != owner:
        raise _not_found(f"No update found for ID: {update_id}.", cluster=cluster.name, nodegroup=nodegroup, addon=addon)
    return _result({"update": found[2]})


def list_updates(self: Any) -> Any:
    cluster = _cluster(self)
    nodegroup, addon = self._get_param("nodegroupName"), self._get_param("addonName")
    owner = ("nodegroup", nodegroup) if nodegroup else ("addon", addon) if addon else ("cluster", cluster.name)
    ids = [i for i, (kind, name, _) in _day2(cluster).updates.items() if (kind, name) == owner]
    page, token = _page(ids, self)
    return _result({"updateIds": page, "nextToken": token})


# -- add-ons -----------------------------------------------------------------------------------
