"""Pod Identity associations."""

from __future__ import annotations

from typing import Any

from tools.emulator.eks.common import _cluster, _day2, _in_use, _invalid_request, _not_found, _now, _page, _random_id, _result


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
