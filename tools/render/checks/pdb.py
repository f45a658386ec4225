"""PodDisruptionBudgets allow a drain: each budget's workloads can lose at least one pod.

A node drain (node group update, Karpenter, spot interruption) evicts through the eviction API;
a budget that allows zero disruptions blocks it until the drain times out.
"""

from __future__ import annotations

import math

from tools.render.checks.base import Context, Finding, matches_selector, pod_labels, pod_spec, replicas


def _value(raw: object, total: int, *, round_up: bool) -> int:
    text = str(raw)
    if text.endswith("%"):
        share = total * float(text[:-1]) / 100
        return math.ceil(share) if round_up else math.floor(share)
    return int(text)


def allowed_disruptions(spec: dict, pods: int) -> int:
    """Disruptions a budget allows with all ``pods`` healthy (the eviction API's arithmetic)."""
    if "maxUnavailable" in spec and spec["maxUnavailable"] is not None:
        return _value(spec["maxUnavailable"], pods, round_up=True)
    if "minAvailable" in spec and spec["minAvailable"] is not None:
        return pods - _value(spec["minAvailable"], pods, round_up=True)
    return pods


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    objects = list(ctx.objects())
    for item, budget in objects:
        if budget.get("kind") != "PodDisruptionBudget":
            continue
        spec = budget.get("spec") or {}
        ns = ctx.namespace_of(item, budget)
        pods = sum(
            replicas(w)
            for other, w in objects
            if pod_spec(w) is not None
            and w.get("kind") != "DaemonSet"
            and ctx.namespace_of(other, w) == ns
            and matches_selector(spec.get("selector") or {"matchLabels": {"\0": "\0"}}, pod_labels(w))
        )
        if pods == 0:
            continue  # selects pods of an operator-managed workload or none rendered: nothing to judge
        allowed = allowed_disruptions(spec, pods)
        if allowed < 1:
            rule = f"minAvailable {spec['minAvailable']}" if "minAvailable" in spec else f"maxUnavailable {spec.get('maxUnavailable')}"
            findings.append(ctx.finding(item, budget, f"{rule} with {pods} pod(s) allows no disruption: a node drain blocks on it"))
    return findings
