"""Plan review names NodePool/EC2NodeClass changes that make Karpenter replace nodes, and only those.

The before/after values are the real ``karpenter-nodepools`` release values built from staging's
config (catalog/karpenter/addon.py), changed the way an environment file would change them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalog.karpenter.addon import node_class, node_pools
from environments import load_environments
from tests.review.test_plan_report import plan_file, rc, risks_of
from tools.plan_report import main

STAGING = load_environments(only=["staging"])[0]


def release(**karpenter_changes: Any) -> dict[str, Any]:
    k = STAGING.karpenter.model_copy(update=karpenter_changes)
    values = json.dumps({"manifests": [node_class(STAGING, k), *node_pools(k)]}, sort_keys=True)
    return {"name": "karpenter-nodepools", "chart": "assets/manifests", "values": [values]}


def pool_changed(name: str, **changes: Any) -> dict[str, Any]:
    k = STAGING.karpenter
    pools = {**k.node_pools, name: k.node_pools[name].model_copy(update=changes)}
    return release(node_pools=pools)


def review(before: dict[str, Any], after: dict[str, Any], tmp_path: Path) -> list[str]:
    return risks_of(tmp_path, rc("helm_release", "karpenter_custom-resources", ["update"], before, after), stack="staging-addons")


def test_a_new_ami_alias_replaces_every_node_of_every_pool(tmp_path: Path) -> None:
    assert review(release(), release(ami_alias="al2023@v20261001"), tmp_path) == [
        "medium: Karpenter EC2NodeClass default changes (spec.amiSelectorTerms): every node launched from it "
        "(node pools: default, spot) drifts and is replaced, as fast as the pools' disruption budgets allow."
    ]


def test_a_node_class_setting_replaces_every_node(tmp_path: Path) -> None:
    [risk] = review(release(), release(disk_size_gib=80), tmp_path)
    assert "EC2NodeClass default changes (spec.blockDeviceMappings)" in risk


def test_a_pool_template_change_replaces_that_pools_nodes(tmp_path: Path) -> None:
    spot = STAGING.karpenter.node_pools["spot"]
    after = pool_changed("spot", labels={**spot.labels, "team": "data"})
    assert review(release(), after, tmp_path) == [
        "medium: Karpenter NodePool spot changes (spec.template.metadata.labels.team): every node of the pool drifts "
        "and is replaced, as fast as its disruption budgets allow."
    ]


def test_requirements_drift_only_nodes_that_no_longer_fit(tmp_path: Path) -> None:
    [risk] = review(release(), pool_changed("default", instance_sizes=("xlarge",)), tmp_path)
    assert risk.startswith("medium: Karpenter NodePool default changes its requirements: nodes of the pool that no longer satisfy")


def test_limits_weight_and_disruption_replace_nothing(tmp_path: Path) -> None:
    default = STAGING.karpenter.node_pools["default"]
    after = pool_changed(
        "default",
        limits=default.limits.model_copy(update={"cpu": 128}),
        weight=10,
        disruption=default.disruption.model_copy(update={"consolidate_after": "10m"}),
    )
    assert after != release()
    assert review(release(), after, tmp_path) == []


def test_a_removed_pool_is_named(tmp_path: Path) -> None:
    k = STAGING.karpenter
    after = release(node_pools={"default": k.node_pools["default"]})
    assert review(release(), after, tmp_path) == ["medium: Karpenter NodePool spot is removed: its nodes are drained and terminated."]


def test_other_releases_are_not_read_as_node_pools(tmp_path: Path) -> None:
    before, after = release(), release(ami_alias="al2023@v20261001")
    before["name"] = after["name"] = "something-else"
    assert review(before, after, tmp_path) == []


def test_the_report_says_what_the_change_does(tmp_path: Path) -> None:
    path = plan_file(tmp_path, "staging-addons", rc("helm_release", "nodepools", ["update"], release(), release(ami_alias="al2023@v20261001")))
    out = tmp_path / "report.md"
    assert main([str(path), "--out", str(out)]) == 0  # medium: reported, not blocking
    report = out.read_text()
    assert "**Risk: medium**" in report and "every node launched from it (node pools: default, spot) drifts and is replaced" in report
