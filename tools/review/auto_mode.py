"""Plan review: a move into or out of EKS Auto Mode, step by step, and the shortcuts that hurt.

What the plans of one deploy show of a move: the cluster's ``compute_config``,
``storage_config.block_storage`` and ``kubernetes_network_config.elastic_load_balancing`` turning on
or off, its built-in pools, the custom NodePools (values of the ``eks-auto-mode`` release,
modules/addons/auto_mode.py), node groups kept, added or removed, and the controllers Auto Mode
replaces (``environments/auto_mode.REPLACED_ADDONS`` and Karpenter) removed or added. The section
lists them per stack in apply order (a stack after the stacks it reads) and says what must happen
before the next deploy.

Sources (Amazon EKS User Guide): "Enable EKS Auto Mode on existing EKS clusters" and "Migrate from
EKS Managed Node Groups to EKS Auto Mode" (node groups and Auto Mode nodes run side by side, the node
groups are drained, then removed); "Disable EKS Auto Mode" (destructive: EKS terminates every instance
Auto Mode runs and deletes its load balancers; compute, storage and load balancing switch together).
hashicorp/terraform-provider-aws #40411 (enabling with a node role, or disabling with it named, is in
place) and #40582 with terraform-aws-modules/terraform-aws-eks #3321 (aws 5.x: ``node_pools = []``
on a cluster that had them drops ``node_role_arn`` and replaces the cluster; fixed in 6.13).

HIGH: the cluster replaced in a plan that touches Auto Mode; built-in pools emptied while Auto Mode
keeps running; the last node group removed while no Auto Mode pool runs before and after the
deploy; Auto Mode turned off while no node group existed before the deploy.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from environments.auto_mode import REPLACED_ADDONS
from tools.review.karpenter import release_objects
from tools.review.plan import Change, Risk, StackPlan

POOLS_RELEASE = "eks-auto-mode"  # modules/addons/auto_mode.RELEASE (the review imports no construct)
CONTROLLERS = (*REPLACED_ADDONS, "karpenter")
_WHY = "docs/compute.md, 'Moving an environment in and out'"


@dataclass(frozen=True)
class AutoMode:
    enabled: bool
    pools: tuple[str, ...]
    role: str | None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value if isinstance(value, dict) else None


def _state(values: Any) -> AutoMode | None:
    """The cluster's Auto Mode settings in one side of a change; None when the side is absent."""
    if not isinstance(values, dict):
        return None
    compute = _first(values.get("compute_config")) or {}
    return AutoMode(bool(compute.get("enabled")), tuple(compute.get("node_pools") or ()), compute.get("node_role_arn") or None)


def _all(plans: Iterable[StackPlan]) -> list[Change]:
    return [c for p in plans for c in [*p.changes, *p.unchanged]]


def _before(change: Change) -> Any:
    return change.before if change.action != "create" else None


def _after(change: Change) -> Any:
    return None if change.action == "destroy" else change.before if change.action == "no-op" and change.after is None else change.after


def _custom_pools(changes: list[Change], side: str) -> list[str]:
    found: list[str] = []
    for c in changes:
        values = _before(c) if side == "before" else _after(c)
        if c.type == "helm_release" and isinstance(values, dict) and values.get("name") == POOLS_RELEASE:
            found += [name for (kind, name) in release_objects(values.get("values")) or {} if kind == "NodePool"]
    return found


def _controller(change: Change) -> str | None:
    values = _before(change) or _after(change) or {}
    if change.type == "helm_release":
        name = values.get("name") or values.get("chart")
    elif change.type == "aws_eks_addon":
        name = values.get("addon_name")
    else:
        return None
    return name if name in CONTROLLERS else None


def _order(plans: list[StackPlan]) -> list[StackPlan]:
    """Stacks after the stacks they read, as ``tools.delivery`` applies them."""
    by_name = {p.name: p for p in plans}
    ordered: list[StackPlan] = []

    def visit(plan: StackPlan) -> None:
        if plan in ordered:
            return
        for name in sorted(plan.upstream):
            if name in by_name:
                visit(by_name[name])
        ordered.append(plan)

    for plan in sorted(plans, key=lambda p: p.name):
        visit(plan)
    return ordered


