"""LimitRange defaulting, then the ResourceQuota of each team namespace, over every example applied
together (``make smoke`` applies them together): what LimitRanger refuses, and the quota key each
object would push over its hard limit, counting replicas (an HPA's ``maxReplicas`` when larger)."""

from __future__ import annotations

from decimal import Decimal

from catalog.quantity import quantity
from tools.examples.checks.base import ExampleContext
from tools.examples.limits import headroom, pod_resources
from tools.render.checks.base import Finding, Obj, pod_spec, replicas
from tools.render.render import Rendered


def _hpa_max(ctx: ExampleContext) -> dict[tuple[str, str, str], int]:
    found = {}
    for _, obj in ctx.objects():
        if obj.get("kind") == "HorizontalPodAutoscaler":
            ref = (obj.get("spec") or {}).get("scaleTargetRef") or {}
            found[(obj["metadata"]["namespace"], ref.get("kind", ""), ref.get("name", ""))] = int((obj.get("spec") or {}).get("maxReplicas", 1))
    return found


def usage(ctx: ExampleContext, item: Rendered, obj: Obj, hpa: dict[tuple[str, str, str], int]) -> tuple[dict[str, Decimal], list[str]]:
    """What one object counts against its namespace's quota, and LimitRanger's problems with it."""
    namespace = obj["metadata"]["namespace"]
    used: dict[str, Decimal] = {}
    problems: list[str] = []
    spec = pod_spec(obj)
    if spec is not None:
        pods = max(replicas(obj), hpa.get((namespace, obj.get("kind", ""), obj["metadata"].get("name", "")), 0))
        per_pod, problems = pod_resources(spec, ctx.platform.limit_ranges.get(namespace, []))
        used = {k: v * pods for k, v in per_pod.items()}
        used["pods"] = Decimal(pods)
        for template in (obj.get("spec") or {}).get("volumeClaimTemplates") or []:
            used["persistentvolumeclaims"] = used.get("persistentvolumeclaims", Decimal(0)) + pods
            storage = ((template.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage", "0")
            used["requests.storage"] = used.get("requests.storage", Decimal(0)) + _q(storage) * pods
    elif obj.get("kind") == "PersistentVolumeClaim":
        used = {
            "persistentvolumeclaims": Decimal(1),
            "requests.storage": _q(((obj.get("spec") or {}).get("resources") or {}).get("requests", {}).get("storage", "0")),
        }
    elif obj.get("kind") == "Service" and (obj.get("spec") or {}).get("type") == "LoadBalancer":
        used = {"services.loadbalancers": Decimal(1)}
    return used, problems


def _q(value: str) -> Decimal:
    return quantity(str(value))


def totals(ctx: ExampleContext) -> tuple[dict[str, dict[str, Decimal]], list[Finding]]:
    hpa = _hpa_max(ctx)
    per_namespace: dict[str, dict[str, Decimal]] = {}
    findings = []
    for item, obj in ctx.objects():
        namespace = obj["metadata"]["namespace"]
        used, problems = usage(ctx, item, obj, hpa)
        findings += [ctx.finding(item, obj, "limit-range", p) for p in problems]
        total = per_namespace.setdefault(namespace, {})
        for quota in ctx.platform.quotas.get(namespace, []):
            hard = (quota.get("spec") or {}).get("hard") or {}
            for key, value in used.items():
                if key in hard and total.get(key, Decimal(0)) <= _q(hard[key]) < total.get(key, Decimal(0)) + value:
                    findings.append(
                        ctx.finding(
                            item,
                            obj,
                            f"resource-quota {quota['metadata']['name']} {key}",
                            f"brings the examples to {_show(key, total.get(key, Decimal(0)) + value)} of {hard[key]}",
                        )
                    )
        for key, value in used.items():
            total[key] = total.get(key, Decimal(0)) + value
    return per_namespace, findings


def check(ctx: ExampleContext) -> list[Finding]:
    return totals(ctx)[1]


def report(ctx: ExampleContext) -> list[str]:
    """One line per namespace: each quota key used of hard, the headroom left."""
    lines = []
    for namespace, used in sorted(totals(ctx)[0].items()):
        for quota in ctx.platform.quotas.get(namespace, []):
            parts = [f"{k} {_show(k, u)}/{_show(k, h)}" for k, (u, h) in sorted(headroom(used, (quota.get("spec") or {}).get("hard") or {}).items())]
            lines.append(f"{namespace} ({quota['metadata']['name']}): {', '.join(parts)}")
    return lines


def _show(key: str, value: Decimal) -> str:
    return f"{value / 2**20:.0f}Mi" if "memory" in key or "storage" in key else f"{value.normalize():f}"
