"""``cluster.auto_mode`` (EKS Auto Mode): what is accepted, and every guardrail's error, naming the
file and both fields. Pure config: no cdktf, milliseconds.

Where the expectations come from (Amazon EKS User Guide): "Automate cluster infrastructure with EKS
Auto Mode" (Auto Mode runs compute autoscaling, pod and service networking, load balancing, cluster
DNS and block storage as core components; it handles Spot interruptions), "Enable or Disable
Built-in NodePools" (only ``general-purpose`` and ``system``), "Create a Node Pool for EKS Auto Mode".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import ENVIRONMENTS_DIR, ConfigError, parse_environment

AUTO = yaml.safe_load((ENVIRONMENTS_DIR / "auto.yaml").read_text())
DEV = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())
STAGING = yaml.safe_load((ENVIRONMENTS_DIR / "staging.yaml").read_text())


def _parse(tmp_path: Path, data: dict[str, Any]) -> Any:
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return parse_environment(path, "environments/auto.yaml")


def problems_for(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], base: dict[str, Any] = AUTO) -> list[str]:
    data = copy.deepcopy(base)
    mutate(data)
    with pytest.raises(ConfigError) as caught:
        _parse(tmp_path, data)
    return caught.value.problems


def auto(d: dict[str, Any]) -> dict[str, Any]:
    return d["cluster"]["auto_mode"]


def pool(d: dict[str, Any], name: str = "batch-spot") -> dict[str, Any]:
    return auto(d)["node_pools"][name]


def moving_dev(d: dict[str, Any]) -> None:
    """dev (node groups) taking Auto Mode on, with the add-ons Auto Mode replaces removed."""
    for name in ("aws-load-balancer-controller", "aws-ebs-csi-driver", "cluster-autoscaler", "aws-node-termination-handler"):
        d["addons"].pop(name)
    d["cluster"]["auto_mode"] = {}


def test_shipped_auto_environment_runs_only_auto_mode(tmp_path: Path) -> None:
    env = _parse(tmp_path, copy.deepcopy(AUTO))
    assert env.cluster.node_groups == {}
    assert env.cluster.auto_mode.enabled and env.cluster.auto_mode.built_in_pools == ("general-purpose", "system")
    assert set(env.cluster.auto_mode.node_pools) == {"batch-spot"}


def test_enabling_on_a_cluster_with_node_groups_keeps_them_during_the_move(tmp_path: Path) -> None:
    data = copy.deepcopy(DEV)
    moving_dev(data)
    env = _parse(tmp_path, data)
    assert set(env.cluster.node_groups) == {"system", "spot"} and env.cluster.auto_mode.enabled


def test_the_way_out_turns_off_after_the_pools_are_gone(tmp_path: Path) -> None:
    data = copy.deepcopy(DEV)
    moving_dev(data)
    data["cluster"]["auto_mode"] = {"built_in_pools": []}  # step 1: pools drained, node groups run everything
    assert _parse(tmp_path, data).cluster.auto_mode.enabled
    # step 2: off, and the controllers Auto Mode stood in for come back in the same deploy
    # (loki's volumes need the EBS CSI driver again once Auto Mode's block storage is off).
    data["cluster"]["auto_mode"] = {"enabled": False, "built_in_pools": []}
    data["addons"].update({"aws-load-balancer-controller": {"replicas": 1}, "aws-ebs-csi-driver": {}, "cluster-autoscaler": {}})
    assert not _parse(tmp_path, data).cluster.auto_mode.enabled


REPLACED = [
    ("aws-load-balancer-controller", {}, "eks.amazonaws.com/alb"),
    ("aws-ebs-csi-driver", {}, "ebs.csi.eks.amazonaws.com"),
    ("cluster-autoscaler", {}, "launches and removes its own nodes"),
    ("aws-node-termination-handler", {"mode": "imds"}, "Spot interruptions"),
]


@pytest.mark.parametrize(("addon", "options", "why"), REPLACED, ids=[r[0] for r in REPLACED])
def test_a_controller_auto_mode_replaces_is_refused_naming_both_fields(tmp_path: Path, addon: str, options: dict[str, Any], why: str) -> None:
    problems = problems_for(tmp_path, lambda d: d["addons"].update({addon: options}))
    assert any(p.startswith(f"environments/auto.yaml: addons.{addon}: refused with cluster.auto_mode enabled") and why in p for p in problems), problems


@pytest.mark.parametrize(
    ("mutate", "field", "expected"),
    [
        pytest.param(
            lambda d: d["cluster"].update(managed_addons={"vpc-cni": {"prefix_delegation": True}}),
            "cluster.managed_addons.vpc-cni",
            "not installed when cluster.auto_mode runs every node",
            id="tuning-vpc-cni-without-node-groups",
        ),
        pytest.param(
            lambda d: d["cluster"].update(managed_addons={"coredns": {"replicas": 3}}),
            "cluster.managed_addons.coredns",
            "not installed when cluster.auto_mode runs every node",
            id="tuning-coredns-without-node-groups",
        ),
        pytest.param(
            lambda d: auto(d).update(enabled=False),
            "cluster.auto_mode.enabled",
            "refused while Auto Mode pools still exist: built_in_pools (general-purpose, system) and node_pools (batch-spot)",
            id="disable-with-pools",
        ),
        pytest.param(
            lambda d: auto(d).update(enabled=False, built_in_pools=[], node_pools={}),
            "cluster.node_groups",
            "at least 1 item",
            id="disable-without-node-groups",
        ),
        pytest.param(
            lambda d: auto(d).update(built_in_pools=[], node_pools={}),
            "cluster.auto_mode.built_in_pools",
            "nothing could run",
            id="no-pool-no-node-group",
        ),
        pytest.param(
            lambda d: auto(d).update(built_in_pools=["gpu"]), "cluster.auto_mode.built_in_pools.0", "'general-purpose' or 'system'", id="unknown-built-in"
        ),
        pytest.param(
            lambda d: auto(d).update(built_in_pools=["system", "system"]), "cluster.auto_mode.built_in_pools", "duplicate entry", id="duplicate-built-in"
        ),
        pytest.param(
            lambda d: auto(d)["node_pools"].update({"system": {"limits": {"cpu": 4}}}),
            "cluster.auto_mode.node_pools.system",
            "the name of a built-in pool",
            id="custom-pool-named-like-built-in",
        ),
        pytest.param(lambda d: pool(d).pop("limits"), "cluster.auto_mode.node_pools.batch-spot.limits", "Field required", id="pool-without-limits"),
        pytest.param(
            lambda d: pool(d).update(capacity_types=["reserved"]),
            "cluster.auto_mode.node_pools.batch-spot.capacity_types.0",
            "'spot' or 'on-demand'",
            id="bad-capacity-type",
        ),
        pytest.param(
            lambda d: pool(d).update(instance_types=["m6i.large"]),
            "cluster.auto_mode.node_pools.batch-spot.instance_types",
            "explicit instance types exclude instance_categories",
            id="types-and-categories",
        ),
        pytest.param(
            lambda d: pool(d)["taints"][0].update(effect="NoSchedule"),
            "cluster.auto_mode.node_pools.batch-spot.taints.0.effect",
            "'NO_SCHEDULE', 'NO_EXECUTE' or 'PREFER_NO_SCHEDULE'",
            id="bad-taint-effect",
        ),
        pytest.param(
            lambda d: pool(d).update(labels={"eks.amazonaws.com/compute-type": "auto"}),
            "cluster.auto_mode.node_pools.batch-spot.labels",
            "label domain EKS Auto Mode sets on its nodes itself",
            id="reserved-label-domain",
        ),
        pytest.param(
            lambda d: pool(d).update(disruption={"budgets": [{"nodes": "150%"}]}),
            "cluster.auto_mode.node_pools.batch-spot.disruption.budgets.0.nodes",
            "should match pattern",
            id="bad-budget-nodes",
        ),
        pytest.param(
            lambda d: pool(d).update(disruption={"consolidate_after": "5 minutes"}),
            "cluster.auto_mode.node_pools.batch-spot.disruption.consolidate_after",
            "should match pattern",
            id="bad-consolidate-after",
        ),
    ],
)
def test_bad_auto_mode_config_names_file_field_and_expectation(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], field: str, expected: str) -> None:
    problems = problems_for(tmp_path, mutate)
    assert any(p.startswith(f"environments/auto.yaml: {field}: ") and expected in p for p in problems), problems


def test_karpenter_environment_moving_to_auto_mode_must_drop_karpenter(tmp_path: Path) -> None:
    def move(d: dict[str, Any]) -> None:
        for name in ("aws-load-balancer-controller", "aws-ebs-csi-driver", "cluster-autoscaler", "aws-node-termination-handler"):
            d["addons"].pop(name, None)
        d["cluster"]["auto_mode"] = {}

    problems = problems_for(tmp_path, move, STAGING)
    assert any("environments/auto.yaml: cluster.autoscaler: karpenter is refused with cluster.auto_mode enabled" in p for p in problems), problems


def test_custom_networking_is_refused_beside_auto_mode(tmp_path: Path) -> None:
    pod_network = {"cidr": "100.64.0.0/16", "subnets": ["100.64.0.0/18", "100.64.64.0/18", "100.64.128.0/18"]}  # auto has three zones
    problems = problems_for(tmp_path, lambda d: d["network"].update(pod_network=pod_network))
    assert any(p.startswith("environments/auto.yaml: network.pod_network: ") and "cluster.auto_mode" in p for p in problems), problems
