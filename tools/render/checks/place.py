"""A place a pod may run (a node group, a Karpenter or EKS Auto Mode pool) and the node facts the fit
check and its place builders share (``fit.py``, ``auto_mode_places.py``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from catalog.instances import all_types, capacity

_EFFECT = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
_ARCH = {"x86_64": "amd64", "arm64": "arm64"}
# What every kubelet sets from the cloud provider (https://kubernetes.io/docs/reference/labels-annotations-taints/):
# os, arch, instance type, region (zone differs node by node; hostname too, after apply).
_REGION, _INSTANCE_TYPE = "topology.kubernetes.io/region", "node.kubernetes.io/instance-type"


@dataclass(frozen=True)
class Place:
    name: str
    labels: dict[str, str]
    taints: tuple[tuple[str, str, str], ...]  # (key, value, effect)
    cpu: float  # allocatable cores of the smallest instance type
    memory: float  # allocatable bytes
    instance_type: str
    max_nodes: int


def generation(family: str) -> int:
    """An EC2 family's generation: the number in its name (``m6i`` -> 6)."""
    found = re.search(r"\d+", family)
    return int(found.group()) if found else 0


def largest_instance(pool: Any, architectures: Iterable[str], cpu_limit: float, min_generation: int = 0) -> Any:
    """The largest instance type a Karpenter-style pool may launch (it sizes a node for the pending
    pod): within the pool's types, categories, families and sizes, an architecture it allows, a
    generation above ``min_generation`` and no more vCPUs than its CPU limit; None if there is none."""
    wanted = set(architectures)
    candidates = []
    for instance_type in all_types():
        family, _, size = instance_type.partition(".")
        if pool.instance_types and instance_type not in pool.instance_types:
            continue
        if pool.instance_categories and family[0] not in pool.instance_categories:
            continue
        if pool.instance_families and family not in pool.instance_families:
            continue
        if pool.instance_sizes and size not in pool.instance_sizes:
            continue
        if generation(family) <= min_generation:
            continue
        cap = capacity(instance_type)
        if not {_ARCH.get(a, a) for a in cap.architectures} & wanted or cap.vcpus > cpu_limit:
            continue
        candidates.append(cap)
    return max(candidates, key=lambda c: (c.allocatable_memory_mib, c.allocatable_cpu_millis)) if candidates else None
