"""Ordering: what the AWS Load Balancer Controller's fail-closed webhooks intercept is applied
after the controller is ready.

The controller's rendered Mutating/ValidatingWebhookConfigurations with ``failurePolicy: Fail``
(the default) are evaluated against every object of the other releases (and the pods their
workloads create): rules (group, resource, CREATE), namespaceSelector (a namespace Helm creates
carries only ``kubernetes.io/metadata.name``) and objectSelector. A release with an intercepted
object must depend, directly or through other releases, on the controller's release; otherwise
on a fresh cluster the webhook has no endpoint and the create fails.
"""

from __future__ import annotations

from collections.abc import Iterator

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from tools.render.checks.base import Context, Finding, Obj, matches_selector, pod_labels, pod_spec
from tools.render.render import Rendered

CONTROLLER = AwsLoadBalancerController.name
_WEBHOOK_KINDS = ("MutatingWebhookConfiguration", "ValidatingWebhookConfiguration")


def resource_of(kind: str) -> str:
    lower = kind.lower()
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in "aeiou":
        return lower[:-1] + "ies"
    return lower + "s"


def fail_closed_webhooks(item: Rendered) -> list[Obj]:
    return [w for o in item.objects if o.get("kind") in _WEBHOOK_KINDS for w in o.get("webhooks") or [] if (w.get("failurePolicy") or "Fail") == "Fail"]


def intercepts(webhook: Obj, group: str, resource: str, namespace: str, labels: dict[str, str]) -> bool:
    for rule in webhook.get("rules") or []:
        ops = rule.get("operations") or []
        if not ("CREATE" in ops or "*" in ops):
            continue
        if not any(g in ("*", group) for g in rule.get("apiGroups") or []):
            continue
        if not any(r in ("*", resource) for r in rule.get("resources") or []):
            continue
        if namespace and not matches_selector(webhook.get("namespaceSelector"), {"kubernetes.io/metadata.name": namespace}):
            continue
        if not matches_selector(webhook.get("objectSelector"), labels):
            continue
        return True
    return False


def _creates(ctx: Context, item: Rendered) -> Iterator[tuple[Obj, str, str, str, dict[str, str]]]:
    """(object, group, resource, namespace, labels) of what a release creates, its workloads' pods included."""
    scopes = ctx.crd_scopes()
    for obj in item.objects:
        group = obj.get("apiVersion", "").rpartition("/")[0]
        ns = ctx.namespace_of(item, obj, scopes)
        yield obj, group, resource_of(obj.get("kind", "")), ns, (obj.get("metadata") or {}).get("labels") or {}
        if pod_spec(obj) is not None:
            yield obj, "", "pods", ns, pod_labels(obj)


def _after(ctx: Context, release: Rendered, target: str) -> bool:
    by_address = {r.release.address: r for r in ctx.rendered}
    seen: set[str] = set()
    todo = list(release.release.depends_on)
    while todo:
        address = todo.pop()
        if address in seen or address not in by_address:
            continue
        seen.add(address)
        dep = by_address[address]
        if dep.release.name == target:
            return True
        todo.extend(dep.release.depends_on)
    return False


def check(ctx: Context) -> list[Finding]:
    controller = next((r for r in ctx.rendered if r.release.name == CONTROLLER), None)
    if controller is None:
        return []
    hooks = fail_closed_webhooks(controller)
    findings: list[Finding] = []
    for item in ctx.rendered:
        if item is controller or _after(ctx, item, CONTROLLER):
            continue
        for obj, group, resource, ns, labels in _creates(ctx, item):
            hit = next((w for w in hooks if intercepts(w, group, resource, ns, labels)), None)
            if hit is not None:
                what = "its pods" if resource == "pods" else "it"
                findings.append(
                    ctx.finding(
                        item,
                        obj,
                        f"{hit.get('name')} (failurePolicy Fail) intercepts {what}, but release {item.release.name} is not ordered after {CONTROLLER}",
                    )
                )
                break
    return findings
