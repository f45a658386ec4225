"""Plan review: Kubernetes version upgrades and the managed core add-ons.

Rules, over one stack's changes at a time (pure Python; ``tools/plan_report.py`` turns each finding
into a risk):

- a cluster ``version`` change is HIGH, in plain words: irreversible (EKS cannot downgrade a
  control plane), one minor at a time (a larger jump, or a downgrade, is refused by EKS and fails
  the apply), and what else the same plan changes: the node groups that roll to the new version
  and the managed add-ons that move, in the order the stack applies them; node groups that stay
  behind are named (the next bump is blocked until they catch up);
- a managed add-on downgrade (EKS refuses it) is HIGH; its removal is HIGH for vpc-cni, coredns
  and kube-proxy unless ``preserve`` keeps the workload running (then medium: EKS stops managing it);
- a vpc-cni ``configuration_values`` change to a setting that only new nodes pick up (prefix
  delegation, custom networking) is medium: existing nodes keep the old behaviour until recycled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from tools.review import Level, PlannedChange

CRITICAL_ADDONS = {"vpc-cni": "pod networking", "coredns": "cluster DNS", "kube-proxy": "Service routing"}
# vpc-cni settings read when a node's aws-node starts (amazon-vpc-cni-k8s README): existing nodes
# keep the old value until they are replaced.
NODE_START_SETTINGS = ("ENABLE_PREFIX_DELEGATION", "WARM_PREFIX_TARGET", "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "ENI_CONFIG_LABEL_DEF")


def _minor(version: Any) -> tuple[int, int] | None:
    match = re.match(r"^(\d+)\.(\d+)", str(version or ""))
    return (int(match.group(1)), int(match.group(2))) if match else None


def _version_key(version: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", str(version or "")))


def _get(values: Any, key: str) -> Any:
    return (values or {}).get(key)


def _cluster_upgrade(changes: list[PlannedChange]) -> Iterator[tuple[Level, str, str, str]]:
    for change in changes:
        if change.type != "aws_eks_cluster" or change.action != "update":
            continue
        old, new = _get(change.before, "version"), _get(change.after, "version")
        old_minor, new_minor = _minor(old), _minor(new)
        if old == new or old_minor is None or new_minor is None:
            continue
        if new_minor < old_minor:
            yield ("high", change.stack, change.address, f"Kubernetes {old} -> {new} is a downgrade: EKS cannot downgrade a control plane; this apply fails.")
            continue
        if new_minor[0] != old_minor[0] or new_minor[1] - old_minor[1] > 1:
            yield (
                "high",
                change.stack,
                change.address,
                f"Kubernetes {old} -> {new} skips a minor version: EKS upgrades one minor at a time, so this apply fails. "
                f"Raise cluster.version to {old_minor[0]}.{old_minor[1] + 1} first, deploy, then continue.",
            )
            continue
        groups = [c for c in changes if c.type == "aws_eks_node_group" and c.action in ("update", "replace", "no-op")]
        rolling = sorted(c.address for c in groups if c.action != "no-op" and _get(c.after, "version") != _get(c.before, "version"))
        behind = sorted(c.address for c in groups if c.address not in rolling and _minor(_get(c.after, "version") or _get(c.before, "version")) != new_minor)
        addons = sorted(
            (str(_get(c.after, "addon_name")), str(_get(c.before, "addon_version")), str(_get(c.after, "addon_version")))
            for c in changes
            if c.type == "aws_eks_addon" and c.action == "update" and _get(c.before, "addon_version") != _get(c.after, "addon_version")
        )
        parts = [
            f"Kubernetes {old} -> {new}: irreversible (EKS cannot downgrade a control plane); one minor at a time.",
            "Order in this apply: control plane, then vpc-cni and the pod identity agent, then node groups, then coredns and kube-proxy.",
        ]
        parts.append(f"Node groups rolling to {new} (nodes replaced in batches): {', '.join(rolling)}." if rolling else "No node group rolls in this plan.")
        if behind:
            parts.append(f"Staying behind on their old version (the next upgrade is blocked until they follow): {', '.join(behind)}.")
        if addons:
            parts.append("Managed add-ons moving: " + ", ".join(f"{name} {a} -> {b}" for name, a, b in addons) + ".")
        yield ("high", change.stack, change.address, " ".join(parts))


def _addon_changes(changes: list[PlannedChange]) -> Iterator[tuple[Level, str, str, str]]:
    for change in changes:
        if change.type != "aws_eks_addon":
            continue
        name = str(_get(change.before, "addon_name") or _get(change.after, "addon_name"))
        if change.action == "destroy":
            what = CRITICAL_ADDONS.get(name)
            if _get(change.before, "preserve"):
                yield (
                    "medium",
                    change.stack,
                    change.address,
                    f"Managed add-on {name} is removed; preserve keeps its workload running, unmanaged by EKS (no more updates).",
                )
            else:
                level: Level = "high" if what else "medium"
                effect = f": {what} stops working in the cluster" if what else ""
                yield (level, change.stack, change.address, f"Managed add-on {name} is removed together with its workload{effect}.")
            continue
        if change.action not in ("update", "replace"):
            continue
        old, new = _get(change.before, "addon_version"), _get(change.after, "addon_version")
        if old and new and _version_key(new) < _version_key(old):
            yield (
                "high",
                change.stack,
                change.address,
                f"Managed add-on {name} {old} -> {new} is a downgrade: EKS refuses add-on downgrades; this apply fails.",
            )
        if name == "vpc-cni":
            changed = _node_start_settings(_get(change.before, "configuration_values"), _get(change.after, "configuration_values"))
            if changed:
                yield (
                    "medium",
                    change.stack,
                    change.address,
                    f"vpc-cni {', '.join(changed)} change: only nodes started afterwards use it; recycle the node groups "
                    "(or bump their AMI release) for existing nodes to follow.",
                )


def _node_start_settings(before: Any, after: Any) -> list[str]:
    def env(values: Any) -> dict[str, Any]:
        try:
            return dict((json.loads(values) if values else {}).get("env") or {})
        except (TypeError, ValueError, AttributeError):
            return {}

    old, new = env(before), env(after)
    return [key for key in NODE_START_SETTINGS if old.get(key) != new.get(key)]


def upgrade_risks(changes: Iterable[PlannedChange]) -> Iterator[tuple[Level, str, str, str]]:
    """(level, stack, address, message) for every finding in one stack's changes (and no-ops)."""
    listed = list(changes)
    yield from _cluster_upgrade(listed)
    yield from _addon_changes(listed)
