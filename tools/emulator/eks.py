"""The EKS operations Terraform uses here that moto 5.2.5 lacks, added to moto's EKS service.

``register()`` (called once, in the server process, before moto builds its routes) adds:

- cluster versions: UpdateClusterVersion, DescribeUpdate, ListUpdates, UpdateNodegroupVersion, and
  an UpdateClusterConfig that also takes ``accessConfig`` and ``upgradePolicy`` and answers with
  an update (moto's answers with the cluster, which botocore's model does not allow);
- add-ons: Create/Describe/Update/Delete/ListAddon(s), DescribeAddonVersions (the catalog is
  ``tools/emulator/eks_catalog.py``);
- access entries: Create/Describe/Update/Delete/ListAccessEntr(y|ies), Associate/Disassociate/
  ListAssociatedAccessPolicies, ListAccessPolicies; the cluster keeps ``accessConfig``;
- pod identity associations: Create/Describe/Update/Delete/ListPodIdentityAssociation(s).

moto routes a request to an operation with botocore's EKS service model, parses its parameters
with that model and serializes each answer through the operation's output shape, so the shapes
here are the model's; ``tests/emulator/test_emulator_eks.py`` checks every handler's request and raw
response against it. Asynchronous operations complete at once: every update is ``Successful``
and every add-on ``ACTIVE`` when the call returns (docs/emulator.md lists what else is simplified).
State lives on moto's cluster objects, so it goes when the cluster is deleted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tools.emulator import eks_catalog

_REGISTERED = False

# Paths of the operations added here (botocore's EKS model ``requestUri``s), as moto url regexes.
# A principal ARN contains '/', so it is matched up to the next fixed path segment.
_PATHS = (
    "{0}/clusters/(?P<name>[^/]+)/updates$",
    "{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/node-groups/(?P<nodegroupName>[^/]+)/update-version$",
    "{0}/clusters/(?P<name>[^/]+)/addons$",
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)$",
    "{0}/clusters/(?P<name>[^/]+)/addons/(?P<addonName>[^/]+)/update$",
    "{0}/addons/supported-versions$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+?)/access-policies/(?P<policyArn>.+)$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+?)/access-policies$",
    "{0}/clusters/(?P<name>[^/]+)/access-entries/(?P<principalArn>.+)$",
    "{0}/access-policies$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations$",
    "{0}/clusters/(?P<name>[^/]+)/pod-identity-associations/(?P<associationId>[^/]+)$",
)

_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$")
_ENTRY_TYPES = ("STANDARD", "EC2_LINUX", "EC2_WINDOWS", "FARGATE_LINUX", "EC2", "HYBRID_LINUX", "HYPERPOD_LINUX")
_MAX_RESULTS = 100


@dataclass
class _Day2:
    """What the extension keeps per cluster (attached to moto's Cluster object)."""

    addons: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    # principal ARN -> policy ARN -> AssociatedAccessPolicy
    access_policies: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    pod_identity: dict[str, dict[str, Any]] = field(default_factory=dict)
    # update id -> (owner kind, owner name, Update)
    updates: dict[str, tuple[str, str, dict[str, Any]]] = field(default_factory=dict)


# -- helpers -----------------------------------------------------------------------------------


def _errors() -> Any:
    from moto.eks import exceptions

    return exceptions


def _not_found(message: str, **names: str | None) -> Exception:
    return _errors().ResourceNotFoundException(
        clusterName=names.get("cluster"),
        nodegroupName=names.get("nodegroup"),
        fargateProfileName=None,
        addonName=names.get("addon"),
        message=message,
    )


def _in_use(message: str, **names: str | None) -> Exception:
    return _errors().ResourceInUseException(
        clusterName=names.get("cluster"), nodegroupName=names.get("nodegroup"), addonName=names.get("addon"), message=message
    )


def _invalid_parameter(message: str, **names: str | None) -> Exception:
    return _errors().InvalidParameterException(
        clusterName=names.get("cluster"), nodegroupName=names.get("nodegroup"), fargateProfileName=None, addonName=names.get("addon"), message=message
    )


def _invalid_request(message: str) -> Exception:
    return _errors().InvalidRequestException(message=message)


def _now() -> Any:
    from moto.core.utils import utcnow

    return utcnow()


def _random_id(length: int) -> str:
    from moto.moto_api._internal import mock_random

    return mock_random.get_random_string(length=length, lower_case=True)


def _uuid() -> str:
    from moto.moto_api._internal import mock_random

    return str(mock_random.uuid4())


def _param(response: Any, *names: str) -> Any:
    """A request parameter by its model member name, or by its URI label (``name``)."""
    for name in names:
        value = response._get_param(name)
        if value is not None:
            return value
    return None


def _cluster(response: Any) -> Any:
    name = _param(response, "clusterName", "name")
    cluster = response.eks_backend.clusters.get(name)
    if cluster is None:
        raise _not_found(f"No cluster found for name: {name}.", cluster=name)
    return cluster


def _day2(cluster: Any) -> _Day2:
    state = getattr(cluster, "_day2", None)
    if state is None:
        state = _Day2()
        cluster._day2 = state
    return state


def _minor(version: str) -> int:
    major, minor = str(version).split(".")[:2]
    return int(major) * 1000 + int(minor)


def _release_version(version: str) -> str:
    # Shape of an EKS-optimized AMI release (<k8s version>-<build date>); the emulator has no AMIs.
    return f"{version}.0-20261101"


def _record_update(cluster: Any, kind: str, owner: str, update_type: str, params: list[tuple[str, Any]]) -> dict[str, Any]:
    update = {
        "id": _uuid(),
        "status": "Successful",  # asynchronous on AWS; complete at once here
        "type": update_type,
        "params": [{"type": t, "value": v if isinstance(v, str) else json.dumps(v, sort_keys=True)} for t, v in params if v is not None],
        "createdAt": _now(),
        "errors": [],
    }
    _day2(cluster).updates[update["id"]] = (kind, owner, update)
    return update


def _page(items: list[Any], response: Any) -> tuple[list[Any], str | None]:
    max_results = response._get_int_param("maxResults", _MAX_RESULTS) or _MAX_RESULTS
    start = int(response._get_param("nextToken") or 0)
    end = start + max_results
    return items[start:end], (str(end) if end < len(items) else None)


def _result(body: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult({k: v for k, v in body.items() if v is not None})


# -- moto corrections the extension needs ------------------------------------------------------


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


def _api_auth(cluster: Any) -> bool:
    return getattr(cluster, "access_config", {}).get("authenticationMode") in ("API", "API_AND_CONFIG_MAP")


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
    """moto's UpdateClusterConfig, plus ``accessConfig`` and ``upgradePolicy``, answering with an update."""
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


def _addon_version(cluster: Any, addon: str, version: str | None) -> str:
    if addon not in {i["addonName"] for i in eks_catalog.addon_infos(addon_name=None, kubernetes_version=None)}:
        raise _invalid_parameter(f"Addon {addon} specified is not supported", cluster=cluster.name, addon=addon)
    if version is None:
        default = eks_catalog.default_version(addon, cluster.version)
        if default is None:
            raise _invalid_parameter(f"Addon {addon} has no version compatible with Kubernetes {cluster.version}", cluster=cluster.name, addon=addon)
        return default
    if cluster.version not in eks_catalog.compatible_minors(addon, version):
        raise _invalid_parameter(
            f"Addon version {version} specified for {addon} is not supported with Kubernetes version {cluster.version}", cluster=cluster.name, addon=addon
        )
    return version


def _configuration_values(cluster: Any, addon: str, values: str | None) -> str | None:
    if values is None or values == "":
        return values
    try:
        parsed = json.loads(values)
    except ValueError as e:
        raise _invalid_parameter(f"ConfigurationValue provided in request is not supported: not JSON ({e})", cluster=cluster.name, addon=addon) from None
    if not isinstance(parsed, dict):
        raise _invalid_parameter("ConfigurationValue provided in request is not supported: not a JSON object", cluster=cluster.name, addon=addon)
    return values


def _addon_associations(self: Any, cluster: Any, addon: str, requested: list[dict[str, str]] | None, addon_arn: str = "") -> list[str]:
    """Pod identity associations an add-on owns: created for ``requested``, the old ones removed."""
    state = _day2(cluster)
    for assoc_id in [i for i, a in state.pod_identity.items() if a.get("_addon") == addon]:
        del state.pod_identity[assoc_id]
    arns = []
    for item in requested or []:
        namespace = "kube-system"
        association = _new_association(self, cluster, namespace, item["serviceAccount"], item["roleArn"], {}, owner=addon, owner_arn=addon_arn)
        arns.append(association["associationArn"])
    return arns


def create_addon(self: Any) -> Any:
    cluster = _cluster(self)
    name = self._get_param("addonName")
    state = _day2(cluster)
    if name in state.addons:
        raise _in_use(f"Addon already exists with name: {name}", cluster=cluster.name, addon=name)
    version = _addon_version(cluster, name, self._get_param("addonVersion"))
    now = _now()
    addon = {
        "addonName": name,
        "clusterName": cluster.name,
        "status": "ACTIVE",  # CREATING on AWS until the add-on is running; at once here
        "addonVersion": version,
        "health": {"issues": []},
        "addonArn": f"arn:{self.eks_backend.partition}:eks:{self.region}:{self.current_account}:addon/{cluster.name}/{name}/{_uuid()}",
        "createdAt": now,
        "modifiedAt": now,
        "serviceAccountRoleArn": self._get_param("serviceAccountRoleArn"),
        "tags": self._get_param("tags") or {},
        "owner": "aws",
        "publisher": "eks",
        "configurationValues": _configuration_values(cluster, name, self._get_param("configurationValues")),
    }
    addon["podIdentityAssociations"] = _addon_associations(self, cluster, name, self._get_param("podIdentityAssociations"), addon["addonArn"])
    state.addons[name] = addon
    return _result({"addon": addon})


def _addon(self: Any) -> tuple[Any, dict[str, Any]]:
    cluster = _cluster(self)
    name = self._get_param("addonName")
    addon = _day2(cluster).addons.get(name)
    if addon is None:
        raise _not_found(f"No addon: {name} found in cluster: {cluster.name}", cluster=cluster.name, addon=name)
    return cluster, addon


def describe_addon(self: Any) -> Any:
    return _result({"addon": _addon(self)[1]})


def update_addon(self: Any) -> Any:
    cluster, addon = _addon(self)
    name = addon["addonName"]
    params: list[tuple[str, Any]] = []
    version = self._get_param("addonVersion")
    if version is not None and version != addon["addonVersion"]:
        version = _addon_version(cluster, name, version)
        if eks_catalog.is_older(version, addon["addonVersion"]):
            raise _invalid_parameter(
                f"Updating addon {name} from {addon['addonVersion']} to {version} is a downgrade, which is not supported", cluster=cluster.name, addon=name
            )
        addon["addonVersion"] = version
        params.append(("AddonVersion", version))
    role = self._get_param("serviceAccountRoleArn")
    if role is not None:
        addon["serviceAccountRoleArn"] = role or None
        params.append(("ServiceAccountRoleArn", role))
    values = self._get_param("configurationValues")
    if values is not None:
        addon["configurationValues"] = _configuration_values(cluster, name, values)
        params.append(("ConfigurationValues", values))
    associations = self._get_param("podIdentityAssociations")
    if associations is not None:
        addon["podIdentityAssociations"] = _addon_associations(self, cluster, name, associations, addon["addonArn"])
        params.append(("PodIdentityAssociations", addon["podIdentityAssociations"]))
    resolve = self._get_param("resolveConflicts")
    if resolve:
        params.append(("ResolveConflicts", resolve))
    addon["modifiedAt"] = _now()
    update = _record_update(cluster, "addon", name, "AddonUpdate", params)
    return _result({"update": update})


def delete_addon(self: Any) -> Any:
    cluster, addon = _addon(self)
    _addon_associations(self, cluster, addon["addonName"], [])
    del _day2(cluster).addons[addon["addonName"]]
    # DELETING on AWS until removed (``preserve`` keeps the workload); gone at once here.
    return _result({"addon": {**addon, "status": "DELETING"}})


def list_addons(self: Any) -> Any:
    cluster = _cluster(self)
    page, token = _page(sorted(_day2(cluster).addons), self)
    return _result({"addons": page, "nextToken": token})


def describe_addon_versions(self: Any) -> Any:
    infos = eks_catalog.addon_infos(addon_name=self._get_param("addonName"), kubernetes_version=self._get_param("kubernetesVersion"))
    page, token = _page(infos, self)
    return _result({"addons": page, "nextToken": token})


# -- access entries ----------------------------------------------------------------------------


def _username(principal: str, entry_type: str) -> str:
    if entry_type in ("EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX"):
        return "system:node:{{EC2PrivateDNSName}}"
    if entry_type == "FARGATE_LINUX":
        return "system:node:{{SessionName}}"
    account, kind_name = principal.split(":")[4], principal.split(":", 5)[5]
    kind, _, name = kind_name.partition("/")
    if kind == "role":
        partition = principal.split(":")[1]
        return f"arn:{partition}:sts::{account}:assumed-role/{name.rsplit('/', 1)[-1]}/{{{{SessionName}}}}"
    return principal


def _new_access_entry(
    self: Any, cluster: Any, principal: str, entry_type: str, groups: list[str], username: str | None, tags: dict[str, str]
) -> dict[str, Any]:
    now = _now()
    entry = {
        "clusterName": cluster.name,
        "principalArn": principal,
        "kubernetesGroups": groups,
        "accessEntryArn": f"arn:{self.eks_backend.partition}:eks:{self.region}:{self.current_account}:access-entry/{cluster.name}/"
        f"{principal.split(':')[5].split('/')[0]}/{principal.split(':')[4]}/{principal.rsplit('/', 1)[-1]}/{_uuid()}",
        "createdAt": now,
        "modifiedAt": now,
        "tags": tags,
        "username": username or _username(principal, entry_type),
        "type": entry_type,
    }
    _day2(cluster).access_entries[principal] = entry
    return entry


def _require_api_auth(cluster: Any) -> None:
    if not _api_auth(cluster):
        raise _invalid_request("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.")


def create_access_entry(self: Any) -> Any:
    cluster = _cluster(self)
    _require_api_auth(cluster)
    principal = self._get_param("principalArn")
    if not _PRINCIPAL.match(principal or ""):
        raise _invalid_parameter(f"The specified principalArn is invalid: {principal}", cluster=cluster.name)
    if principal in _day2(cluster).access_entries:
        raise _in_use(f"The specified access entry resource is already in use on this cluster: {principal}", cluster=cluster.name)
    entry_type = self._get_param("type") or "STANDARD"
    if entry_type not in _ENTRY_TYPES:
        raise _invalid_parameter(f"The specified type is invalid: {entry_type}", cluster=cluster.name)
    groups = self._get_param("kubernetesGroups") or []
    username = self._get_param("username")
    if entry_type != "STANDARD" and (groups or username):
        raise _invalid_parameter(f"kubernetesGroups and username can only be set on access entries of type STANDARD, not {entry_type}", cluster=cluster.name)
    if any(g.startswith("system:") for g in groups):
        raise _invalid_parameter("kubernetesGroups cannot start with system:", cluster=cluster.name)
    entry = _new_access_entry(self, cluster, principal, entry_type, groups, username, self._get_param("tags") or {})
    return _result({"accessEntry": entry})


def _access_entry(self: Any) -> tuple[Any, dict[str, Any]]:
    cluster = _cluster(self)
    principal = self._get_param("principalArn")
    entry = _day2(cluster).access_entries.get(principal)
    if entry is None:
        raise _not_found(
            f"The specified principalArn could not be found. You can view your available access entries with 'list-access-entries': {principal}",
            cluster=cluster.name,
        )
    return cluster, entry


def describe_access_entry(self: Any) -> Any:
    return _result({"accessEntry": _access_entry(self)[1]})


def update_access_entry(self: Any) -> Any:
    cluster, entry = _access_entry(self)
    groups, username = self._get_param("kubernetesGroups"), self._get_param("username")
    if entry["type"] != "STANDARD" and (groups or username):
        raise _invalid_parameter(f"kubernetesGroups and username can only be set on access entries of type STANDARD, not {entry['type']}", cluster=cluster.name)
    if groups is not None:
        entry["kubernetesGroups"] = groups
    if username:
        entry["username"] = username
    entry["modifiedAt"] = _now()
    return _result({"accessEntry": entry})


def delete_access_entry(self: Any) -> Any:
    cluster, entry = _access_entry(self)
    state = _day2(cluster)
    del state.access_entries[entry["principalArn"]]
    state.access_policies.pop(entry["principalArn"], None)  # AWS removes the associations with the entry
    return _result({})


def list_access_entries(self: Any) -> Any:
    cluster = _cluster(self)
    _require_api_auth(cluster)
    state = _day2(cluster)
    policy = self._get_param("associatedPolicyArn")
    principals = sorted(p for p in state.access_entries if not policy or policy in state.access_policies.get(p, {}))
    page, token = _page(principals, self)
    return _result({"accessEntries": page, "nextToken": token})


def associate_access_policy(self: Any) -> Any:
    cluster, entry = _access_entry(self)
    policy = self._get_param("policyArn")
    if policy not in eks_catalog.access_policy_arns(self.eks_backend.partition):
        raise _not_found(f"The specified policyArn could not be found: {policy}", cluster=cluster.name)
    if entry["type"] != "STANDARD":
        raise _invalid_request(f"Access policies can only be associated with access entries of type STANDARD, not {entry['type']}")
    scope = self._get_param("accessScope") or {}
    namespaces = scope.get("namespaces") or []
    if scope.get("type") == "namespace" and not namespaces:
        raise _invalid_parameter("An access scope of type namespace needs at least one namespace", cluster=cluster.name)
    if scope.get("type") == "cluster" and namespaces:
        raise _invalid_parameter("An access scope of type cluster cannot name namespaces", cluster=cluster.name)
    policies = _day2(cluster).access_policies.setdefault(entry["principalArn"], {})
    now = _now()
    previous = policies.get(policy)
    # Associating the same policy again replaces its scope (AWS behaves the same).
    policies[policy] = {
        "policyArn": policy,
        "accessScope": {"type": scope.get("type"), "namespaces": namespaces},
        "associatedAt": previous["associatedAt"] if previous else now,
        "modifiedAt": now,
    }
    return _result({"clusterName": cluster.name, "principalArn": entry["principalArn"], "associatedAccessPolicy": policies[policy]})


def disassociate_access_policy(self: Any) -> Any:
    cluster, entry = _access_entry(self)
    policy = self._get_param("policyArn")
    policies = _day2(cluster).access_policies.get(entry["principalArn"], {})
    if policy not in policies:
        raise _not_found(f"The specified policyArn is not associated with this access entry: {policy}", cluster=cluster.name)
    del policies[policy]
    return _result({})


def list_associated_access_policies(self: Any) -> Any:
    cluster, entry = _access_entry(self)
    policies = _day2(cluster).access_policies.get(entry["principalArn"], {})
    page, token = _page([policies[k] for k in sorted(policies)], self)
    return _result({"clusterName": cluster.name, "principalArn": entry["principalArn"], "associatedAccessPolicies": page, "nextToken": token})


def list_access_policies(self: Any) -> Any:
    arns = eks_catalog.access_policy_arns(self.eks_backend.partition)
    page, token = _page([{"name": name, "arn": arn} for arn, name in sorted(arns.items())], self)
    return _result({"accessPolicies": page, "nextToken": token})


# -- pod identity associations -----------------------------------------------------------------


def _new_association(
    self: Any, cluster: Any, namespace: str, service_account: str, role: str, tags: dict[str, str], *, owner: str | None = None, owner_arn: str = ""
) -> dict[str, Any]:
    state = _day2(cluster)
    for existing in state.pod_identity.values():
        if (existing["namespace"], existing["serviceAccount"]) == (namespace, service_account):
            raise _in_use(f"Association already exists: {existing['associationId']}", cluster=cluster.name)
    assoc_id = "a-" + _random_id(17)
    now = _now()
    association = {
        "clusterName": cluster.name,
        "namespace": namespace,
        "serviceAccount": service_account,
        "roleArn": role,
        "associationArn": f"arn:{self.eks_backend.partition}:eks:{self.region}:{self.current_account}:podidentityassociation/{cluster.name}/{assoc_id}",
        "associationId": assoc_id,
        "tags": tags,
        "createdAt": now,
        "modifiedAt": now,
        "disableSessionTags": False,
    }
    if owner:
        association["ownerArn"] = owner_arn
        association["_addon"] = owner
    state.pod_identity[assoc_id] = association
    return association


def _public(association: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in association.items() if not k.startswith("_") and v is not None}


def create_pod_identity_association(self: Any) -> Any:
    cluster = _cluster(self)
    association = _new_association(
        self, cluster, self._get_param("namespace"), self._get_param("serviceAccount"), self._get_param("roleArn"), self._get_param("tags") or {}
    )
    if self._get_param("disableSessionTags") is not None:
        association["disableSessionTags"] = bool(self._get_param("disableSessionTags"))
    if self._get_param("targetRoleArn"):
        association["targetRoleArn"] = self._get_param("targetRoleArn")
    return _result({"association": _public(association)})


def _association(self: Any) -> tuple[Any, dict[str, Any]]:
    cluster = _cluster(self)
    assoc_id = self._get_param("associationId")
    association = _day2(cluster).pod_identity.get(assoc_id)
    if association is None:
        raise _not_found(f"No Pod Identity Association found for ID: {assoc_id}.", cluster=cluster.name)
    return cluster, association


def describe_pod_identity_association(self: Any) -> Any:
    return _result({"association": _public(_association(self)[1])})


def update_pod_identity_association(self: Any) -> Any:
    cluster, association = _association(self)
    if association.get("_addon"):
        raise _invalid_request(f"Association {association['associationId']} is managed by add-on {association['_addon']}; update the add-on instead.")
    for key in ("roleArn", "targetRoleArn", "disableSessionTags"):
        value = self._get_param(key)
        if value is not None:
            association[key] = value
    association["modifiedAt"] = _now()
    return _result({"association": _public(association)})


def delete_pod_identity_association(self: Any) -> Any:
    cluster, association = _association(self)
    if association.get("_addon"):
        raise _invalid_request(f"Association {association['associationId']} is managed by add-on {association['_addon']}; update the add-on instead.")
    del _day2(cluster).pod_identity[association["associationId"]]
    return _result({"association": _public(association)})


def list_pod_identity_associations(self: Any) -> Any:
    cluster = _cluster(self)
    namespace, service_account = self._get_param("namespace"), self._get_param("serviceAccount")
    summaries = [
        {k: a[k] for k in ("clusterName", "namespace", "serviceAccount", "associationArn", "associationId") if k in a}
        | ({"ownerArn": a["ownerArn"]} if a.get("ownerArn") else {})
        for a in sorted(_day2(cluster).pod_identity.values(), key=lambda a: a["associationId"])
        if (not namespace or a["namespace"] == namespace) and (not service_account or a["serviceAccount"] == service_account)
    ]
    page, token = _page(summaries, self)
    return _result({"associations": page, "nextToken": token})


# -- registration ------------------------------------------------------------------------------

HANDLERS = {
    "update_cluster_version": update_cluster_version,
    "update_cluster_config": update_cluster_config,
    "update_nodegroup_version": update_nodegroup_version,
    "describe_update": describe_update,
    "list_updates": list_updates,
    "create_addon": create_addon,
    "describe_addon": describe_addon,
    "update_addon": update_addon,
    "delete_addon": delete_addon,
    "list_addons": list_addons,
    "describe_addon_versions": describe_addon_versions,
    "create_access_entry": create_access_entry,
    "describe_access_entry": describe_access_entry,
    "update_access_entry": update_access_entry,
    "delete_access_entry": delete_access_entry,
    "list_access_entries": list_access_entries,
    "associate_access_policy": associate_access_policy,
    "disassociate_access_policy": disassociate_access_policy,
    "list_associated_access_policies": list_associated_access_policies,
    "list_access_policies": list_access_policies,
    "create_pod_identity_association": create_pod_identity_association,
    "describe_pod_identity_association": describe_pod_identity_association,
    "update_pod_identity_association": update_pod_identity_association,
    "delete_pod_identity_association": delete_pod_identity_association,
    "list_pod_identity_associations": list_pod_identity_associations,
}


def register() -> None:
    """Add the operations to moto's EKS service (idempotent; before moto builds its routes)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from moto.eks import urls
    from moto.eks.responses import EKSResponse

    for path in _PATHS:
        urls.url_paths.setdefault(path, urls.response.dispatch)
    _wrap_cluster_and_nodegroup_creation(EKSResponse)
    for name, handler in HANDLERS.items():
        setattr(EKSResponse, name, handler)
    _REGISTERED = True
