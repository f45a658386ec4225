"""Tempo (single binary) storing traces in S3."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from catalog.addons.aws_ebs_csi_driver import AwsEbsCsiDriver
from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, AwsNeeds, AwsSide, Bucket, Chart, ClusterSide, Options, ServiceAccount, Statement, bucket_key_statement
from catalog.observability.endpoints import PROMETHEUS_REMOTE_WRITE_URL


class TempoOptions(Options):
    retention_days: int = Field(default=14, ge=1, le=365)
    wal_gib: int = Field(default=10, ge=1, le=1024)


class Tempo(Addon):
    name = "tempo"
    chart = Chart(repository="https://grafana-community.github.io/helm-charts", name="tempo", version="2.2.4")
    namespace = "tempo"
    monitor_switch = {"serviceMonitor": {"enabled": True}}  # chart values.yaml serviceMonitor
    service_account = ServiceAccount(name="tempo", values_path=("serviceAccount",))
    options_model = TempoOptions
    requires = (AwsEbsCsiDriver,)  # the write-ahead log volume
    after = (AwsEbsCsiDriver, AwsLoadBalancerController)

    def aws_needs(self, options: TempoOptions) -> AwsNeeds:
        return AwsNeeds(buckets=(Bucket("traces", expire_days=options.retention_days + 1),))

    def policy(self, ctx: AwsSide) -> list[Statement]:
        bucket = ctx.bucket_arns["traces"]
        return [
            # Tempo docs, configuration/hosted-storage/s3.md.
            {
                "Sid": "TempoBucket",
                "Effect": "Allow",
                "Action": [
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:ListBucket",
                    "s3:DeleteObject",
                    "s3:GetObjectTagging",
                    "s3:PutObjectTagging",
                ],
                "Resource": [bucket, f"{bucket}/*"],
            },
            bucket_key_statement(ctx),
        ]

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: TempoOptions = ctx.options
        prometheus = "kube-prometheus-stack" in ctx.env.addons
        generator: dict[str, Any] = {}
        if prometheus:
            # Service-graph and span metrics written to Prometheus (Tempo docs, metrics-generator).
            generator = {
                "metricsGenerator": {"enabled": True, "remoteWriteUrl": PROMETHEUS_REMOTE_WRITE_URL, "storage": {"path": "/var/tempo/generator"}},
                "overrides": {"defaults": {"metrics_generator": {"processors": ["service-graphs", "span-metrics"]}}},
            }
        return {
            "tempo": {
                **generator,
                # Rendered verbatim into Tempo's storage config; no keys, so the IRSA token is used.
                "storage": {
                    "trace": {
                        "backend": "s3",
                        "s3": {
                            "bucket": ctx.bucket_names["traces"],
                            "endpoint": f"s3.{ctx.region}.amazonaws.com",
                            "region": ctx.region,
                        },
                        "wal": {"path": "/var/tempo/wal"},
                    }
                },
                "retention": f"{opts.retention_days * 24}h",
            },
            "persistence": {"enabled": True, "size": f"{opts.wal_gib}Gi"},
        }
