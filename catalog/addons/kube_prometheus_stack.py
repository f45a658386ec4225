"""Prometheus, Alertmanager and Grafana (kube-prometheus-stack), picking up monitors from every release."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from catalog.addons.aws_ebs_csi_driver import DEFAULT_STORAGE_CLASS, AwsEbsCsiDriver
from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, Chart, ClusterSide, CustomResources, Options
from catalog.addons.external_secrets import STORE_NAME, ExternalSecrets
from catalog.observability.alerting import NAMESPACE as ALERTING_NAMESPACE
from catalog.observability.alerting import SECRET_NAME, AlertingOptions, alertmanager_config, external_secret
from catalog.observability.alerts import groups
from catalog.observability.endpoints import data_sources

# Prometheus docs, "Storage / Operational aspects": needed_disk_space = retention_time_seconds *
# ingested_samples_per_second * bytes_per_sample, with 1-2 bytes per sample (the upper bound here).
BYTES_PER_SAMPLE = 2
# The share of the volume the TSDB may fill (retentionSize): the rest is the WAL and compaction headroom.
VOLUME_SHARE = 0.85


class KubePrometheusStackOptions(Options):
    retention_days: int = Field(default=10, ge=1, le=90)
    storage_gib: int = Field(default=50, ge=10, le=4096)
    # Sizing input: sum(rate(prometheus_tsdb_head_samples_appended_total[1h])) of a running cluster.
    ingested_samples_per_second: int = Field(default=10_000, ge=100, le=10_000_000)
    alerting: AlertingOptions | None = None
    """Left out: Alertmanager routes every alert to the chart's ``null`` receiver."""


def needed_gib(opts: KubePrometheusStackOptions) -> float:
    return opts.retention_days * 86400 * opts.ingested_samples_per_second * BYTES_PER_SAMPLE / 2**30


class KubePrometheusStack(Addon):
    name = "kube-prometheus-stack"
    chart = Chart(repository="https://prometheus-community.github.io/helm-charts", name="kube-prometheus-stack", version="88.5.3", kube_version=">=1.25.0-0")
    namespace = "monitoring"
    options_model = KubePrometheusStackOptions
    requires = (AwsEbsCsiDriver,)  # Prometheus' volume needs the gp3 StorageClass
    after = (AwsEbsCsiDriver, AwsLoadBalancerController, ExternalSecrets)  # the receiver's ExternalSecret
    # The ``crds`` subchart's crds/ (monitoring.coreos.com); its own upgrade Job
    # (crds.upgradeJob.enabled) stays off: the CRD release upgrades them.
    crd_dirs = ("charts/crds/crds",)

    def check(self, env: Any, options: KubePrometheusStackOptions) -> list[str]:
        problems = []
        store = env.addons.get("external-secrets")
        if options.alerting is not None and (store is None or ALERTING_NAMESPACE not in store.store_namespaces):
            problems.append(
                f"alerting: the receiver's webhook URL is read from SSM by external-secrets; enable it with "
                f"{ALERTING_NAMESPACE!r} in addons.external-secrets.store_namespaces"
            )
        return problems + self._sizing(options)

    def custom_resources(self, ctx: ClusterSide) -> CustomResources | None:
        opts: KubePrometheusStackOptions = ctx.options
        if opts.alerting is None:
            return None
        return CustomResources(release="alertmanager-receiver", manifests=(external_secret(ctx.env.name, STORE_NAME, opts.alerting),))

    def _sizing(self, options: KubePrometheusStackOptions) -> list[str]:
        need = needed_gib(options)
        if need > options.storage_gib * VOLUME_SHARE:
            return [
                f"storage_gib: {options.storage_gib} GiB cannot hold retention_days {options.retention_days} at "
                f"{options.ingested_samples_per_second} samples/s: {need:.0f} GiB needed ({BYTES_PER_SAMPLE} bytes per sample), "
                f"{VOLUME_SHARE:.0%} of the volume available"
            ]
        return []

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: KubePrometheusStackOptions = ctx.options
        return {
            # Loki and Tempo beside the chart's own Prometheus data source, correlated.
            "grafana": {"additionalDataSources": data_sources(ctx.env.addons)},
            # The platform's own failure modes (catalog/observability/alerts.py).
            "additionalPrometheusRulesMap": {"platform": {"groups": groups()}},
            **self._alertmanager(opts),
            "prometheus": {
                "prometheusSpec": {
                    # Only for Tempo's metrics generator (service graph and span metrics).
                    "enableRemoteWriteReceiver": "tempo" in ctx.env.addons,
                    # Select ServiceMonitors/PodMonitors/rules of every release, not only this one.
                    "serviceMonitorSelectorNilUsesHelmValues": False,
                    "podMonitorSelectorNilUsesHelmValues": False,
                    "ruleSelectorNilUsesHelmValues": False,
                    "retention": f"{opts.retention_days}d",
                    # Whichever comes first: old blocks go before the volume fills.
                    "retentionSize": f"{int(opts.storage_gib * VOLUME_SHARE)}GiB",
                    "storageSpec": {
                        "volumeClaimTemplate": {
                            "spec": {
                                "storageClassName": DEFAULT_STORAGE_CLASS,
                                "accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": f"{opts.storage_gib}Gi"}},
                            }
                        }
                    },
                }
            },
            # EKS does not expose these control-plane components for scraping; kube-proxy binds
            # its metrics to 127.0.0.1. Left on they only raise "target down" alerts.
            "kubeControllerManager": {"enabled": False},
            "kubeScheduler": {"enabled": False},
            "kubeEtcd": {"enabled": False},
            "kubeProxy": {"enabled": False},
        }

    def _alertmanager(self, opts: KubePrometheusStackOptions) -> dict[str, Any]:
        if opts.alerting is None:
            return {}
        return {"alertmanager": {"config": alertmanager_config(opts.alerting), "alertmanagerSpec": {"secrets": [SECRET_NAME]}}}
