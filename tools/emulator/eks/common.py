"""What every EKS handler shares: the day-2 state kept beside moto's cluster, errors, paging."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

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


def _api_auth(cluster: Any) -> bool:
    return getattr(cluster, "access_config", {}).get("authenticationMode") in ("API", "API_AND_CONFIG_MAP")
