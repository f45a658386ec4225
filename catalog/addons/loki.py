"""Loki storing chunks and rules in S3; monolithic (single binary) or simple scalable."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from catalog.addons.aws_ebs_csi_driver import AwsEbsCsiDriver
from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, AwsNeeds, AwsSide, Bucket, Chart, ClusterSide, Options, ServiceAccount, Statement, bucket_key_statement
from catalog.instances import capacity, known

# chunksCache.allocatedMemory of chart 18.11.0 (MB given to memcached with -m); the chart requests
# round(1.2 x that) Mi for the pod (templates/memcached/_memcached-statefulset.tpl).
CHART_CHUNKS_CACHE_MIB = 8192
# The cache takes at most this share of the smallest node it may run on, leaving the rest of the
# node to Loki itself and the other add-ons.
CHUNKS_CACHE_NODE_SHARE = 0.25


def chunks_cache_mib(env: Any) -> int:
    """memcached's size for the chunks cache: a quarter of the allocatable memory of the smallest
    instance type of the node groups the (untolerating) cache pod may run on, at most the chart's
    default. Staging's m6i.large (7518Mi allocatable) gets 1566 MB instead of 8192 MB, whose 9830Mi
    request fitted no node (found by the render fit check)."""
    groups = [g for g in env.cluster.node_groups.values() if all(t.effect == "PREFER_NO_SCHEDULE" for t in g.taints)]
    sizes = [capacity(t).allocatable_memory_mib for g in groups or env.cluster.node_groups.values() for t in g.instance_types if known(t)]
    if not sizes:
        return CHART_CHUNKS_CACHE_MIB
    return min(CHART_CHUNKS_CACHE_MIB, int(min(sizes) * CHUNKS_CACHE_NODE_SHARE / 1.2))


# Not "chunk"/"ruler"/"admin" as bucket names (Grafana security advisory 2024-06-27): ours are
# prefixed with environment, account and add-on.
_BUCKETS = ("chunks", "ruler")


class LokiOptions(Options):
    """``Monolithic`` runs one binary (enough for dev); ``SimpleScalable`` runs read/write/backend x3."""

    mode: Literal["Monolithic", "SimpleScalable"] = "Monolithic"
    retention_days: int = Field(default=31, ge=1, le=3650)
    chunks_cache: bool = True


class Loki(Addon):
    name = "loki"
    # The OSS chart moved to grafana-community at 6.55.0; grafana/loki >= 7 is GEL-only.
    chart = Chart(repository="https://grafana-community.github.io/helm-charts", name="loki", version="18.11.0", kube_version=">=1.25.0-0")
    namespace = "loki"
    monitor_switch = {"monitoring": {"serviceMonitor": {"enabled": True}}}  # chart values.yaml monitoring.serviceMonitor
    service_account = ServiceAccount(name="loki", values_path=("serviceAccount",))
    options_model = LokiOptions
    requires = (AwsEbsCsiDriver,)  # write-ahead log and index volumes
    after = (AwsEbsCsiDriver, AwsLoadBalancerController)

    def check(self, env: Any, options: LokiOptions) -> list[str]:
        # Loki only stores what is pushed to it (Loki docs, "Send log data"): without the collector
        # it stays empty. Not in ``requires``: the collector is released after Loki, not before.
        return [] if "alloy" in env.addons else ["requires add-on 'alloy', which is not enabled"]

    def aws_needs(self, options: LokiOptions) -> AwsNeeds:
        # The compactor enforces retention; the bucket rule is a backstop a day later.
        return AwsNeeds(buckets=(Bucket("chunks", expire_days=options.retention_days + 1), Bucket("ruler")))

    def policy(self, ctx: AwsSide) -> list[Statement]:
        arns = [ctx.bucket_arns[b] for b in _BUCKETS]
        return [
            # Loki AWS deployment guide: these four on both buckets and their objects.
            {
                "Sid": "LokiBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:PutObject", "s3:GetObject", "s3:DeleteObject"],
                "Resource": [*arns, *(f"{a}/*" for a in arns)],
            },
            bucket_key_statement(ctx),
        ]

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: LokiOptions = ctx.options
        monolithic = opts.mode == "Monolithic"
        scalable = 0 if monolithic else 3
        return {
            "deploymentMode": opts.mode,
            "loki": {
                "auth_enabled": False,
                "commonConfig": {"replication_factor": 1 if monolithic else 3},
                # Required: the chart refuses to render without a schema.
                "schemaConfig": {
                    "configs": [
                        {
                            "from": "2024-04-01",
                            "store": "tsdb",
                            "object_store": "s3",
                            "schema": "v13",
                            "index": {"prefix": "loki_index_", "period": "24h"},
                        }
                    ]
                },
                "storage": {
                    "type": "s3",
                    "bucketNames": {b: ctx.bucket_names[b] for b in _BUCKETS},
                    "s3": {"region": ctx.region},  # no keys: the SDK chain finds the IRSA token
                },
                "limits_config": {"retention_period": f"{opts.retention_days * 24}h"},
                "compactor": {"retention_enabled": True, "delete_request_store": "s3"},
            },
            "singleBinary": {"replicas": 1 if monolithic else 0},
            "backend": {"replicas": scalable},
            "read": {"replicas": scalable},
            "write": {"replicas": scalable},
            "minio": {"enabled": False},
            "chunksCache": {"enabled": opts.chunks_cache, **({"allocatedMemory": chunks_cache_mib(ctx.env)} if opts.chunks_cache else {})},
            # The canary DaemonSet checks the log path of every node: tainted groups included.
            "lokiCanary": {"tolerations": [{"operator": "Exists"}]},
        }
