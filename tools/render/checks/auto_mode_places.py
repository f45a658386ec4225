"""Where a pod can run on EKS Auto Mode: its built-in pools and the environment's own Auto Mode pools,
as places of the fit check (``tools/render/checks/fit.py``).

Sources (Amazon EKS User Guide):
- "Enable or Disable Built-in NodePools": ``general-purpose`` launches on-demand amd64 instances of
  categories c, m, r, generation above 4; ``system`` the same categories and generations, amd64 or
  arm64, tainted ``CriticalAddonsOnly`` (NoSchedule), for critical add-ons.
- "Control if a workload is deployed on EKS Auto Mode nodes": every Auto Mode node is labelled
  ``eks.amazonaws.com/compute-type: auto``.
- "Create a Node Pool for EKS Auto Mode", supported labels: ``karpenter.sh/nodepool``,
  ``karpenter.sh/capacity-type``, ``eks.amazonaws.com/instance-category``, ``-family``, ``-size``,
  ``-generation``, with the kubelet's ``kubernetes.io/arch``, ``node.kubernetes.io/instance-type``.

Like a Karpenter pool, an Auto Mode pool is its largest allowed instance type (it sizes a node for
the pending pod) within its CPU limit.
"""

from __future__ import annotations

from typing import Any

from environments.schema import EnvironmentConfig
from tools.render.checks.place import _EFFECT, _INSTANCE_TYPE, _REGION, Place, generation, largest_instance

COMPUTE_TYPE = "eks.amazonaws.com/compute-type"
_BUILT_IN_CPU_LIMIT = 1000  # the built-in pools' spec.limits.cpu ("Enable or Disable Built-in NodePools")


def _place(
    env: EnvironmentConfig,
    name: str,
    *,
    capacity_types: tuple[str, ...],
    architectures: tuple[str, ...],
    pool: Any,
    taints: tuple[tuple[str, str, str], ...],
    cpu_limit: int,
    labels: dict[str, str],
    min_generation: int = 0,
) -> Place | None:
    largest = largest_instance(pool, architectures, cpu_limit, min_generation)
    if largest is None:
        return None
    arch = "arm64" if "arm64" in largest.architectures and "arm64" in architectures else "amd64"
    family, _, size = largest.instance_type.partition(".")
    return Place(
        f"Auto Mode pool {name}",
        {
            **labels,
            COMPUTE_TYPE: "auto",
            "karpenter.sh/nodepool": name,
            "karpenter.sh/capacity-type": capacity_types[0],
            "eks.amazonaws.com/instance-category": family[0],
            "eks.amazonaws.com/instance-family": family,
            "eks.amazonaws.com/instance-size": size,
            "eks.amazonaws.com/instance-generation": str(generation(family)),
            _INSTANCE_TYPE: largest.instance_type,
            _REGION: env.region,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": arch,
        },
        taints,
        largest.allocatable_cpu_millis / 1000,
        largest.allocatable_memory_mib * 2**20,
        largest.instance_type,
        max(1, cpu_limit // largest.vcpus),
    )


class _BuiltIn:
    instance_types: tuple[str, ...] = ()
    instance_categories = ("c", "m", "r")
    instance_families: tuple[str, ...] = ()
    instance_sizes: tuple[str, ...] = ()


_BUILT_IN = {
    "general-purpose": (("on-demand",), ("amd64",), ()),
    "system": (("on-demand",), ("amd64", "arm64"), (("CriticalAddonsOnly", "", "NoSchedule"),)),
}


def auto_mode_places(env: EnvironmentConfig) -> list[Place]:
    auto = env.cluster.auto_mode
    if auto is None or not auto.enabled:
        return []
    out: list[Place | None] = []
    for name in auto.built_in_pools:
        capacity_types, architectures, taints = _BUILT_IN[name]
        out.append(
            _place(
                env,
                name,
                capacity_types=capacity_types,
                architectures=architectures,
                pool=_BuiltIn,
                taints=taints,
                cpu_limit=_BUILT_IN_CPU_LIMIT,
                labels={},
                min_generation=4,
            )
        )
    for name, pool in auto.node_pools.items():
        out.append(
            _place(
                env,
                name,
                capacity_types=pool.capacity_types,
                architectures=pool.architectures,
                pool=pool,
                taints=tuple((t.key, t.value or "", _EFFECT[t.effect]) for t in pool.taints),
                cpu_limit=pool.limits.cpu,
                labels=dict(pool.labels),
            )
        )
    return [p for p in out if p is not None]
