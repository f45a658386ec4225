"""The log collector reaches every node: where Loki is enabled, a DaemonSet of the collector's
release mounts the node's ``/var/log`` (where the kubelet writes ``/var/log/pods``) and may run on
every managed node group and every Karpenter pool (their labels and taints, as the fit check
models them). Fargate pods have no node for it and are covered by the Fargate log router.
"""

from __future__ import annotations

from tools.render.checks.base import Context, Finding, pod_spec
from tools.render.checks.fit import accepts, places

COLLECTOR = "alloy"


def _mounts_var_log(spec: dict) -> bool:
    return any(str((v.get("hostPath") or {}).get("path", "")).rstrip("/") in ("/var/log", "/var/log/pods") for v in spec.get("volumes") or [])


def check(ctx: Context) -> list[Finding]:
    if "loki" not in ctx.env.addons:
        return []
    item = next((r for r in ctx.rendered if r.release.name == COLLECTOR), None)
    if item is None:
        return [ctx.finding(COLLECTOR, None, "loki is enabled but no collector release is rendered: nothing ships logs")]
    daemonsets = [o for o in item.objects if o.get("kind") == "DaemonSet" and _mounts_var_log(pod_spec(o) or {})]
    if not daemonsets:
        return [ctx.finding(item, None, "renders no DaemonSet mounting the node's /var/log: pod logs are not read on any node")]
    findings: list[Finding] = []
    for ds in daemonsets:
        spec = pod_spec(ds) or {}
        for place in places(ctx.env, ctx.synth):
            why = accepts(spec, place)
            if why is not None:
                findings.append(ctx.finding(item, ds, f"cannot run on {place.name}: {why}; its pods' logs are not collected"))
    return findings
