"""Where each signal goes inside the cluster: the Services the observability add-ons render and the
Grafana data sources that join them.

Every address is ``<service>.<namespace>.svc.cluster.local:<port>`` of a Service the named chart
renders with the platform's release names (loki in ``loki``, tempo in ``tempo``,
kube-prometheus-stack in ``monitoring``); the render check ``addresses`` resolves each one against
the rendered Services, so a renamed release or port fails the build instead of going nowhere.
"""

from __future__ import annotations

from typing import Any

PROMETHEUS_URL = "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
# Prometheus' remote-write receiver (--web.enable-remote-write-receiver): Tempo's metrics generator.
PROMETHEUS_REMOTE_WRITE_URL = f"{PROMETHEUS_URL}/api/v1/write"
# Loki's gateway (chart 18.11.0: ``<release>-gateway``, port 80): queries and the collector's pushes.
LOKI_URL = "http://loki-gateway.loki.svc.cluster.local:80"
LOKI_PUSH_URL = f"{LOKI_URL}/loki/api/v1/push"
TEMPO_URL = "http://tempo.tempo.svc.cluster.local:3200"
# Tempo's OTLP receivers (chart 2.2.4 tempo.receivers.otlp, Service ports 4317 and 4318): the one
# in-cluster endpoint applications send traces to.
OTLP_GRPC_ENDPOINT = "http://tempo.tempo.svc.cluster.local:4317"
OTLP_HTTP_ENDPOINT = "http://tempo.tempo.svc.cluster.local:4318"

PROMETHEUS_UID = "prometheus"  # kube-prometheus-stack's default data source (grafana.sidecar.datasources.uid)
LOKI_UID = "loki"
TEMPO_UID = "tempo"
# A trace ID in a log line as OpenTelemetry SDKs and most log formats write it: trace_id=..., "traceID": "...".
TRACE_ID_REGEX = r"(?:trace_?[iI][dD])[\"']?\s*[=:]\s*[\"']?(\w+)"


def data_sources(addons: Any) -> list[dict[str, Any]]:
    """Grafana data sources for Loki and Tempo (those enabled), correlated with each other and with
    Prometheus (Grafana docs: provisioning, "Configure the Loki data source" derivedFields, "Configure
    the Tempo data source" tracesToLogsV2, tracesToMetrics, serviceMap)."""
    out: list[dict[str, Any]] = []
    loki, tempo = "loki" in addons, "tempo" in addons
    if loki:
        json_data: dict[str, Any] = {"maxLines": 1000}
        if tempo:
            json_data["derivedFields"] = [
                {"name": "TraceID", "matcherRegex": TRACE_ID_REGEX, "datasourceUid": TEMPO_UID, "url": "$${__value.raw}", "urlDisplayLabel": "View trace"}
            ]
        out.append({"name": "Loki", "type": "loki", "uid": LOKI_UID, "access": "proxy", "url": LOKI_URL, "jsonData": json_data})
    if tempo:
        tempo_data: dict[str, Any] = {
            "tracesToMetrics": {"datasourceUid": PROMETHEUS_UID, "spanStartTimeShift": "-5m", "spanEndTimeShift": "5m"},
            "serviceMap": {"datasourceUid": PROMETHEUS_UID},
            "nodeGraph": {"enabled": True},
        }
        if loki:
            tempo_data["tracesToLogsV2"] = {
                "datasourceUid": LOKI_UID,
                "spanStartTimeShift": "-5m",
                "spanEndTimeShift": "5m",
                "filterByTraceID": True,
                "tags": [{"key": "k8s.namespace.name", "value": "namespace"}, {"key": "k8s.pod.name", "value": "pod"}],
            }
            tempo_data["lokiSearch"] = {"datasourceUid": LOKI_UID}
        out.append({"name": "Tempo", "type": "tempo", "uid": TEMPO_UID, "access": "proxy", "url": TEMPO_URL, "jsonData": tempo_data})
    return out
