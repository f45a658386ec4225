"""Pod Identity associations.

CreatePodIdentityAssociation reads the role's trust policy, as EKS does: EKS answers
``InvalidParameterException: Trust policy of the role provided is invalid.`` when the role does not
let ``pods.eks.amazonaws.com`` call both ``sts:AssumeRole`` and ``sts:TagSession`` — reported for a
role trusting only the cluster's OIDC provider (hashicorp/terraform-provider-aws#41483) and for one
trusting the service principal without ``sts:TagSession`` (aws/aws-cdk#31522: a CDK
``ServicePrincipal``, which allows ``sts:AssumeRole`` only); EKS User Guide,
pod-id-role.html, gives that trust as the one Pod Identity requires. The API reference
(API_CreatePodIdentityAssociation) documents the error code but not this check. Only ``Allow``
statements with ``Principal``/``Action`` are read; their conditions are not (EKS cannot evaluate the
session tags before a session exists), and nothing is known of EKS refusing on a ``Deny``, so
neither is modelled. UpdatePodIdentityAssociation and an add-on's own associations are not checked:
no report says EKS checks the trust there. A role that does not exist is refused with the same
error code; that message is the emulator's own.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

from tools.emulator.eks.common import _cluster, _day2, _in_use, _invalid_parameter, _invalid_request, _not_found, _now, _page, _random_id, _result

_SERVICE = "pods.eks.amazonaws.com"
_ACTIONS = ("sts:assumerole", "sts:tagsession")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _trusts_pod_identity(document: str) -> bool:
    try:
        policy = json.loads(document)
    except ValueError:
        policy = json.loads(unquote(document))
    allowed: set[str] = set()
    for statement in _as_list(policy.get("Statement", [])):
        principal = statement.get("Principal")
        everyone = principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", [])))
        if statement.get("Effect") != "Allow" or not (everyone or (isinstance(principal, dict) and _SERVICE in _as_list(principal.get("Service", [])))):
            continue
        patterns = [str(a).lower() for a in _as_list(statement.get("Action", []))]
        allowed |= {action for action in _ACTIONS if any(fnmatchcase(action, pattern) for pattern in patterns)}
    return allowed == set(_ACTIONS)


def _check_trust(role_arn: str) -> None:
    """Refuse a role EKS Pod Identity could not assume (see the module docstring)."""
    from moto.iam.models import iam_backends

    parts = role_arn.split(":")
    try:
        role = iam_backends[parts[4]][parts[1]].get_role_by_arn(role_arn)
    except Exception:  # any unreadable or unknown ARN: EKS cannot read its trust either
        raise _invalid_parameter(f"The role {role_arn} cannot be found.") from None
    if not _trusts_pod_identity(role.assume_role_policy_document):
        raise _invalid_parameter("Trust policy of the role provided is invalid.")


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
    _check_trust(self._get_param("roleArn"))
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
