"""Plan review: what a ``helm_release`` change does to the cluster, rendered by real Helm.

For every helm_release created, updated or replaced in a plan, the chart is rendered with the
plan's values before and after (``tools/render``: pinned archive, the environment's cluster
version) and the objects compared by kind/namespace/name: added, removed, changed, container image
changes and CRD changes. High risk:

- a CustomResourceDefinition removed (every object of it is deleted with it);
- a StorageClass changed (its parameters are immutable: the upgrade fails, or it is replaced under
  the volumes that use it);
- a Mutating/ValidatingWebhookConfiguration changed (every API request it matches goes through it);
- an immutable field changed: a Deployment/StatefulSet/DaemonSet ``spec.selector`` or a
  StatefulSet's ``volumeClaimTemplates`` (the API server rejects the upgrade).

Without Helm or a chart archive the summary says so and nothing is assessed (the plan report never
fails for it). Values unknown until apply (a first deploy) cannot be rendered and are reported as such.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from tools.review import PlannedChange

RELEASE_ACTIONS = ("create", "update", "replace")
_WEBHOOKS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")
_SELECTOR_KINDS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job")


Key = tuple[str, str, str]  # kind, namespace, name


@dataclass
class ReleaseDiff:
    stack: str
    address: str
    release: str
    chart: str
    versions: tuple[str | None, str | None]
    added: list[Key] = field(default_factory=list)
    removed: list[Key] = field(default_factory=list)
    changed: list[Key] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # "Deployment ns/name container: old -> new"
    crds: list[str] = field(default_factory=list)
    high: list[str] = field(default_factory=list)
    note: str = ""  # why nothing was rendered


def _key(obj: dict[str, Any], namespace: str) -> Key:
    kind = obj.get("kind", "")
    meta = obj.get("metadata") or {}
    from tools.render.checks.base import CLUSTER_SCOPED

    ns = "" if kind in CLUSTER_SCOPED else meta.get("namespace") or namespace
    return kind, ns, meta.get("name", "")


def _show(key: Key) -> str:
    kind, ns, name = key
    return f"{kind} {ns}/{name}" if ns else f"{kind} {name}"


def _images(obj: dict[str, Any]) -> dict[str, str]:
    from tools.render.checks.base import pod_spec

    spec = pod_spec(obj) or {}
    return {c.get("name", "?"): c.get("image", "") for c in [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]}


def _comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """The object without what a chart generates anew at every render (a webhook CA and its TLS
    certificate, e.g. the load balancer controller's genCA): otherwise every upgrade looks changed."""
    if obj.get("kind") in _WEBHOOKS:
        obj = json.loads(json.dumps(obj))
        for hook in obj.get("webhooks") or []:
            (hook.get("clientConfig") or {}).pop("caBundle", None)
    elif obj.get("kind") == "Secret" and obj.get("type") == "kubernetes.io/tls":
        obj = {k: v for k, v in obj.items() if k not in ("data", "stringData")}
    return obj


def diff_objects(before: list[dict[str, Any]], after: list[dict[str, Any]], namespace: str, diff: ReleaseDiff) -> ReleaseDiff:
    """Fill ``diff`` from the objects rendered before and after (pure)."""
    old = {_key(o, namespace): o for o in before}
    new = {_key(o, namespace): o for o in after}
    diff.added = sorted(set(new) - set(old))
    diff.removed = sorted(set(old) - set(new))
    diff.changed = sorted(k for k in set(old) & set(new) if _comparable(old[k]) != _comparable(new[k]))
    for key in diff.removed:
        if key[0] == "CustomResourceDefinition":
            # Helm leaves an object annotated helm.sh/resource-policy: keep in place when it leaves the
            # release (Helm docs, "Tell Helm Not To Uninstall a Resource"): the CRD releases' CRDs.
            if ((old[key].get("metadata") or {}).get("annotations") or {}).get("helm.sh/resource-policy") == "keep":
                diff.crds.append(f"removed {key[2]} (kept in the cluster: helm.sh/resource-policy keep)")
                continue
            diff.crds.append(f"removed {key[2]}")
            diff.high.append(f"CRD {key[2]} is removed: every object of it in the cluster is deleted with it")
    for key in diff.added:
        if key[0] == "CustomResourceDefinition":
            diff.crds.append(f"added {key[2]}")
    for key in diff.changed:
        kind, a, b = key[0], old[key], new[key]
        if kind == "CustomResourceDefinition":
            versions = lambda o: [v.get("name") for v in (o.get("spec") or {}).get("versions") or [] if v.get("served", True)]  # noqa: E731
            served = f" (served {', '.join(versions(a))} -> {', '.join(versions(b))})" if versions(a) != versions(b) else ""
            diff.crds.append(f"changed {key[2]}{served}")
        if kind == "StorageClass":
            diff.high.append(f"StorageClass {key[2]} changes: its parameters are immutable, the upgrade fails or the class is replaced under existing volumes")
        if kind in _WEBHOOKS:
            diff.high.append(f"{_show(key)} changes: every API request it matches goes through the new configuration")
        if kind in _SELECTOR_KINDS and (a.get("spec") or {}).get("selector") != (b.get("spec") or {}).get("selector"):
            diff.high.append(f"{_show(key)}: spec.selector is immutable; the upgrade is rejected (delete and recreate the object)")
        if kind == "StatefulSet" and (a.get("spec") or {}).get("volumeClaimTemplates") != (b.get("spec") or {}).get("volumeClaimTemplates"):
            diff.high.append(f"{_show(key)}: spec.volumeClaimTemplates is immutable; the upgrade is rejected")
        old_images, new_images = _images(a), _images(b)
        for container in sorted(set(old_images) | set(new_images)):
            if old_images.get(container) != new_images.get(container):
                diff.images.append(f"{_show(key)} {container}: {old_images.get(container) or '-'} -> {new_images.get(container) or '-'}")
    return diff


def _cluster_version(stack: str) -> str | None:
    try:
        from environments import load_environments

        for env in load_environments():
            if stack == f"{env.name}-addons":
                return env.cluster.version
    except Exception:
        return None
    return None


_memo: dict[tuple[str, str, str], ReleaseDiff | None] = {}


def release_diff(change: PlannedChange) -> ReleaseDiff | None:
    """The rendered difference of one helm_release change (memoized); None for other changes."""
    if change.type != "helm_release" or change.action not in RELEASE_ACTIONS:
        return None
    memo_key = (change.stack, change.address, json.dumps([change.before, change.after, change.after_unknown], sort_keys=True, default=str))
    if memo_key not in _memo:
        _memo[memo_key] = _compute(change)
    return _memo[memo_key]


def _compute(change: PlannedChange) -> ReleaseDiff:
    from tools.render.charts import ChartMissing, search_dirs
    from tools.render.helm import HelmMissing, find_helm
    from tools.render.releases import release_from_body
    from tools.render.render import RenderError, render_releases

    body = change.after or change.before or {}
    before_version = (change.before or {}).get("version") if change.before else None
    diff = ReleaseDiff(change.stack, change.address, body.get("name", "?"), body.get("chart", "?"), (before_version, (change.after or {}).get("version")))
    unknown = change.after_unknown or {}
    if unknown.get("values") or unknown.get("version") or unknown.get("chart"):
        diff.note = "values known only at apply time: not rendered"
        return diff
    if any(side and not (side.get("name") and side.get("chart")) for side in (change.before, change.after)):
        diff.note = "not rendered: the plan gives no release name or chart"
        return diff
    version = _cluster_version(change.stack) or "1.33"
    try:
        helm = find_helm()
        sides: list[list[dict[str, Any]]] = []
        for side in (change.before if change.action != "create" else None, change.after):
            if not side:
                sides.append([])
                continue
            release = release_from_body(change.address, side)
            # Both sides as Helm applies the new release: a chart that starts skipping its crds/ (their
            # own release installs them now) removes nothing, as Helm never deletes crds/ CRDs.
            release = dataclasses.replace(release, skip_crds=(change.after or {}).get("skip_crds") is True)
            [rendered] = render_releases(helm, [release], search_dirs(), cluster_version=version)
            sides.append(list(rendered.objects))
    except (HelmMissing, ChartMissing, RenderError, ValueError, TypeError, KeyError) as exc:
        diff.note = f"not rendered: {exc}"
        return diff
    return diff_objects(sides[0], sides[1], body.get("namespace") or "default", diff)


def high_risks(change: PlannedChange) -> Iterator[str]:
    """Messages of the high-risk Kubernetes changes a helm_release change makes."""
    diff = release_diff(change)
    if diff is not None:
        yield from (f"Helm release {diff.release}: {message}" for message in diff.high)


def section(changes: list[PlannedChange], *, max_objects: int = 15) -> list[str]:
    """Markdown lines: per changed release, objects added/removed/changed, images, CRDs."""
    diffs = [d for c in changes if (d := release_diff(c)) is not None]
    if not diffs:
        return []
    lines = ["", "### Kubernetes objects of the Helm releases (rendered)", ""]
    for diff in diffs:
        old, new = diff.versions
        version = f"{old} -> {new}" if old and new and old != new else (new or old or "local chart")
        lines.append(f"**{diff.release}** (`{diff.stack}` `{diff.address}`, {diff.chart} {version})")
        if diff.note:
            lines += [f"- {diff.note}", ""]
            continue
        if not (diff.added or diff.removed or diff.changed):
            lines += ["- no object changes", ""]
            continue
        for label, keys in (("added", diff.added), ("removed", diff.removed), ("changed", diff.changed)):
            if keys:
                shown = ", ".join(_show(k) for k in keys[:max_objects])
                more = f" and {len(keys) - max_objects} more" if len(keys) > max_objects else ""
                lines.append(f"- {label} ({len(keys)}): {shown}{more}")
        lines += [f"- image {i}" for i in diff.images]
        lines += [f"- CRD {c}" for c in diff.crds]
        lines.append("")
    if lines[-1] == "":
        lines.pop()
    return lines
