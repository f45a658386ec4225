"""Sealed Secrets controller, under the name and namespace ``kubeseal`` looks for by default."""

from __future__ import annotations

from typing import Any

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, Chart, ClusterSide


class SealedSecrets(Addon):
    name = "sealed-secrets"
    chart = Chart(repository="https://bitnami-labs.github.io/sealed-secrets", name="sealed-secrets", version="2.18.5", kube_version=">=1.16.0-0")
    namespace = "kube-system"
    monitor_switch = {"metrics": {"serviceMonitor": {"enabled": True}}}  # chart values.yaml metrics.serviceMonitor
    after = (AwsLoadBalancerController,)
    crd_dirs = ("crds",)  # SealedSecret

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        # kubeseal defaults to controller "sealed-secrets-controller" in kube-system (chart README).
        return {"fullnameOverride": "sealed-secrets-controller"}
