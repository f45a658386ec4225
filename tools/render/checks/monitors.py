"""Every workload that exports metrics is scraped: a ServiceMonitor or PodMonitor that Prometheus
selects (its CR's monitor and namespace selectors) selects it.

An exporter is a workload whose pod template declares a container port, or which a Service fronts
with a port, named like ``metrics`` (``metrics``, ``http-metrics``, ``prom-metrics``...). The
selection rules are the operator's (prometheus-operator API reference, PrometheusSpec and
ServiceMonitorSpec): a nil monitor selector selects nothing and ``{}`` everything; a nil
namespace selector means the Prometheus' own namespace; a monitor's own ``namespaceSelector``
is ``any: true``, ``matchNames`` or, when empty, the monitor's namespace; a ServiceMonitor
endpoint names a Service port (or its target port), a PodMonitor endpoint a container port.
Namespaces carry ``kubernetes.io/metadata.name`` (set by the API server on every namespace).
"""

from __future__ import annotations

from typing import Any

from tools.render.checks.base import Context, Finding, matches_selector, pod_labels, pod_spec

Obj = dict[str, Any]


def exports(name: str | None) -> bool:
    return bool(name) and "metrics" in str(name)


def _namespace_labels(namespace: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": namespace}


def _selected(prometheus: Obj, prom_ns: str, monitor: Obj, monitor_ns: str, kind: str) -> bool:
    spec = prometheus.get("spec") or {}
    prefix = "serviceMonitor" if kind == "ServiceMonitor" else "podMonitor"
    selector = spec.get(f"{prefix}Selector")
    if selector is None or not matches_selector(selector, (monitor.get("metadata") or {}).get("labels") or {}):
        return False
    ns_selector = spec.get(f"{prefix}NamespaceSelector")
    if ns_selector is None:
        return monitor_ns == prom_ns
    return matches_selector(ns_selector, _namespace_labels(monitor_ns))


def _watches(monitor: Obj, monitor_ns: str, namespace: str) -> bool:
    sel = (monitor.get("spec") or {}).get("namespaceSelector") or {}
    if sel.get("any"):
        return True
    if sel.get("matchNames"):
        return namespace in sel["matchNames"]
    return namespace == monitor_ns


def check(ctx: Context) -> list[Finding]:
    objects = [(item, obj, ctx.namespace_of(item, obj)) for item, obj in ctx.objects()]
    prometheuses = [(o, ns) for _, o, ns in objects if o.get("kind") == "Prometheus"]
    if not prometheuses:
        return []
    monitors = [
        (o, ns)
        for _, o, ns in objects
        if o.get("kind") in ("ServiceMonitor", "PodMonitor") and any(_selected(p, pns, o, ns, o["kind"]) for p, pns in prometheuses)
    ]
    services = [(o, ns) for _, o, ns in objects if o.get("kind") == "Service"]
    findings: list[Finding] = []
    for item, workload, ns in objects:
        spec = pod_spec(workload)
        if spec is None or workload.get("kind") in ("Job", "CronJob", "Pod"):
            continue
        labels = pod_labels(workload)
        container_ports = {p.get("name") for c in spec.get("containers") or [] for p in c.get("ports") or []}
        fronting = [
            s for s, sns in services if sns == ns and (s.get("spec") or {}).get("selector") and matches_selector({"matchLabels": s["spec"]["selector"]}, labels)
        ]
        exported = {p for p in container_ports if exports(p)} | {
            str(p.get("name")) for s in fronting for p in (s.get("spec") or {}).get("ports") or [] if exports(p.get("name"))
        }
        if not exported:
            continue
        if not any(_scrapes(m, mns, ns, labels, fronting, container_ports) for m, mns in monitors):
            findings.append(
                ctx.finding(
                    item, workload, f"exports metrics ({', '.join(sorted(exported))}) but no ServiceMonitor or PodMonitor that Prometheus selects scrapes it"
                )
            )
    return findings


def _scrapes(monitor: Obj, monitor_ns: str, ns: str, labels: dict[str, str], fronting: list[Obj], container_ports: set[Any]) -> bool:
    if not _watches(monitor, monitor_ns, ns):
        return False
    spec = monitor.get("spec") or {}
    if monitor["kind"] == "PodMonitor":
        ports = {e.get("port") for e in spec.get("podMetricsEndpoints") or []}
        return matches_selector(spec.get("selector") or {}, labels) and bool(ports & container_ports)
    wanted = {e.get("port") for e in spec.get("endpoints") or []} | {e.get("targetPort") for e in spec.get("endpoints") or []}
    for service in fronting:
        if not matches_selector(spec.get("selector") or {}, (service.get("metadata") or {}).get("labels") or {}):
            continue
        names = {p.get("name") for p in (service.get("spec") or {}).get("ports") or []} | {
            p.get("targetPort") for p in (service.get("spec") or {}).get("ports") or []
        }
        if wanted & names:
            return True
    return False
