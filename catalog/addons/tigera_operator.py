"""Calico network policy on the AWS VPC CNI, installed by the Tigera operator (policy-only mode)."""

from __future__ import annotations

from typing import Any

from catalog.addons.base import Addon, Chart, ClusterSide, CustomResources

# Ports Felix (calico-node) and Typha serve Prometheus metrics on: Calico's documented defaults
# (docs.tigera.io, "Monitor Calico component metrics": Felix 9091, Typha 9093). Both run with
# hostNetwork, so these are ports on every node.
FELIX_METRICS_PORT = 9091
TYPHA_METRICS_PORT = 9093
# Where the operator runs Calico and creates Typha's metrics Service (operator pkg/common CalicoNamespace).
CALICO_NAMESPACE = "calico-system"


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
        installation: dict[str, Any] = {
            "enabled": True,
            "kubernetesProvider": "EKS",
            "cni": {"type": "AmazonVPC"},
            "calicoNetwork": {"bgp": "Disabled"},
        }
        if "kube-prometheus-stack" in ctx.env.addons:
            # The operator then sets FELIX_/TYPHA_PROMETHEUSMETRICSPORT and creates the Service
            # calico-typha-metrics (reference/calico/operator-metrics-targets.txt).
            installation |= {"nodeMetricsPort": FELIX_METRICS_PORT, "typhaMetricsPort": TYPHA_METRICS_PORT}
        return {"installation": installation, "apiServer": {"enabled": True}}

    def custom_resources(self, ctx: ClusterSide) -> CustomResources | None:
        if "kube-prometheus-stack" not in ctx.env.addons:
            return None
        return CustomResources(release="tigera-operator-monitors", manifests=calico_monitors())


def calico_monitors() -> tuple[dict[str, Any], ...]:
    """The monitors of what the operator creates at runtime (tests/catalog/test_calico_monitors.py
    holds them to the operator's source). They live in the release's namespace, which exists before
    it, and watch calico-system, which the operator creates. ``jobLabel: k8s-app`` names the jobs
    ``calico-typha-metrics`` and ``calico-node`` (the alerts read them)."""
    meta = {"namespace": TigeraOperator.namespace, "labels": {"app.kubernetes.io/part-of": "calico"}}
    typha = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "calico-typha", **meta},
        "spec": {
            "jobLabel": "k8s-app",
            "namespaceSelector": {"matchNames": [CALICO_NAMESPACE]},
            "selector": {"matchLabels": {"k8s-app": "calico-typha-metrics"}},
            "endpoints": [{"port": "calico-typha-metrics", "path": "/metrics", "interval": "30s"}],
        },
    }
    # calico-node declares no container port (Calico open source) and has no metrics Service: a
    # PodMonitor port filter would drop it, so the target's address is the pod's IP (the node's:
    # hostNetwork) with Felix's port (prometheus-operator PodMonitor CRD, portNumber: "use
    # relabeling to override the __address__ label").
    felix = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": {"name": "calico-node", **meta},
        "spec": {
            "jobLabel": "k8s-app",
            "namespaceSelector": {"matchNames": [CALICO_NAMESPACE]},
            "selector": {"matchLabels": {"k8s-app": "calico-node"}},
            "podMetricsEndpoints": [
                {
                    "path": "/metrics",
                    "interval": "30s",
                    "relabelings": [
                        {
                            "sourceLabels": ["__meta_kubernetes_pod_ip"],
                            "regex": "(.+)",
                            "targetLabel": "__address__",
                            "replacement": f"$1:{FELIX_METRICS_PORT}",
                            "action": "replace",
                        }
                    ],
                }
            ],
        },
    }
    return (typha, felix)
