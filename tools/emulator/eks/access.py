"""Access entries and access policy associations (API authentication mode)."""

from __future__ import annotations

from typing import Any

from tools.emulator import eks_catalog
from tools.emulator.eks.common import (
    _ENTRY_TYPES,
    _PRINCIPAL,
    _api_auth,
    _cluster,
    _day2,
    _in_use,
    _invalid_parameter,
    _invalid_request,
    _not_found,
    _now,
    _page,
    _result,
    _uuid,
)


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
    # STANDARD entries take any access policy; an EC2 entry (an EKS Auto Mode custom NodeClass role)
    # takes AmazonEKSAutoNodePolicy ("Create a Node Class for Amazon EKS": create-access-entry --type
    # EC2, then associate-access-policy AmazonEKSAutoNodePolicy); node entries of other types none.
    auto_node = entry["type"] == "EC2" and policy.endswith("/AmazonEKSAutoNodePolicy")
    if entry["type"] != "STANDARD" and not auto_node:
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
