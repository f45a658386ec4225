"""What each add-on needs, written down from the upstream projects — not from catalog/addons.

Tests compare the synthesized JSON (and the emulator's resources) with these facts, so a spec that
stops asking for its role, bucket or queue turns the suite red instead of changing the expectation
with it. Sources: each project's AWS/IAM install guide (saved in reference/iam, see its
SOURCES.md) and Helm install instructions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Add-on -> whether it calls AWS APIs (and so needs an IRSA role) given its options.
#   aws-load-balancer-controller: ELB/EC2 (docs/install/iam_policy.json)
#   aws-ebs-csi-driver: EC2 volumes (docs/example-iam-policy.json)
#   aws-efs-csi-driver: EFS access points for dynamic provisioning (docs/iam-policy-example.json)
#   aws-node-termination-handler: SQS, only in queue-processor mode; IMDS mode reads instance metadata
#   cluster-autoscaler: Auto Scaling (cloudprovider/aws/README.md)
#   external-dns: Route53 (docs/tutorials/aws.md)
#   external-secrets: SSM Parameter Store (docs/provider/aws-parameter-store.md)
#   loki, tempo: S3 object storage (their S3 storage guides)
#   metrics-server, sealed-secrets, tigera-operator, kube-prometheus-stack: Kubernetes API only.
CALLS_AWS: dict[str, Any] = {
    "aws-load-balancer-controller": True,
    "aws-ebs-csi-driver": True,
    "aws-efs-csi-driver": True,
    "aws-node-termination-handler": lambda options: getattr(options, "mode", "queue") == "queue",
    "cluster-autoscaler": True,
    "external-dns": True,
    "external-secrets": True,
    "loki": True,
    "tempo": True,
    "metrics-server": False,
    "sealed-secrets": False,
    "tigera-operator": False,
    "kube-prometheus-stack": False,
    "headlamp": False,  # the Kubernetes UI: Kubernetes API only
    "alloy": False,  # reads node files and the Kubernetes API, pushes to Loki in the cluster
}

# Buckets the add-on stores data in: Loki needs chunks and ruler buckets (the chart refuses to
# render without loki.storage.bucketNames.chunks, reference/packaged/SOURCES.md), Tempo
# one trace bucket.
BUCKETS: dict[str, set[str]] = {"loki": {"chunks", "ruler"}, "tempo": {"traces"}}

# Helm repository and namespace of each chart, as the projects' install instructions give them
# (kube-system for the node-level and AWS controllers the AWS docs install there).
RELEASES: dict[str, tuple[str, str]] = {
    "aws-load-balancer-controller": ("https://aws.github.io/eks-charts", "kube-system"),
    "aws-ebs-csi-driver": ("https://kubernetes-sigs.github.io/aws-ebs-csi-driver", "kube-system"),
    "aws-efs-csi-driver": ("https://kubernetes-sigs.github.io/aws-efs-csi-driver/", "kube-system"),
    "aws-node-termination-handler": ("oci://public.ecr.aws/aws-ec2/helm", "kube-system"),
    "cluster-autoscaler": ("https://kubernetes.github.io/autoscaler", "kube-system"),
    "metrics-server": ("https://kubernetes-sigs.github.io/metrics-server/", "kube-system"),
    "sealed-secrets": ("https://bitnami-labs.github.io/sealed-secrets", "kube-system"),
    "external-dns": ("https://kubernetes-sigs.github.io/external-dns/", "external-dns"),
    "external-secrets": ("https://charts.external-secrets.io", "external-secrets"),
    "kube-prometheus-stack": ("https://prometheus-community.github.io/helm-charts", "monitoring"),
    "loki": ("https://grafana-community.github.io/helm-charts", "loki"),
    "tempo": ("https://grafana-community.github.io/helm-charts", "tempo"),
    "tigera-operator": ("https://docs.tigera.io/calico/charts", "tigera-operator"),
    "headlamp": ("https://kubernetes-sigs.github.io/headlamp/", "headlamp"),
    # Alloy's Helm install guide (grafana.com/docs/alloy/latest/set-up/install/kubernetes/).
    "alloy": ("https://grafana.github.io/helm-charts", "alloy"),
}


def calls_aws(name: str, options: Any) -> bool:
    rule = CALLS_AWS[name]
    return rule(options) if callable(rule) else rule


def expected_roles(cluster_name: str, addons: Mapping[str, Any]) -> set[str]:
    """IAM role names ``<cluster>-<add-on>`` the enabled add-ons must get."""
    return {f"{cluster_name}-{name}" for name, options in addons.items() if calls_aws(name, options)}


def expected_bucket_purposes(addons: Mapping[str, Any]) -> dict[str, set[str]]:
    return {name: BUCKETS[name] for name in addons if name in BUCKETS}


def needs_interruption_queue(addons: Mapping[str, Any]) -> bool:
    return "aws-node-termination-handler" in addons and calls_aws("aws-node-termination-handler", addons["aws-node-termination-handler"])


# The service account each role is bound to: the chart's default name where values.yaml sets one
# (the CSI drivers' controller accounts), otherwise the chart's fullname, which is the release name.
SERVICE_ACCOUNTS: dict[str, str] = {
    "aws-ebs-csi-driver": "ebs-csi-controller-sa",
    "aws-efs-csi-driver": "efs-csi-controller-sa",
    **{
        name: name
        for name in ("aws-load-balancer-controller", "aws-node-termination-handler", "cluster-autoscaler", "external-dns", "external-secrets", "loki", "tempo")
    },
}
