"""Alert rules for the platform's own failure modes, shipped as a PrometheusRule by
kube-prometheus-stack (``additionalPrometheusRulesMap``).

Metric names are the exporters' own: kube-state-metrics (kube_deployment_*, kube_pod_container_*),
External Secrets (externalsecret_status_condition, docs "Metrics"), Karpenter
(karpenter_cloudprovider_errors_total, docs "Metrics"), Cluster Autoscaler
(cluster_autoscaler_unschedulable_pods_count, cluster_autoscaler_failed_scale_ups_total, its FAQ
"metrics"), ExternalDNS (external_dns_registry_errors_total, external_dns_source_errors_total),
Alloy (loki_write_dropped_entries_total), Loki (loki_discarded_samples_total,
loki_s3_request_duration_seconds), Tempo (tempo_discarded_spans_total,
tempodb_backend_request_duration_seconds_count); for the CSI drivers and Calico, whose own metrics
the platform does not alert on yet, Prometheus' ``up`` of their scrape targets. Persistent volumes filling up are covered by the
chart's own KubePersistentVolumeFillingUp. Every alert has a unit test in
tests/render/alert_tests/platform.test.yaml, run by ``promtool test rules``.
"""

from __future__ import annotations

from typing import Any

# The exporter each alert's metrics come from: the fact file reference/metrics/<exporter>.txt lists
# the metrics (and their labels) it defines at the pinned version; tests/catalog/test_alert_metrics.py
# holds every rule and dashboard query to it.
EXPORTERS: dict[str, tuple[str, ...]] = {
    "PlatformControllerDown": ("kube-state-metrics",),
    "PlatformPodCrashLooping": ("kube-state-metrics",),
    "ExternalSecretSyncFailing": ("external-secrets",),
    "KarpenterCannotLaunchNodes": ("karpenter",),
    "ClusterAutoscalerCannotScaleUp": ("cluster-autoscaler",),
    "ExternalDnsFailingToWriteRecords": ("external-dns",),
    "LogCollectorDroppingLogs": ("alloy",),
    "LokiRejectingLogs": ("loki",),
    "LokiObjectStoreErrors": ("loki",),
    "TempoRejectingSpans": ("tempo",),
    "TempoObjectStoreErrors": ("tempo",),
    "EbsCsiDriverDown": ("prometheus",),
    "EfsCsiDriverDown": ("prometheus",),
    "CalicoDown": ("prometheus",),
}

# Namespaces of the platform's add-ons (every release's namespace, teams' excluded).
PLATFORM_NAMESPACES = "kube-system|monitoring|loki|tempo|alloy|external-secrets|external-dns|headlamp|tigera-operator|calico-system"


def _alert(name: str, expr: str, for_: str, severity: str, summary: str) -> dict[str, Any]:
    return {"alert": name, "expr": expr, "for": for_, "labels": {"severity": severity, "team": "platform"}, "annotations": {"summary": summary}}


