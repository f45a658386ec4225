"""A place a pod may run (a node group, a Karpenter or EKS Auto Mode pool) and the node facts the fit
check and its place builders share (``fit.py``, ``auto_mode_places.py``)."""

from __future__ import annotations

from dataclasses import dataclass

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
