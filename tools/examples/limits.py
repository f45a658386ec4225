"""What the API server does to a pod's resources in a team namespace, in its order:

1. defaulting (pkg/apis/core/v1 SetDefaults_Pod): a container with a limit but no request for a
   resource gets the limit as its request;
2. the LimitRanger admission plugin, ``type: Container`` items: a missing limit becomes
   ``default``, a missing request ``defaultRequest``; then each container must stay within ``max``
   (and at least ``min``), and its request may not exceed its limit;
3. the ResourceQuota admission plugin: the pod's requests/limits (containers summed, or the
   largest init container when larger: the pod's effective resources) count against
   ``requests.*``/``limits.*``, and ``pods``, ``persistentvolumeclaims``, ``requests.storage``,
   ``services.loadbalancers`` count objects.

https://kubernetes.io/docs/concepts/policy/limit-range/ and
https://kubernetes.io/docs/concepts/policy/resource-quotas/.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from catalog.quantity import quantity

Obj = dict[str, Any]
RESOURCES = ("cpu", "memory")


def apply_limit_ranges(container: Obj, limit_ranges: list[Obj]) -> tuple[Obj, list[str]]:
    """(the container's resources after defaulting and LimitRanger, problems LimitRanger refuses)."""
    resources = copy.deepcopy(container.get("resources") or {})
    requests, limits = resources.setdefault("requests", {}), resources.setdefault("limits", {})
    for name, value in limits.items():
        requests.setdefault(name, value)
    problems = []
    items = [i for lr in limit_ranges for i in (lr.get("spec") or {}).get("limits") or [] if i.get("type") == "Container"]
    for item in items:
        for name, value in (item.get("default") or {}).items():
            limits.setdefault(name, value)
        for name, value in (item.get("defaultRequest") or {}).items():
            requests.setdefault(name, value)
    for item in items:
        for name, most in (item.get("max") or {}).items():
            if name not in limits:
                problems.append(f"container {container.get('name')!r}: max {name} {most} needs a {name} limit")
            elif quantity(str(limits[name])) > quantity(str(most)):
                problems.append(f"container {container.get('name')!r}: {name} limit {limits[name]} is above the LimitRange max {most}")
        for name, least in (item.get("min") or {}).items():
            if name in requests and quantity(str(requests[name])) < quantity(str(least)):
                problems.append(f"container {container.get('name')!r}: {name} request {requests[name]} is below the LimitRange min {least}")
    for name in RESOURCES:
        if name in requests and name in limits and quantity(str(requests[name])) > quantity(str(limits[name])):
            problems.append(f"container {container.get('name')!r}: {name} request {requests[name]} is more than its limit {limits[name]}")
    return resources, problems


def pod_resources(spec: Obj, limit_ranges: list[Obj]) -> tuple[dict[str, Decimal], list[str]]:
    """``requests.cpu``, ``limits.memory``, ... of one pod after the LimitRanges, and their problems."""
    totals: dict[str, Decimal] = {}
    init_max: dict[str, Decimal] = {}
    problems: list[str] = []
    for key, target in (("containers", totals), ("initContainers", init_max)):
        for container in spec.get(key) or []:
            resources, found = apply_limit_ranges(container, limit_ranges)
            problems += found
            for kind in ("requests", "limits"):
                for name in RESOURCES:
                    if name in resources[kind]:
                        value = quantity(str(resources[kind][name]))
                        quota_key = f"{kind}.{name}"
                        target[quota_key] = target.get(quota_key, Decimal(0)) + value if key == "containers" else max(target.get(quota_key, Decimal(0)), value)
    return {k: max(totals.get(k, Decimal(0)), init_max.get(k, Decimal(0))) for k in {*totals, *init_max}}, problems


def headroom(used: dict[str, Decimal], hard: dict[str, str]) -> dict[str, tuple[Decimal, Decimal]]:
    """quota key -> (used, hard) for every key the quota limits."""
    return {key: (used.get(key, Decimal(0)), quantity(str(value))) for key, value in hard.items()}
