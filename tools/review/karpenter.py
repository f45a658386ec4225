"""Plan review: Karpenter NodePool/EC2NodeClass changes that make Karpenter replace nodes.

Karpenter marks a node *drifted* when the NodePool template or the EC2NodeClass it was launched
from no longer matches (a hash of each), and replaces it within the pool's disruption budgets: a
new AMI alias, subnet/security-group selectors, block devices, metadata options, the node role, or
a pool's labels, taints, node class reference or ``expireAfter``. Requirements drift only the
nodes that no longer satisfy them; limits, weight and the disruption settings drift nothing
(website/content/en/docs/concepts/disruption.md, "Drift", aws/karpenter-provider-aws v1.14.1).

The objects reach the cluster as the values of the ``karpenter-nodepools`` Helm release
(catalog/karpenter/addon.py), so the rule reads that release's values before and after.
Pure Python; ``tools/plan_report.py`` turns each finding into a risk.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tools.review import Level, PlannedChange

RELEASE = "karpenter-nodepools"


def release_objects(values: Any) -> dict[tuple[str, str], dict[str, Any]] | None:
    """(kind, name) -> object from a helm_release ``values`` list; None when unknown/unreadable."""
    if not isinstance(values, list):
        return None
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for text in values:
        try:
            doc = json.loads(text)
        except (TypeError, json.JSONDecodeError):
            return None
        for obj in doc.get("manifests", []) if isinstance(doc, dict) else []:
            if isinstance(obj, dict):
                found[(obj.get("kind", ""), (obj.get("metadata") or {}).get("name", ""))] = obj
    return found


def _differences(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new)):
            out += _differences(old.get(key), new.get(key), f"{path}.{key}" if path else key)
        return out
    return [] if old == new else [path]


def node_replacements(change: PlannedChange) -> Iterator[tuple[Level, str]]:
    """(level, message) for every NodePool/EC2NodeClass change in ``change`` that drifts nodes."""
    if change.type != "helm_release" or change.action not in ("update", "replace"):
        return
    if (change.before or {}).get("name") != RELEASE and (change.after or {}).get("name") != RELEASE:
        return
    before, after = release_objects((change.before or {}).get("values")), release_objects((change.after or {}).get("values"))
    if before is None or after is None:
        return
    pools_by_class: dict[str, list[str]] = {}
    for (kind, name), obj in before.items():
        if kind == "NodePool":
            ref = (((obj.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeClassRef") or {}
            pools_by_class.setdefault(ref.get("name", ""), []).append(name)
    for (kind, name), old in sorted(before.items()):
        new = after.get((kind, name))
        if new is None:
            what = "its nodes are drained and terminated" if kind == "NodePool" else "pools that use it cannot launch nodes"
            yield "medium", f"Karpenter {kind} {name} is removed: {what}."
            continue
        if kind == "EC2NodeClass":
            changed = _differences(old.get("spec"), new.get("spec"), "spec")
            if changed:
                pools = ", ".join(sorted(pools_by_class.get(name, []))) or "none"
                yield (
                    "medium",
                    f"Karpenter EC2NodeClass {name} changes ({', '.join(changed)}): every node launched from it "
                    f"(node pools: {pools}) drifts and is replaced, as fast as the pools' disruption budgets allow.",
                )
        elif kind == "NodePool":
            changed = _differences((old.get("spec") or {}).get("template"), (new.get("spec") or {}).get("template"), "spec.template")
            if changed and all(p.startswith("spec.template.spec.requirements") for p in changed):
                yield (
                    "medium",
                    f"Karpenter NodePool {name} changes its requirements: nodes of the pool that no longer satisfy them "
                    "drift and are replaced, as fast as its disruption budgets allow.",
                )
            elif changed:
                yield (
                    "medium",
                    f"Karpenter NodePool {name} changes ({', '.join(changed)}): every node of the pool drifts and is "
                    "replaced, as fast as its disruption budgets allow.",
                )