@dataclass
class Move:
    cluster: Change | None
    before: AutoMode | None
    after: AutoMode | None
    groups_before: list[Change]
    groups_after: list[Change]
    pools_before: bool
    pools_after: bool
    involved: bool


def _move(plans: list[StackPlan]) -> Move:
    changes = _all(plans)
    cluster = next((c for c in changes if c.type == "aws_eks_cluster"), None)
    before = _state(_before(cluster)) if cluster else None
    after = _state(_after(cluster)) if cluster else None
    groups = [c for c in changes if c.type == "aws_eks_node_group"]
    custom_before, custom_after = _custom_pools(changes, "before"), _custom_pools(changes, "after")
    on_before, on_after = bool(before and before.enabled), bool(after and after.enabled)
    moved = [
        c
        for p in plans
        for c in p.changes
        if c.type == "aws_eks_node_group"
        or _controller(c)
        or c.type == "helm_release"
        and POOLS_RELEASE in (c.address, (_before(c) or _after(c) or {}).get("name"))
    ]
    cluster_moved = cluster is not None and cluster.action != "no-op" and before != after
    return Move(
        cluster=cluster,
        before=before,
        after=after,
        groups_before=[g for g in groups if _before(g)],
        groups_after=[g for g in groups if _after(g)],
        pools_before=on_before and bool((before.pools if before else ()) or custom_before),
        pools_after=on_after and bool((after.pools if after else ()) or custom_after),
        involved=bool(on_before or on_after or custom_before or custom_after) and (cluster_moved or bool(moved)),
    )


def review(plans: Iterable[StackPlan]) -> list[Risk]:
    plans = list(plans)
    m = _move(plans)
    risks: list[Risk] = []
    c = m.cluster
    if c is not None and (m.before and m.before.enabled or m.after and m.after.enabled):
        if c.action == "replace":
            why = f" (forced by {', '.join(c.replace_paths)})" if c.replace_paths else ""
            risks.append(
                Risk(
                    "high",
                    c.stack,
                    c.address,
                    f"The cluster is replaced in a plan that changes EKS Auto Mode{why}: a move into or out of Auto Mode updates "
                    f"aws_eks_cluster in place (hashicorp/terraform-provider-aws #40411); find what forces the replacement ({_WHY}).",
                )
            )
        if m.before and m.after and m.before.enabled and m.before.pools and not m.after.pools and m.after.enabled:
            risks.append(
                Risk(
                    "high",
                    c.stack,
                    c.address,
                    f"The built-in pools ({', '.join(m.before.pools)}) are emptied while EKS Auto Mode keeps running: the node role leaves "
                    "compute_config and aws 5.100.0 replaces the cluster (hashicorp/terraform-provider-aws #40582, terraform-aws-eks #3321). "
                    f"Keep the pools, or turn Auto Mode off in the same deploy with the role still named ({_WHY}).",
                )
            )
        if m.before and m.after and m.before.enabled and not m.after.enabled and not m.groups_before:
            risks.append(
                Risk(
                    "high",
                    c.stack,
                    c.address,
                    "EKS Auto Mode is turned off while no node group existed before this deploy: EKS terminates every instance Auto Mode "
                    'runs ("Disable EKS Auto Mode"), so the workloads have nowhere to run. Deploy node groups first, drain Auto Mode\'s '
                    f"nodes onto them, then turn it off ({_WHY}).",
                )
            )
    if c is not None and m.groups_before and not m.groups_after and not (m.pools_before and m.pools_after):
        last = next(g for g in m.groups_before if g.action in ("destroy", "replace"))
        risks.append(
            Risk(
                "high",
                last.stack,
                last.address,
                "The last node group is removed while no EKS Auto Mode pool runs before and after this deploy: its pods have no node "
                f"to go to. Enable Auto Mode with a pool first, drain the node groups onto it, then remove them ({_WHY}).",
            )
        )
    return risks


