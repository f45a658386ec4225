"""Kinds served: every object a release renders is of a kind the API server serves when Helm
installs that release.

Helm builds all of a release's objects against the API server's discovery before it creates any:
an object whose kind no registered CRD defines fails the whole install ("resource mapping not
found ... ensure CRDs are installed first"). Helm installs only the chart's own ``crds/`` (and its
subcharts') before that, unless ``skip_crds``; "for a CRD, the declaration must be registered before
any resources of that CRDs kind(s) can be used", so a CRD a chart renders from templates does not
serve the same release's objects (Helm docs, Chart Best Practices, "Custom Resource Definitions":
Method 1 ``crds/``, Method 2 separate charts). A chart that gates the object on
``.Capabilities.APIVersions.Has`` renders it here (the render passes every platform CRD), but on a
first install without the CRD leaves it out silently: ordered after the CRD, it is there from the
start.

So an object of a custom kind needs its CRD from the release's own ``crds/``, from a release of
an earlier stack (``manifest.json`` dependencies, transitively), or from a release of its stack it
waits for (``depends_on``, transitively). Custom kinds: those a rendered CRD defines, and any group
outside Kubernetes' own (dotless legacy groups and ``*.k8s.io``, which CRDs may not use unapproved:
KEP-1143 "protected groups"). With EKS Auto Mode the cluster itself serves the groups of its
compute and load balancing (EKS User Guide, "Create a Node Class for Amazon EKS", "Create a Node
Pool for EKS Auto Mode", "Create an IngressClass to configure an Application Load Balancer").
"""

from __future__ import annotations

from dataclasses import dataclass

from environments.auto_mode import running as auto_mode_running
from tools.graphs import upstream_of
from tools.render.checks.base import Context, Finding, Obj
from tools.render.render import Rendered, chart_crds_dir_apis

AUTO_MODE_GROUPS = frozenset({"eks.amazonaws.com", "karpenter.sh"})


@dataclass(frozen=True)
class _Provider:
    stack: str
    address: str
    release: str


def group_of(obj: Obj) -> str:
    api = str(obj.get("apiVersion", ""))
    return api.rpartition("/")[0] if "/" in api else ""


def _builtin(group: str) -> bool:
    return "." not in group or group.endswith(".k8s.io")


def _waits_for(ctx: Context, item: Rendered) -> set[str]:
    """Addresses of the releases of ``item``'s stack it waits for (depends_on, transitively)."""
    same = {r.release.address: r for r in ctx.rendered if r.release.stack == item.release.stack}
    seen: set[str] = set()
    todo = list(item.release.depends_on)
    while todo:
        address = todo.pop()
        if address in seen:
            continue
        seen.add(address)
        if address in same:
            todo.extend(same[address].release.depends_on)
    return seen


def check(ctx: Context) -> list[Finding]:
    providers: dict[tuple[str, str], list[_Provider]] = {}
    for item, obj in ctx.objects():
        if obj.get("kind") == "CustomResourceDefinition":
            spec = obj.get("spec") or {}
            key = (str(spec.get("group", "")), str((spec.get("names") or {}).get("kind", "")))
            providers.setdefault(key, []).append(_Provider(item.release.stack, item.release.address, item.release.name))
    cluster_groups = AUTO_MODE_GROUPS if auto_mode_running(ctx.env) else frozenset()
    dependencies = ctx.synth.stack_dependencies() if ctx.synth is not None else {}
    findings: list[Finding] = []
    for item in ctx.rendered:
        own = set() if item.release.skip_crds else chart_crds_dir_apis(item.chart_path)
        upstream = upstream_of(dependencies, item.release.stack)
        waits = _waits_for(ctx, item)
        for obj in item.objects:
            group, kind = group_of(obj), str(obj.get("kind", ""))
            key = (group, kind)
            if (key not in providers and _builtin(group)) or group in cluster_groups:
                continue
            if any(api.startswith(f"{group}/") and api.endswith(f"/{kind}") for api in own):
                continue
            found = providers.get(key, [])
            if any(p.stack in upstream or (p.stack == item.release.stack and p.address in waits) for p in found):
                continue
            where = ", ".join(sorted({p.release for p in found})) or "no release"
            findings.append(
                ctx.finding(
                    item,
                    obj,
                    f"{group}/{kind} is served by the CRD of {where}, which release {item.release.name} does not wait for: "
                    "its first install fails (no matches for kind), or drops the object where the chart checks the API's presence",
                )
            )
    return findings
