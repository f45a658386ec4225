"""``cluster.autoscaler`` and the ``karpenter:`` section: what is accepted, and every rule's error
(file and field named). Pure config: no cdktf, milliseconds."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import ENVIRONMENTS_DIR, ConfigError, karpenter, load_environments, parse_environment

STAGING = yaml.safe_load((ENVIRONMENTS_DIR / "staging.yaml").read_text())
DEV = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())


def problems_for(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], base: dict[str, Any] = STAGING) -> list[str]:
    data = copy.deepcopy(base)
    mutate(data)
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        parse_environment(path, "environments/staging.yaml")
    return caught.value.problems


def pool(d: dict[str, Any], name: str = "default") -> dict[str, Any]:
    return d["karpenter"]["node_pools"][name]


def test_shipped_environments_choose_their_autoscaler() -> None:
    envs = {e.name: e for e in load_environments()}
    assert envs["staging"].cluster.autoscaler == "karpenter" and envs["staging"].karpenter is not None
    assert "cluster-autoscaler" not in envs["staging"].addons
    for name in ("dev", "prod"):
        assert envs[name].cluster.autoscaler == "cluster-autoscaler" and envs[name].karpenter is None
        assert "cluster-autoscaler" in envs[name].addons
    assert not envs["staging"].karpenter.ami_alias.endswith("@latest")


def test_a_bare_node_pool_gets_documented_defaults(tmp_path: Path) -> None:
    data = copy.deepcopy(STAGING)
    data["karpenter"]["node_pools"] = {"small": {"limits": {"cpu": 8}}}
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data))
    small = parse_environment(path).karpenter.node_pools["small"]
    assert small.capacity_types == ("on-demand",) and small.architectures == ("amd64",)
    assert small.disruption.consolidation_policy == "WhenEmptyOrUnderutilized"
    assert small.disruption.expire_after == "720h" and [b.nodes for b in small.disruption.budgets] == ["10%"]


@pytest.mark.parametrize(
    ("mutate", "field", "expected"),
    [
        pytest.param(lambda d: d.pop("karpenter"), "karpenter", "cluster.autoscaler is karpenter, so a karpenter section", id="karpenter-without-section"),
        pytest.param(
            lambda d: d["cluster"].update(autoscaler="cluster-autoscaler"),
            "karpenter",
            "set only when cluster.autoscaler is karpenter (it is cluster-autoscaler)",
            id="section-without-karpenter",
        ),
        pytest.param(lambda d: d["cluster"].update(autoscaler="keda"), "cluster.autoscaler", "'cluster-autoscaler' or 'karpenter'", id="unknown-autoscaler"),
        pytest.param(
            lambda d: d["addons"].update({"cluster-autoscaler": {}}),
            "addons.cluster-autoscaler",
            "both would manage nodes",
            id="both-autoscalers",
        ),
        pytest.param(
            lambda d: d["addons"].update({"aws-node-termination-handler": {"mode": "queue"}}),
            "addons.aws-node-termination-handler.mode",
            "queue mode and karpenter.interruption_handling would both act",
            id="nth-queue-and-karpenter-interruption",
        ),
        pytest.param(
            lambda d: d["karpenter"].update(ami_alias="al2023@latest"),
            "karpenter.ami_alias",
            "al2023@latest is refused in production",
            id="latest-alias-in-production",
        ),
        pytest.param(
            lambda d: d["karpenter"].update(ami_alias="al2023"), "karpenter.ami_alias", "expected a pinned alias al2023@v<YYYYMMDD>", id="alias-without-version"
        ),
        pytest.param(
            lambda d: d["karpenter"].update(ami_alias="bottlerocket@v1.20.3"), "karpenter.ami_alias", "got 'bottlerocket@v1.20.3'", id="alias-other-family"
        ),
        pytest.param(
            lambda d: d["karpenter"].update(controller_node_group="system"),
            "karpenter.controller_node_group",
            "no node group 'system' in cluster.node_groups (known: general)",
            id="controller-group-unknown",
        ),
        pytest.param(lambda d: d["karpenter"].update(node_pools={}), "karpenter.node_pools", "at least 1 item", id="no-node-pools"),
        pytest.param(lambda d: pool(d).pop("limits"), "karpenter.node_pools.default.limits", "Field required", id="pool-without-limits"),
        pytest.param(lambda d: pool(d)["limits"].update(cpu=0), "karpenter.node_pools.default.limits.cpu", "greater than or equal to 1", id="zero-cpu-limit"),
        pytest.param(
            lambda d: pool(d).update(capacity_types=["reserved"]),
            "karpenter.node_pools.default.capacity_types.0",
            "'spot' or 'on-demand'",
            id="bad-capacity-type",
        ),
        pytest.param(lambda d: pool(d).update(capacity_types=[]), "karpenter.node_pools.default.capacity_types", "at least 1 item", id="no-capacity-type"),
        pytest.param(
            lambda d: pool(d).update(architectures=["x86_64"]), "karpenter.node_pools.default.architectures.0", "'amd64' or 'arm64'", id="bad-architecture"
        ),
        pytest.param(
            lambda d: pool(d).update(instance_categories=["cm"]),
            "karpenter.node_pools.default.instance_categories.0",
            "should match pattern",
            id="bad-category",
        ),
        pytest.param(
            lambda d: pool(d).update(instance_categories=["c", "c"]),
            "karpenter.node_pools.default.instance_categories",
            "duplicate entry in",
            id="duplicate-category",
        ),
        pytest.param(
            lambda d: pool(d).update(instance_types=["m6ilarge"]),
            "karpenter.node_pools.default.instance_types.0",
            "should match pattern",
            id="bad-instance-type",
        ),
        pytest.param(
            lambda d: pool(d).update(instance_types=["m6i.large"]),
            "karpenter.node_pools.default.instance_types",
            "explicit instance types exclude instance_categories",
            id="types-and-categories",
        ),
        pytest.param(
            lambda d: pool(d, "spot")["taints"][0].update(effect="NoSchedule"),
            "karpenter.node_pools.spot.taints.0.effect",
            "'NO_SCHEDULE', 'NO_EXECUTE' or 'PREFER_NO_SCHEDULE'",
            id="bad-taint-effect",
        ),
        pytest.param(
            lambda d: pool(d).update(labels={"bad key!": "x"}),
            "karpenter.node_pools.default.labels.bad key!.[key]",
            "not a valid Kubernetes label key",
            id="bad-label-key",
        ),
        pytest.param(
            lambda d: pool(d).update(labels={"team": "a b"}), "karpenter.node_pools.default.labels.team", "should match pattern", id="bad-label-value"
        ),
        pytest.param(
            lambda d: pool(d).update(labels={"karpenter.sh/nodepool": "x"}),
            "karpenter.node_pools.default.labels",
            "label domain Karpenter reserves",
            id="reserved-label-domain",
        ),
        pytest.param(
            lambda d: pool(d).update(disruption={"consolidation_policy": "Always"}),
            "karpenter.node_pools.default.disruption.consolidation_policy",
            "'WhenEmptyOrUnderutilized' or 'WhenEmpty'",
            id="bad-consolidation-policy",
        ),
        pytest.param(
            lambda d: pool(d).update(disruption={"consolidate_after": "5 minutes"}),
            "karpenter.node_pools.default.disruption.consolidate_after",
            "should match pattern",
            id="bad-consolidate-after",
        ),
        pytest.param(
            lambda d: pool(d).update(disruption={"expire_after": "30d"}),
            "karpenter.node_pools.default.disruption.expire_after",
            "should match pattern",
            id="bad-expire-after",
        ),
        pytest.param(
            lambda d: pool(d).update(disruption={"budgets": [{"nodes": "150%"}]}),
            "karpenter.node_pools.default.disruption.budgets.0.nodes",
            "should match pattern",
            id="bad-budget-nodes",
        ),
        pytest.param(
            lambda d: pool(d).update(disruption={"budgets": [{"nodes": "0", "schedule": "@daily"}]}),
            "karpenter.node_pools.default.disruption.budgets.0",
            "schedule and duration are set together",
            id="budget-schedule-without-duration",
        ),
        pytest.param(
            lambda d: pool(d).update(disruption={"budgets": [{"nodes": "1", "reasons": ["Expired"]}]}),
            "karpenter.node_pools.default.disruption.budgets.0.reasons.0",
            "'Underutilized', 'Empty' or 'Drifted'",
            id="bad-budget-reason",
        ),
        pytest.param(lambda d: pool(d).update(weight=0), "karpenter.node_pools.default.weight", "greater than or equal to 1", id="bad-weight"),
        pytest.param(
            lambda d: pool(d).update(instance_size=["large"]), "karpenter.node_pools.default.instance_size", "Extra inputs are not permitted", id="misspelt-key"
        ),
    ],
)
def test_bad_karpenter_config_names_file_field_and_expectation(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], field: str, expected: str) -> None:
    problems = problems_for(tmp_path, mutate)
    assert any(p.startswith(f"environments/staging.yaml: {field}: ") and expected in p for p in problems), problems


def test_latest_alias_is_accepted_outside_production(tmp_path: Path) -> None:
    data = copy.deepcopy(STAGING)
    data["karpenter"]["ami_alias"] = "al2023@latest"
    data["production"] = False
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data))
    assert parse_environment(path).karpenter.ami_alias == "al2023@latest"


def test_termination_handler_queue_mode_is_fine_when_karpenter_does_not_handle_interruptions(tmp_path: Path) -> None:
    data = copy.deepcopy(STAGING)
    data["karpenter"]["interruption_handling"] = False
    data["addons"]["aws-node-termination-handler"] = {"mode": "queue"}
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data))
    assert parse_environment(path).karpenter.interruption_handling is False


@pytest.mark.parametrize(("version", "supported"), [("1.25", False), ("1.26", True), ("1.33", True), ("1.36", True), ("1.37", False)])
def test_compatibility_range_is_karpenter_1_14s_matrix(version: str, supported: bool) -> None:
    assert karpenter.KARPENTER_VERSION == "1.14.1"
    assert karpenter.kubernetes_supported(version) is supported


def test_a_cluster_version_outside_the_matrix_is_refused_naming_the_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every version the schema accepts today is inside Karpenter 1.14's range, so narrow the range
    # to prove the rule is wired into validation (the range itself is checked above).
    monkeypatch.setattr(karpenter, "SUPPORTED_KUBERNETES", ("1.26", "1.32"))
    problems = problems_for(tmp_path, lambda d: d["cluster"].update(version="1.33"))
    assert problems == ["environments/staging.yaml: cluster.version: Karpenter 1.14.1 supports Kubernetes 1.26 to 1.32 (its compatibility matrix); got 1.33"]
