"""metrics-server: the resource metrics API that HorizontalPodAutoscalers read."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, Chart, ClusterSide, Options


class MetricsServerOptions(Options):
    replicas: int = Field(default=2, ge=1, le=5)


class MetricsServer(Addon):
    name = "metrics-server"
    # Pinned to the 0.8.x line: 0.9 needs Kubernetes >= 1.34 (README compatibility matrix).
    chart = Chart(repository="https://kubernetes-sigs.github.io/metrics-server/", name="metrics-server", version="3.13.1")
    namespace = "kube-system"
    options_model = MetricsServerOptions
    after = (AwsLoadBalancerController,)

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: MetricsServerOptions = ctx.options
        return {"replicas": opts.replicas, "podDisruptionBudget": {"enabled": opts.replicas > 1, "minAvailable": 1}}