def groups() -> list[dict[str, Any]]:
    ns = PLATFORM_NAMESPACES
    return [
        {
            "name": "platform-controllers",
            "rules": [
                _alert(
                    "PlatformControllerDown",
                    f'kube_deployment_spec_replicas{{namespace=~"{ns}"}} > 0 and kube_deployment_status_replicas_available{{namespace=~"{ns}"}} == 0',
                    "10m",
                    "critical",
                    "Deployment {{ $labels.namespace }}/{{ $labels.deployment }} has no available replica.",
                ),
                _alert(
                    "PlatformPodCrashLooping",
                    f'increase(kube_pod_container_status_restarts_total{{namespace=~"{ns}"}}[15m]) > 3',
                    "5m",
                    "warning",
                    "{{ $labels.namespace }}/{{ $labels.pod }} ({{ $labels.container }}) restarts repeatedly.",
                ),
                _alert(
                    "ExternalSecretSyncFailing",
                    'externalsecret_status_condition{condition="Ready",status="False"} == 1',
                    "10m",
                    "warning",
                    "ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} cannot sync from its store.",
                ),
                _alert(
                    "KarpenterCannotLaunchNodes",
                    'sum by (error) (increase(karpenter_cloudprovider_errors_total{method="Create"}[10m])) > 0',
                    "15m",
                    "critical",
                    "Karpenter fails to create instances ({{ $labels.error }}): pending pods get no node.",
                ),
                _alert(
                    "ClusterAutoscalerCannotScaleUp",
                    "cluster_autoscaler_unschedulable_pods_count > 0 and on() increase(cluster_autoscaler_failed_scale_ups_total[15m]) > 0",
                    "15m",
                    "critical",
                    "Cluster Autoscaler fails to scale up while pods are unschedulable.",
                ),
                _alert(
                    "ExternalDnsFailingToWriteRecords",
                    "increase(external_dns_registry_errors_total[15m]) > 0 or increase(external_dns_source_errors_total[15m]) > 0",
                    "15m",
                    "warning",
                    "ExternalDNS cannot read sources or write records to Route 53.",
                ),
            ],
        },
        {
            "name": "platform-telemetry",
            "rules": [
                _alert(
                    "LogCollectorDroppingLogs",
                    "sum by (instance) (increase(loki_write_dropped_entries_total[10m])) > 0",
                    "10m",
                    "warning",
                    "Alloy on {{ $labels.instance }} drops log entries it cannot deliver to Loki.",
                ),
                _alert(
                    "LokiRejectingLogs",
                    "sum by (reason) (increase(loki_discarded_samples_total[10m])) > 0",
                    "10m",
                    "warning",
                    "Loki rejects log lines ({{ $labels.reason }}).",
                ),
                # Loki's legacy S3 client (storage_config.use_thanos_objstore false, the chart's default)
                # times every request as loki_s3_request_duration_seconds{operation, status_code}, with
                # status_code "500" for a failed one (dskit instrument.ErrorCode); the thanos objstore
                # loki_objstore_bucket_* series stay empty with that client.
                _alert(
                    "LokiObjectStoreErrors",
                    'sum by (operation) (increase(loki_s3_request_duration_seconds_count{status_code="500"}[10m])) > 0',
                    "10m",
                    "critical",
                    "Loki's S3 operations fail ({{ $labels.operation }}): chunks are not stored or read.",
                ),
                _alert(
                    "TempoRejectingSpans",
                    "sum by (reason) (increase(tempo_discarded_spans_total[10m])) > 0",
                    "10m",
                    "warning",
                    "Tempo discards spans ({{ $labels.reason }}).",
                ),
                # Tempo observes only requests that got an HTTP response (status_code the HTTP status,
                # operation the method): a server error, or 403 when its role may not use the bucket.
                _alert(
                    "TempoObjectStoreErrors",
                    'sum by (operation) (increase(tempodb_backend_request_duration_seconds_count{status_code=~"5..|403"}[10m])) > 0',
                    "10m",
                    "critical",
                    "Tempo's S3 requests fail ({{ $labels.operation }}): traces are not stored or read.",
                ),
            ],
        },
        {
            # Each target's job: the CSI charts' ServiceMonitors take the Service's name (no jobLabel),
            # Calico's monitors the pods' k8s-app label (catalog/addons/tigera_operator.py). ``up`` is 0
            # when the scrape fails: the pod is gone from the node, or its process does not answer.
            "name": "platform-storage-network",
            "rules": [
                _alert(
                    "EbsCsiDriverDown",
                    'up{namespace="kube-system",job=~"ebs-csi-controller|ebs-csi-node"} == 0',
                    "10m",
                    "critical",
                    "EBS CSI driver {{ $labels.job }} on {{ $labels.instance }} does not answer: EBS volumes may not be provisioned or attached.",
                ),
                _alert(
                    "EfsCsiDriverDown",
                    'up{namespace="kube-system",job="efs-csi-controller"} == 0',
                    "10m",
                    "critical",
                    "EFS CSI controller on {{ $labels.instance }} does not answer: EFS volumes may not be provisioned.",
                ),
                _alert(
                    "CalicoDown",
                    'up{namespace="calico-system",job=~"calico-node|calico-typha-metrics"} == 0',
                    "10m",
                    "critical",
                    "Calico {{ $labels.job }} on {{ $labels.instance }} does not answer: network policy may not be enforced for new pods.",
                ),
            ],
        },
    ]
