"""Prometheus, Alertmanager and Grafana (kube-prometheus-stack), picking up monitors from every release."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from catalog.addons.aws_ebs_csi_driver import DEFAULT_STORAGE_CLASS, AwsEbsCsiDriver
from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, Chart, ClusterSide, CustomResources, Options
from catalog.addons.external_secrets import STORE_NAME, ExternalSecrets
from catalog.ingress import CERTIFICATE_PATTERN, HOST_PATTERN, ingress_problems
from catalog.observability.alerting import NAMESPACE as ALERTING_NAMESPACE
from catalog.observability.alerting import SECRET_NAME, AlertingOptions, alertmanager_config, external_secret
from catalog.observability.alerts import groups
from catalog.observability.dashboards import dashboard_config_maps
from catalog.observability.endpoints import data_sources
from catalog.observability.grafana import PARAMETER_PATTERN, admin_external_secret, admin_values, ingress_values

# Prometheus docs, "Storage / Operational aspects": needed_disk_space = retention_time_seconds *
# ingested_samples_per_second * bytes_per_sample, with 1-2 bytes per sample (the upper bound here).
BYTES_PER_SAMPLE = 2
# The share of the volume the TSDB may fill (retentionSize): the rest is the WAL and compaction headroom.
VOLUME_SHARE = 0.85


# The API group of the operator's CRDs (ServiceMonitor, PodMonitor, PrometheusRule...).
MONITORING_GROUP = "monitoring.coreos.com"


class KubePrometheusStackOptions(Options):
    retention_days: int = Field(default=10, ge=1, le=90)
    storage_gib: int = Field(default=50, ge=10, le=4096)
    # Sizing input: sum(rate(prometheus_tsdb_head_samples_appended_total[1h])) of a running cluster.
    ingested_samples_per_second: int = Field(default=10_000, ge=100, le=10_000_000)
    alerting: AlertingOptions | None = None
    """Left out: Alertmanager routes every alert to the chart's ``null`` receiver."""
    grafana_admin_parameter: str = Field(default="grafana/admin", pattern=PARAMETER_PATTERN)
    """The SSM parameter under ``/<env>/`` (SecureString): ``{"admin-user": ..., "admin-password": ...}``."""
    ingress: bool = False
    """An internal ALB in front of Grafana (``catalog/observability/grafana.py``)."""
    host: str | None = Field(default=None, pattern=HOST_PATTERN)
    """Left out: ``grafana.<dns.domain>``."""
    certificate_arn: str | None = Field(default=None, pattern=CERTIFICATE_PATTERN)


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
        if store is None or ALERTING_NAMESPACE not in store.store_namespaces:
            problems.append(
                f"grafana_admin_parameter: Grafana's admin password is read from SSM by external-secrets; enable it with "
                f"{ALERTING_NAMESPACE!r} in addons.external-secrets.store_namespaces"
            )
        if options.alerting is not None and (store is None or ALERTING_NAMESPACE not in store.store_namespaces):
            problems.append(
                f"alerting: the receiver's webhook URL is read from SSM by external-secrets; enable it with "
                f"{ALERTING_NAMESPACE!r} in addons.external-secrets.store_namespaces"
            )
        return problems + self._ingress(env, options) + self._sizing(options)

    def _ingress(self, env: Any, options: KubePrometheusStackOptions) -> list[str]:
        return ingress_problems(env, ingress=options.ingress, host=options.host, certificate_arn=options.certificate_arn, sign_in="a password")

    def custom_resources(self, ctx: ClusterSide) -> CustomResources:
        """The platform's dashboards, and the receiver's Secret with alerting."""
        opts: KubePrometheusStackOptions = ctx.options
        manifests = dashboard_config_maps(ctx.env)
        if opts.alerting is not None:
            manifests.append(external_secret(ctx.env.name, STORE_NAME, opts.alerting))
        return CustomResources(release="monitoring-config", manifests=tuple(manifests))

    def _host(self, ctx: ClusterSide) -> str:
        opts: KubePrometheusStackOptions = ctx.options
        if opts.host is not None:
            return opts.host
        assert ctx.env.dns is not None, "check() requires host or dns.domain with ingress"
        return f"grafana.{ctx.env.dns.domain}"

    def _grafana(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: KubePrometheusStackOptions = ctx.options
        grafana: dict[str, Any] = {
            "admin": admin_values(),
            "additionalDataSources": data_sources(ctx.env.addons),
        }
        if opts.ingress:
            assert opts.certificate_arn is not None, "check() requires certificate_arn with ingress"
            grafana["ingress"] = ingress_values(self._host(ctx), opts.certificate_arn)
        return grafana

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
            # Loki and Tempo beside the chart's own Prometheus data source, correlated; the admin
            # credential from SSM; dashboards found by the sidecar (its default label grafana_dashboard).
            "grafana": self._grafana(ctx),
            # In this release: Helm's wait on Grafana needs its Secret (catalog/observability/grafana.py).
            "extraManifests": [admin_external_secret(ctx.env.name, STORE_NAME, opts.grafana_admin_parameter)],
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
