"""Calico network policy on the AWS VPC CNI, installed by the Tigera operator (policy-only mode)."""

from __future__ import annotations

from typing import Any

from catalog.addons.base import Addon, Chart, ClusterSide


class TigeraOperator(Addon):
    name = "tigera-operator"
    # Calico 3.30 is tested on Kubernetes 1.31-1.35; 3.31 drops 1.31 (tigera docs, system requirements).
    chart = Chart(
        repository="https://docs.tigera.io/calico/charts",
        name="tigera-operator",
        version="v3.30.7",
        # Calico 3.30 system requirements (docs.tigera.io/calico/3.30/getting-started/kubernetes/requirements).
        supported=("1.31", "1.35", "Calico v3.30 supports Kubernetes 1.31-1.35"),
    )
    namespace = "tigera-operator"
    crd_dirs = ("crds",)  # operator.tigera.io and crds/calico/ (crd.projectcalico.org)

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        # Pods keep VPC IPs from the AWS VPC CNI, so the control plane still reaches webhooks and
        # no add-on needs hostNetwork; Calico only enforces NetworkPolicy. The chart renders the
        # Installation CR's spec from ``installation`` (templates/crs/custom-resources.yaml).
        return {
            "installation": {
                "enabled": True,
                "kubernetesProvider": "EKS",
                "cni": {"type": "AmazonVPC"},
                "calicoNetwork": {"bgp": "Disabled"},
            },
            "apiServer": {"enabled": True},
        }
