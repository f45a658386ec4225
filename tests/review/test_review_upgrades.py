"""Plan review of Kubernetes upgrades and managed add-ons (tools/review/upgrades.py).

Shapes are those ``terraform show -json`` writes for the cluster stack; the real plan of a bump
on the emulator is reviewed in tests/e2e/test_lifecycle.py (exit status 3 and these words).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.review.test_plan_report import rc, risks_of

CLUSTER = "aws_eks_cluster"


def cluster(old: str, new: str) -> dict[str, Any]:
    return rc(CLUSTER, "eks", ["update"], {"name": "dev-eks", "version": old}, {"name": "dev-eks", "version": new})


def group(name: str, old: str, new: str, actions: list[str] | None = None) -> dict[str, Any]:
    return rc("aws_eks_node_group", name, actions or (["update"] if old != new else ["no-op"]), {"version": old}, {"version": new})


def addon(name: str, old: str, new: str, **extra: Any) -> dict[str, Any]:
    before = {"addon_name": name, "addon_version": old, "preserve": True, **extra.pop("before", {})}
    after = {"addon_name": name, "addon_version": new, "preserve": True, **extra.pop("after", {})}
    return rc("aws_eks_addon", name, ["update"] if before != after else ["no-op"], before, after)


def test_a_version_bump_is_high_and_says_what_moves_with_it(tmp_path: Path) -> None:
    risks = risks_of(
        tmp_path,
        cluster("1.33", "1.34"),
        group("system", "1.33", "1.34"),
        addon("kube-proxy", "v1.33.10-eksbuild.2", "v1.34.6-eksbuild.2"),
        addon("vpc-cni", "v1.20.1-eksbuild.3", "v1.20.1-eksbuild.3"),
    )
    [upgrade] = [r for r in risks if "Kubernetes 1.33 -> 1.34" in r]
    assert upgrade.startswith("high: Kubernetes 1.33 -> 1.34: irreversible")
    assert "one minor at a time" in upgrade
    assert "Node groups rolling to 1.34 (nodes replaced in batches): aws_eks_node_group.system." in upgrade
    assert "Managed add-ons moving: kube-proxy v1.33.10-eksbuild.2 -> v1.34.6-eksbuild.2." in upgrade
    assert "vpc-cni" not in upgrade.split("Managed add-ons moving")[1]  # unchanged add-ons are not listed
    assert "Staying behind" not in upgrade


def test_a_group_left_behind_is_named(tmp_path: Path) -> None:
    risks = risks_of(tmp_path, cluster("1.33", "1.34"), group("system", "1.33", "1.34"), group("pinned", "1.33", "1.33"))
    [upgrade] = [r for r in risks if "Kubernetes 1.33 -> 1.34" in r]
    assert "Staying behind on their old version (the next upgrade is blocked until they follow): aws_eks_node_group.pinned." in upgrade


def test_a_two_minor_jump_and_a_downgrade_are_refused_in_words(tmp_path: Path) -> None:
    assert risks_of(tmp_path, cluster("1.33", "1.35")) == [
        "high: Kubernetes 1.33 -> 1.35 skips a minor version: EKS upgrades one minor at a time, so this apply fails. "
        "Raise cluster.version to 1.34 first, deploy, then continue."
    ]
    assert risks_of(tmp_path, cluster("1.34", "1.33")) == [
        "high: Kubernetes 1.34 -> 1.33 is a downgrade: EKS cannot downgrade a control plane; this apply fails."
    ]


def test_an_update_that_keeps_the_version_is_not_an_upgrade(tmp_path: Path) -> None:
    change = rc(CLUSTER, "eks", ["update"], {"version": "1.33", "tags": {}}, {"version": "1.33", "tags": {"a": "b"}})
    assert risks_of(tmp_path, change) == []


def test_addon_downgrade_is_high(tmp_path: Path) -> None:
    assert risks_of(tmp_path, addon("coredns", "v1.13.2-eksbuild.4", "v1.11.4-eksbuild.33")) == [
        "high: Managed add-on coredns v1.13.2-eksbuild.4 -> v1.11.4-eksbuild.33 is a downgrade: EKS refuses add-on downgrades; this apply fails."
    ]


def test_addon_removal(tmp_path: Path) -> None:
    kept = rc("aws_eks_addon", "coredns", ["delete"], {"addon_name": "coredns", "preserve": True}, None)
    lost = rc("aws_eks_addon", "coredns", ["delete"], {"addon_name": "coredns", "preserve": False}, None)
    other = rc("aws_eks_addon", "eks-pod-identity-agent", ["delete"], {"addon_name": "eks-pod-identity-agent", "preserve": False}, None)
    assert risks_of(tmp_path, kept) == ["medium: Managed add-on coredns is removed; preserve keeps its workload running, unmanaged by EKS (no more updates)."]
    assert risks_of(tmp_path, lost) == ["high: Managed add-on coredns is removed together with its workload: cluster DNS stops working in the cluster."]
    assert risks_of(tmp_path, other) == ["medium: Managed add-on eks-pod-identity-agent is removed together with its workload."]


def test_vpc_cni_settings_that_need_new_nodes(tmp_path: Path) -> None:
    on = json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}}, sort_keys=True)
    policy = json.dumps({"enableNetworkPolicy": "true"})
    v = "v1.20.1-eksbuild.3"
    assert risks_of(tmp_path, addon("vpc-cni", v, v, before={"configuration_values": None}, after={"configuration_values": on})) == [
        "medium: vpc-cni ENABLE_PREFIX_DELEGATION, WARM_PREFIX_TARGET change: only nodes started afterwards use it; "
        "recycle the node groups (or bump their AMI release) for existing nodes to follow."
    ]
    # Network policy enforcement is applied by the running agent: no recycle needed.
    assert risks_of(tmp_path, addon("vpc-cni", v, v, before={"configuration_values": None}, after={"configuration_values": policy})) == []


def test_node_group_replacement_under_create_before_destroy_is_told_as_such(tmp_path: Path) -> None:
    change = rc(
        "aws_eks_node_group",
        "system",
        ["create", "delete"],
        {"instance_types": ["t3.large"]},
        {"instance_types": ["t3.xlarge"]},
        replace_paths=[["instance_types"]],
    )
    [risk] = risks_of(tmp_path, change)
    assert (
        risk.startswith("high: A node group")
        and "replaced (the new one is created and ready first, then the old one destroyed) because instance_types changed" in risk
    )


# -- the jump check before any plan (tools/review/version_jump.py) ---------------------------------

from environments import load_environments  # noqa: E402
from tools.review.version_jump import configured_version, jump_problem, recorded_version  # noqa: E402

STATE = {
    "version": 4,
    "resources": [
        {"mode": "data", "type": "aws_caller_identity", "instances": [{"attributes": {}}]},
        {"mode": "managed", "type": "aws_eks_cluster", "name": "eks_cluster_55B0C966", "instances": [{"attributes": {"name": "dev-eks", "version": "1.33"}}]},
    ],
}


def test_a_jump_of_two_minors_over_the_recorded_state_is_refused_naming_file_and_field() -> None:
    assert recorded_version(STATE) == "1.33"
    assert jump_problem("1.33", "1.35", env_file="environments/dev.yaml") == (
        "environments/dev.yaml: cluster.version: 1.35 is more than one minor past 1.33, the version the cluster runs "
        "(its stack's state); EKS upgrades one minor at a time: set 1.34, deploy, then continue"
    )
    assert "EKS cannot downgrade" in str(jump_problem("1.34", "1.33"))
    assert jump_problem("1.33", "1.34") is None and jump_problem("1.33", "1.33") is None
    assert jump_problem(None, "1.36") is None  # no state yet: a new cluster


def test_the_configured_version_is_read_from_the_synthesized_json(synth) -> None:  # type: ignore[no-untyped-def]
    assert configured_version(synth.stack("dev-cluster")) == load_environments(only=["dev"])[0].cluster.version
    assert configured_version(synth.stack("dev-network")) is None
