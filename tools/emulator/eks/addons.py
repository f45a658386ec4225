"""EKS managed add-on operations: create, describe, update, delete, list, and the versions catalogue."""

from __future__ import annotations

import json
from typing import Any

from tools.emulator import eks_catalog
from tools.emulator.eks.common import _cluster, _day2, _in_use, _invalid_parameter, _not_found, _now, _page, _record_update, _result, _uuid
from tools.emulator.eks.pod_identity import _new_association


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
