"""Plan review: which CRDs a chart bump changes, and how they reach the cluster.

Helm installs a chart's ``crds/`` once and never upgrades them (Helm docs, chart best practices,
Custom Resource Definitions). The platform gives those CRDs releases of their own that hold them as
templates (``<add-on>-crds``, modules/shared/crds.py; ``karpenter-crd`` for Karpenter) and sets
``skip_crds`` on the chart's release. Each generated CRD release carries an index in its values
(CRD name -> sha256, served versions, storage version), so the plan's before/after says what moves:

- a CRD release update lists the CRDs added, changed and removed (medium): Helm upgrades them in
  place before the chart (the chart's release waits for it); a removed one stays in the cluster
  (``helm.sh/resource-policy: keep``) until deleted by hand;
- a CRD that stops serving a version is HIGH: objects stored at that version become unreadable
  through it, and the API server refuses to drop a version still listed in the CRD's
  ``status.storedVersions`` (Kubernetes docs, "Versions in CustomResourceDefinitions", upgrade
  existing objects to a new stored version), so the apply fails or clients break;
- a chart bump of a release that ships ``crds/`` without ``skip_crds`` is HIGH: Helm leaves the
  cluster on the old CRDs while the new controller expects the new ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from tools.review import Level, PlannedChange


def _charts_with_crds_dirs() -> dict[str, str]:
    """Chart name -> how its CRDs are upgraded, from the add-on specs (catalog)."""
    from catalog.addons.registry import ADDONS
    from catalog.karpenter.addon import Karpenter, KarpenterCrd

    out = {a.chart.name: f"release {a.name}-crds" for a in ADDONS if a.crd_dirs}
    out[Karpenter.chart.name] = f"release {KarpenterCrd.name}"
    return out


def _index(body: Any) -> tuple[str, dict[str, dict[str, Any]]] | None:
    """(source, CRD index) from a generated CRD release's values; None for any other release."""
    for text in (body or {}).get("values") or []:
        try:
            doc = json.loads(text)
        except (TypeError, json.JSONDecodeError):
            return None
        if isinstance(doc, dict) and isinstance(doc.get("crds"), dict):
            return str(doc.get("source", "")), doc["crds"]
    return None


def _crd_release(change: PlannedChange) -> Iterator[tuple[Level, str]]:
    before, after = _index(change.before), _index(change.after)
    name = (change.after or change.before or {}).get("name", change.address)
    if change.action == "destroy" and before is not None:
        yield ("medium", f"Release {name} is removed; its CRDs ({', '.join(sorted(before[1]))}) stay in the cluster (helm.sh/resource-policy: keep).")
        return
    if change.action not in ("update", "replace") or before is None or after is None:
        return
    (old_source, old), (new_source, new) = before, after
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(n for n in set(old) & set(new) if old[n].get("sha256") != new[n].get("sha256"))
    for crd in sorted(set(old) & set(new)):
        dropped = sorted(set(old[crd].get("served") or []) - set(new[crd].get("served") or []))
        if dropped:
            yield (
                "high",
                f"CRD {crd} stops serving {', '.join(dropped)} ({old_source} -> {new_source}): objects stored at "
                f"{'it' if len(dropped) == 1 else 'them'} must be migrated to {new[crd].get('storage') or 'the storage version'} first; "
                "the API server refuses to drop a version still in status.storedVersions.",
            )
    if not (added or removed or changed):
        return
    parts = [f"changed: {', '.join(changed)}" if changed else "", f"new: {', '.join(added)}" if added else ""]
    parts.append(f"removed from the chart: {', '.join(removed)} (kept in the cluster: helm.sh/resource-policy keep; delete by hand)" if removed else "")
    yield (
        "medium",
        f"CRDs of {old_source} -> {new_source}: {'; '.join(p for p in parts if p)}. Upgraded in place by release {name} "
        "(Helm applies them as templates), before the chart's release, which waits for it.",
    )


def _chart_bump_without_crd_release(change: PlannedChange) -> Iterator[tuple[Level, str]]:
    if change.type != "helm_release" or change.action not in ("update", "replace"):
        return
    before, after = change.before or {}, change.after or {}
    chart, old, new = after.get("chart"), before.get("version"), after.get("version")
    ships = _charts_with_crds_dirs().get(str(chart))
    if not after.get("repository") or ships is None or old == new or after.get("skip_crds") is True:
        return
    yield (
        "high",
        f"Chart {chart} {old} -> {new} ships CRDs in crds/, which Helm installs once and never upgrades; this release does not skip "
        f"them, so the cluster keeps the {old} CRDs. They belong to {ships} with skip_crds on this one.",
    )


def crd_risks(change: PlannedChange) -> Iterator[tuple[Level, str]]:
    """(level, message) for one planned change."""
    if change.type != "helm_release":
        return
    yield from _crd_release(change)
    yield from _chart_bump_without_crd_release(change)
