"""The fit check on EKS Auto Mode: its built-in pools and the environment's own Auto Mode pools are
places, with the labels and taints Auto Mode puts on their nodes.

Expectations from the Amazon EKS User Guide: "Enable or Disable Built-in NodePools" (general-purpose:
on-demand amd64, categories c/m/r, generation > 4; system: amd64 or arm64, taint CriticalAddonsOnly
NoSchedule), "Control if a workload is deployed on EKS Auto Mode nodes" (label
eks.amazonaws.com/compute-type: auto), "Create a Node Pool for EKS Auto Mode" (eks.amazonaws.com/
instance-* labels, karpenter.sh/nodepool).
"""

from __future__ import annotations

from typing import Any

from tests.render_check_support import container, context, environment, messages, release, workload
from tools.render.checks import fit

AUTO = environment("auto")


def findings(*objects: dict[str, Any], env: Any = AUTO) -> list[str]:
    return messages(fit.check(context(env, release("app", "apps", *objects))))


def deployment(cpu: str, memory: str, **kw: Any) -> dict[str, Any]:
    return workload("Deployment", "web", containers=[container(cpu, memory)], **kw)


def test_an_auto_mode_environment_has_the_built_in_and_custom_pools_as_places() -> None:
    by_name = {p.name: p for p in fit.places(AUTO)}
    assert set(by_name) == {"Auto Mode pool general-purpose", "Auto Mode pool system", "Auto Mode pool batch-spot"}
    general, system, batch = by_name["Auto Mode pool general-purpose"], by_name["Auto Mode pool system"], by_name["Auto Mode pool batch-spot"]
    for place in (general, system, batch):
        assert place.labels["eks.amazonaws.com/compute-type"] == "auto"
    assert general.labels["karpenter.sh/nodepool"] == "general-purpose" and general.taints == ()
    assert general.labels["kubernetes.io/arch"] == "amd64" and general.labels["karpenter.sh/capacity-type"] == "on-demand"
    assert general.labels["eks.amazonaws.com/instance-category"] in {"c", "m", "r"}
    assert int(general.labels["eks.amazonaws.com/instance-generation"]) > 4
    assert system.taints == (("CriticalAddonsOnly", "", "NoSchedule"),)
    assert batch.labels["workload"] == "batch" and batch.labels["karpenter.sh/capacity-type"] == "spot"
    assert batch.taints == (("workload", "batch", "NoSchedule"),)
    assert batch.labels["eks.amazonaws.com/instance-category"] in {"c", "m"}
    assert not any(k.startswith("karpenter.k8s.aws/") for p in (general, system, batch) for k in p.labels)


def test_a_pod_selecting_auto_mode_nodes_fits_and_one_selecting_node_groups_does_not() -> None:
    assert findings(deployment("500m", "1Gi", nodeSelector={"eks.amazonaws.com/compute-type": "auto"})) == []
    found = findings(deployment("500m", "1Gi", nodeSelector={"eks.amazonaws.com/nodegroup": "system"}))
    assert found and "fits no node group or pool" in found[0]


def test_the_system_pool_takes_only_pods_tolerating_critical_addons_only() -> None:
    pinned = {"nodeSelector": {"karpenter.sh/nodepool": "system"}}
    assert findings(deployment("100m", "128Mi", **pinned))
    tolerated = {**pinned, "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}]}
    assert findings(deployment("100m", "128Mi", **tolerated)) == []


def test_an_environment_without_auto_mode_has_no_auto_mode_places() -> None:
    assert not [p for p in fit.places(environment("dev")) if p.name.startswith("Auto Mode")]