def _steps(plan: StackPlan, m: Move) -> list[str]:
    out: list[str] = []
    for c in plan.changes:
        if c is m.cluster and m.before != m.after and m.before is not None and m.after is not None:
            b, a = m.before, m.after
            if a.enabled and not b.enabled:
                pools = f"built-in pools {', '.join(a.pools)}" if a.pools else "no built-in pool (custom pools only)"
                out.append(f"Auto Mode turns on: compute, block storage and load balancing switched on together, {pools}.")
            elif b.enabled and not a.enabled:
                out.append(
                    "Auto Mode turns off: compute, block storage and load balancing switched off together; EKS terminates every instance Auto Mode runs and deletes its load balancers."
                )
            elif b.pools != a.pools:
                out.append(f"Built-in pools: {', '.join(b.pools) or 'none'} -> {', '.join(a.pools) or 'none'}.")
        elif c.type == "aws_eks_node_group":
            verb = {"create": "is added", "destroy": "is removed", "replace": "is replaced"}.get(c.action, "is updated (its nodes may roll)")
            out.append(f"node group `{c.address}` {verb}.")
        elif name := _controller(c):
            verb = {"create": "added", "destroy": "removed"}.get(c.action, "changed")
            out.append(f"{name} {verb}.")
        elif c.type == "helm_release" and (_before(c) or _after(c) or {}).get("name") == POOLS_RELEASE:
            old_pools, new_pools = set(_custom_pools([c], "before")), set(_custom_pools([c], "after"))
            added, gone = sorted(new_pools - old_pools), sorted(old_pools - new_pools)
            what = "; ".join(x for x in (f"custom pools added: {', '.join(added)}" if added else "", f"removed: {', '.join(gone)}" if gone else "") if x)
            out.append(
                f"Auto Mode objects (StorageClass, IngressClass, NodeClass, NodePools) {({'create': 'created', 'destroy': 'removed'}).get(c.action, 'updated')}{': ' + what if what else ''}."
            )
    if plan.name == (m.cluster.stack if m.cluster else None):
        for g in plan.unchanged:
            if g.type == "aws_eks_node_group":
                out.append(f"node group `{g.address}` is kept.")
    return out


def section(plans: Iterable[StackPlan]) -> list[str]:
    """Markdown lines explaining the move, empty when the deploy touches no Auto Mode setting."""
    plans = list(plans)
    m = _move(plans)
    if not m.involved:
        return []
    lines = ["", "### EKS Auto Mode move", "", "In apply order:", ""]
    number = 0
    for plan in _order(plans):
        steps = _steps(plan, m)
        if steps:
            number += 1
            lines.append(f"{number}. `{plan.name}`:")
            lines += [f"   - {step}" for step in steps]
    on_before, on_after = bool(m.before and m.before.enabled), bool(m.after and m.after.enabled)
    lines += ["", "Then, before the next deploy:"]
    if on_after and m.groups_after:
        lines.append(
            "- Both kinds of nodes run: drain the node groups onto Auto Mode's pools (`kubectl drain -l eks.amazonaws.com/nodegroup=<group> "
            "--ignore-daemonsets --delete-emptydir-data`), check the pods run on nodes labelled `eks.amazonaws.com/compute-type=auto`, then "
            "remove `cluster.node_groups`. Volumes of the EBS CSI driver stay on its provisioner."
        )
    elif on_before and on_after and not m.groups_after:
        lines.append("- Nothing: only Auto Mode's pools run. The core add-ons vpc-cni, kube-proxy and coredns stay on the cluster (`preserve`).")
    elif on_before and not on_after:
        lines.append(
            "- Check the workloads run on the node groups and the controllers added here are ready; Auto Mode's EBS volumes stay (EKS does not delete them)."
        )
    if on_before and m.groups_after and on_after:
        lines.append("- On the way out instead: drain Auto Mode's nodes (`kubectl drain -l eks.amazonaws.com/compute-type=auto`) before a deploy turns it off.")
    return lines
