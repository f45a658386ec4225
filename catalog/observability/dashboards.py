"""Grafana dashboards for the platform's add-ons, one per signal, provisioned as ConfigMaps that
Grafana's dashboard sidecar loads (kube-prometheus-stack values.yaml: ``grafana.sidecar.dashboards``
with ``label: grafana_dashboard``, ``labelValue: "1"``, ``searchNamespace: ALL``).

Every query names only metrics the platform's own alert rules use (``catalog/observability/alerts.py``),
so a panel shows what an alert fires on; tests/render/test_render_grafana.py holds them to that and
to the data sources Grafana provisions. Dashboard JSON follows Grafana's dashboard model
(``uid``, ``title``, ``panels`` with ``datasource``/``targets``, ``gridPos``).
"""

from __future__ import annotations

import json
from typing import Any

from catalog.observability.alerts import PLATFORM_NAMESPACES
from catalog.observability.endpoints import LOKI_UID, PROMETHEUS_UID, TEMPO_UID

NAMESPACE = "monitoring"
SIDECAR_LABEL = {"grafana_dashboard": "1"}
_PROMETHEUS = {"type": "prometheus", "uid": PROMETHEUS_UID}
Panel = tuple[str, str]  # title, PromQL


def _panel(i: int, title: str, target: dict[str, Any], datasource: dict[str, str], kind: str = "timeseries") -> dict[str, Any]:
    return {
        "id": i + 1,
        "type": kind,
        "title": title,
        "datasource": datasource,
        "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i // 2) * 8},
        "targets": [{"refId": "A", "datasource": datasource, **target}],
    }


def dashboard(uid: str, title: str, panels: list[Panel], extra: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    built = [_panel(i, t, {"expr": e}, _PROMETHEUS) for i, (t, e) in enumerate(panels)]
    for p in extra or []:
        built.append(_panel(len(built), p["title"], p["target"], p["datasource"], p["type"]))
    return {
        "uid": uid,
        "title": title,
        "tags": ["platform"],
        "timezone": "utc",
        "schemaVersion": 39,
        "time": {"from": "now-6h", "to": "now"},
        "panels": built,
    }


def _controllers(env: Any) -> dict[str, Any]:
    ns = PLATFORM_NAMESPACES
    panels: list[Panel] = [
        ("Available replicas of platform Deployments", f'kube_deployment_status_replicas_available{{namespace=~"{ns}"}}'),
        ("Desired replicas of platform Deployments", f'kube_deployment_spec_replicas{{namespace=~"{ns}"}}'),
        ("Container restarts (15m)", f'increase(kube_pod_container_status_restarts_total{{namespace=~"{ns}"}}[15m])'),
    ]
    addons = env.addons
    if "external-secrets" in addons:
        panels.append(("ExternalSecrets not ready", 'sum by (namespace) (externalsecret_status_condition{condition="Ready",status="False"})'))
    if "external-dns" in addons:
        panels.append(("ExternalDNS registry errors (15m)", "increase(external_dns_registry_errors_total[15m])"))
        panels.append(("ExternalDNS source errors (15m)", "increase(external_dns_source_errors_total[15m])"))
    if env.cluster.autoscaler == "karpenter":
        panels.append(("Karpenter instance-create errors (10m)", 'sum by (error) (increase(karpenter_cloudprovider_errors_total{method="Create"}[10m]))'))
    if "cluster-autoscaler" in addons:
        panels.append(("Unschedulable pods", "cluster_autoscaler_unschedulable_pods_count{}"))
        panels.append(("Failed scale-ups (15m)", "increase(cluster_autoscaler_failed_scale_ups_total[15m])"))
    return dashboard("platform-controllers", "Platform / Controllers", panels)


def _logs() -> dict[str, Any]:
    panels: list[Panel] = [
        ("Log entries dropped by Alloy (10m)", "sum by (instance) (increase(loki_write_dropped_entries_total[10m]))"),
        ("Log lines Loki rejects (10m)", "sum by (reason) (increase(loki_discarded_samples_total[10m]))"),
        ("Loki S3 request failures (10m)", 'sum by (operation) (increase(loki_s3_request_duration_seconds_count{status_code="500"}[10m]))'),
    ]
    # The pipeline's own complaints, from the logs it collects (labels the collector sets).
    logs: dict[str, Any] = {"title": "Platform log errors", "type": "logs", "datasource": {"type": "loki", "uid": LOKI_UID}}
    logs["target"] = {"expr": '{namespace=~"loki|alloy"} |= "error"'}
    return dashboard("platform-logs", "Platform / Logs pipeline", panels, [logs])


def _traces() -> dict[str, Any]:
    panels: list[Panel] = [
        ("Spans Tempo discards (10m)", "sum by (reason) (increase(tempo_discarded_spans_total[10m]))"),
        ("Tempo backend requests by status (10m)", "sum by (operation, status_code) (increase(tempodb_backend_request_duration_seconds_count[10m]))"),
    ]
    search: dict[str, Any] = {"title": "Recent traces", "type": "table", "datasource": {"type": "tempo", "uid": TEMPO_UID}}
    search["target"] = {"queryType": "traceql", "query": "{}"}
    return dashboard("platform-traces", "Platform / Traces pipeline", panels, [search])


def dashboards(env: Any) -> list[dict[str, Any]]:
    """One dashboard per signal the environment collects: metrics always, logs with Loki, traces with Tempo."""
    out = [_controllers(env)]
    if "loki" in env.addons:
        out.append(_logs())
    if "tempo" in env.addons:
        out.append(_traces())
    return out


def dashboard_config_maps(env: Any) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"dashboard-{d['uid']}", "namespace": NAMESPACE, "labels": dict(SIDECAR_LABEL)},
            "data": {f"{d['uid']}.json": json.dumps(d, sort_keys=True)},
        }
        for d in dashboards(env)
    ]
