"""The plan report on moves into and out of EKS Auto Mode, on ``terraform show -json``-shaped plans.

Plan shapes are Terraform's JSON output format (developer.hashicorp.com/terraform/internals/json-format,
"Change Representation"): nested blocks such as ``compute_config`` are lists of one object, a
replacement is ``actions: ["delete", "create"]`` with ``replace_paths``, and a stack that reads another
through cdktf has a ``terraform_remote_state`` named ``cross-stack-reference-input-<stack>``.

Expectations, from sources the rule does not share:

- "Enable EKS Auto Mode on existing EKS clusters" and "Migrate from EKS Managed Node Groups to EKS
  Auto Mode" (Amazon EKS User Guide, migrate-auto.html, auto-migrate-mng.html): Auto Mode is switched
  on on a running cluster, node groups and Auto Mode nodes run side by side, the node groups' pods
  are drained onto Auto Mode's nodes, then the node groups go.
- "Disable EKS Auto Mode" (auto-disable.html): a destructive operation, EKS terminates every instance
  Auto Mode runs and deletes its load balancers; compute, block storage and load balancing are
  switched off in the same request. So the nodes workloads move back to must exist before.
- hashicorp/terraform-provider-aws #40411: enabling with a node role and disabling with it named are
  in-place changes; terraform-aws-modules/terraform-aws-eks #3321 (provider 5.84, as 5.100.0 here):
  ``node_pools = []`` on a cluster created with the built-in pools takes ``node_role_arn`` away and
  forces the cluster's replacement.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.review.test_plan_report import rc
from tools.plan_report import assess, load_plan, render

ROLE = "arn:aws:iam::111111111111:role/dev-eks-auto-node"
BUILT_IN = ["general-purpose", "system"]


def cluster(enabled: bool, pools: list[str], role: str | None = ROLE) -> dict[str, Any]:
    return {
        "name": "dev-eks",
        "compute_config": [{"enabled": enabled, "node_pools": pools, "node_role_arn": role}],
        "storage_config": [{"block_storage": [{"enabled": enabled}]}],
        "kubernetes_network_config": [{"elastic_load_balancing": [{"enabled": enabled}], "ip_family": "ipv4"}],
    }


def node_group(actions: list[str], name: str = "general") -> dict[str, Any]:
    values = {"cluster_name": "dev-eks", "node_group_name": f"dev-eks-{name}"}
    return rc("aws_eks_node_group", name, actions, None if actions == ["create"] else values, None if actions == ["delete"] else values)


def release(actions: list[str], name: str, values: list[str] | None = None) -> dict[str, Any]:
    body = {"name": name, "chart": name, "namespace": "kube-system", "values": values or []}
    return rc("helm_release", name.replace("-", "_"), actions, None if actions == ["create"] else body, None if actions == ["delete"] else body)


def custom_pools(*names: str) -> list[str]:
    pools = [{"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": n}, "spec": {}} for n in names]
    return [json.dumps({"manifests": pools})]


def write(tmp_path: Path, name: str, changes: list[dict[str, Any]], reads: tuple[str, ...] = ()) -> Path:
    path = tmp_path / f"{name}.json"
    inputs = [
        {"address": f"data.terraform_remote_state.r{i}", "mode": "data", "type": "terraform_remote_state", "name": f"cross-stack-reference-input-{s}"}
        for i, s in enumerate(reads)
    ]
    path.write_text(
        json.dumps({"format_version": "1.2", "planned_values": {}, "resource_changes": changes, "configuration": {"root_module": {"resources": inputs}}})
    )
    return path


def review(tmp_path: Path, cluster_stack: list[dict[str, Any]], addons: list[dict[str, Any]] | None = None) -> tuple[list[str], str]:
    """(risks as ``level: message``, the Markdown report) of a deploy; the add-ons plan comes first
    in the arguments, so the order the report gives is its own."""
    plans = []
    if addons is not None:
        plans.append(load_plan("dev-addons", write(tmp_path, "dev-addons", addons, reads=("dev-cluster",))))
    plans.append(load_plan("dev-cluster", write(tmp_path, "dev-cluster", cluster_stack)))
    risks = assess(plans)
    return [f"{r.level}: {r.message}" for r in risks], render(plans, risks)


def section(report: str) -> str:
    assert "### EKS Auto Mode move" in report, report
    return report.split("### EKS Auto Mode move", 1)[1].split("\n### ", 1)[0]


def auto_mode_highs(risks: list[str]) -> list[str]:
    return [r for r in risks if r.startswith("high: ") and "Auto Mode" in r]


def test_the_way_in_is_explained_in_apply_order_with_the_drain_in_between(tmp_path: Path) -> None:
    risks, report = review(
        tmp_path,
        [rc("aws_eks_cluster", "eks", ["update"], cluster(False, [], None), cluster(True, BUILT_IN)), node_group(["no-op"])],
        [release(["delete"], "aws-load-balancer-controller"), release(["delete"], "karpenter"), release(["create"], "eks-auto-mode")],
    )
    text = section(report)
    cluster_step, addons_step = text.index("`dev-cluster`"), text.index("`dev-addons`")
    assert cluster_step < addons_step, text  # the add-ons stack reads the cluster stack: applied after it
    assert "Auto Mode turns on" in text and "compute, block storage and load balancing" in text
    assert "built-in pools general-purpose, system" in text
    assert "node group `aws_eks_node_group.general` is kept" in text
    assert "aws-load-balancer-controller removed" in text and "karpenter removed" in text
    assert "kubectl drain" in text and text.index("kubectl drain") > addons_step  # between this deploy and the next
    assert auto_mode_highs(risks) == [], risks


def test_the_way_out_in_place_with_node_groups_already_back_is_explained_not_high(tmp_path: Path) -> None:
    risks, report = review(
        tmp_path,
        [rc("aws_eks_cluster", "eks", ["update"], cluster(True, BUILT_IN), cluster(False, [], ROLE)), node_group(["no-op"])],
        [release(["create"], "aws-load-balancer-controller"), release(["delete"], "eks-auto-mode")],
    )
    text = section(report)
    assert "Auto Mode turns off" in text and "terminates every instance Auto Mode runs" in text
    assert "aws-load-balancer-controller added" in text
    assert text.index("`dev-cluster`") < text.index("`dev-addons`")
    assert auto_mode_highs(risks) == [], risks


def test_emptying_the_built_in_pools_of_a_running_auto_mode_cluster_is_high(tmp_path: Path) -> None:
    change = rc(
        "aws_eks_cluster",
        "eks",
        ["delete", "create"],
        cluster(True, BUILT_IN),
        cluster(True, [], None),
        replace_paths=[["compute_config", 0, "node_role_arn"]],
    )
    risks, _ = review(tmp_path, [change])
    highs = auto_mode_highs(risks)
    assert any("built-in pools (general-purpose, system) are emptied" in r and "#40582" in r for r in highs), risks


def test_emptying_the_built_in_pools_is_high_even_when_the_plan_shows_an_update(tmp_path: Path) -> None:
    risks, _ = review(tmp_path, [rc("aws_eks_cluster", "eks", ["update"], cluster(True, BUILT_IN), cluster(True, [], None))])
    assert any("built-in pools (general-purpose, system) are emptied" in r for r in auto_mode_highs(risks)), risks


def test_a_cluster_replaced_while_moving_into_auto_mode_is_high(tmp_path: Path) -> None:
    change = rc(
        "aws_eks_cluster",
        "eks",
        ["delete", "create"],
        cluster(False, [], None),
        cluster(True, BUILT_IN),
        replace_paths=[["bootstrap_self_managed_addons"]],
    )
    risks, _ = review(tmp_path, [change, node_group(["no-op"])])
    assert any("replaced" in r and "in place" in r and "bootstrap_self_managed_addons" in r for r in auto_mode_highs(risks)), risks


def test_removing_the_last_node_group_with_no_auto_mode_pool_is_high(tmp_path: Path) -> None:
    risks, _ = review(tmp_path, [rc("aws_eks_cluster", "eks", ["no-op"], cluster(False, [], None), cluster(False, [], None)), node_group(["delete"])])
    assert any("last node group" in r for r in auto_mode_highs(risks)), risks


def test_removing_the_last_node_group_beside_running_pools_is_the_last_step_in(tmp_path: Path) -> None:
    on = cluster(True, BUILT_IN)
    risks, report = review(tmp_path, [rc("aws_eks_cluster", "eks", ["no-op"], on, on), node_group(["delete"])])
    assert auto_mode_highs(risks) == [], risks
    assert "node group `aws_eks_node_group.general` is removed" in section(report)


def test_custom_pools_count_as_auto_mode_pools(tmp_path: Path) -> None:
    on = cluster(True, [], None)
    pools = release(["no-op"], "eks-auto-mode", custom_pools("batch-spot"))
    risks, _ = review(tmp_path, [rc("aws_eks_cluster", "eks", ["no-op"], on, on), node_group(["delete"])], [pools])
    assert auto_mode_highs(risks) == [], risks
    off = cluster(False, [], None)
    risks, _ = review(tmp_path, [rc("aws_eks_cluster", "eks", ["no-op"], off, off), node_group(["delete"])], [pools])
    assert any("last node group" in r for r in auto_mode_highs(risks)), risks


def test_turning_auto_mode_off_before_node_groups_exist_is_high(tmp_path: Path) -> None:
    risks, _ = review(tmp_path, [rc("aws_eks_cluster", "eks", ["update"], cluster(True, BUILT_IN), cluster(False, [], ROLE)), node_group(["create"])])
    assert any("turned off" in r and "no node group" in r for r in auto_mode_highs(risks)), risks


def test_a_plan_without_auto_mode_has_no_auto_mode_section(tmp_path: Path) -> None:
    off = cluster(False, [], None)
    _, report = review(tmp_path, [rc("aws_eks_cluster", "eks", ["no-op"], off, off), node_group(["update"])])
    assert "EKS Auto Mode move" not in report


def test_docs_quote_the_report_of_the_way_in(tmp_path: Path) -> None:
    """docs/compute.md shows step 1's section as the report writes it: a reworded report fails here."""
    _, report = review(
        tmp_path,
        [rc("aws_eks_cluster", "eks", ["update"], cluster(False, [], None), cluster(True, BUILT_IN)), node_group(["no-op"])],
        [release(["delete"], "aws-load-balancer-controller"), release(["delete"], "karpenter"), release(["create"], "eks-auto-mode")],
    )
    quoted = section(report).split("In apply order:\n\n", 1)[1].strip()
    assert quoted in (Path(__file__).parents[2] / "docs" / "compute.md").read_text(encoding="utf-8")
