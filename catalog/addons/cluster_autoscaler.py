"""Cluster Autoscaler discovering the cluster's node groups by their autoscaler tags."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, AwsSide, Chart, ClusterSide, Options, ServiceAccount, Statement

# The autoscaler minor must match the cluster's Kubernetes minor (CA README, "Releases"); the
# chart's default image (v1.35.0) does not. 1.31-1.33: latest patches as of chart 9.59.0; 1.34
# and 1.35: the upstream releases IBM Cloud's add-on changelog ships in 2026-07 (v1.34.4,
# v1.35.0 = the chart's appVersion). No 1.36 release is pinned: a 1.36 cluster with this add-on
# fails at load time (catalog/addons/kube_versions.py) until one is added here.
IMAGE_TAGS = {"1.31": "v1.31.5", "1.32": "v1.32.7", "1.33": "v1.33.6", "1.34": "v1.34.4", "1.35": "v1.35.0"}


class ClusterAutoscalerOptions(Options):
    expander: str = Field(default="least-waste", pattern="^(random|most-pods|least-waste|price|priority|least-nodes)$")
    replicas: int = Field(default=1, ge=1, le=3)


def asg_tag_conditions(cluster_name: str) -> dict[str, Any]:
    """IAM condition matching only the autoscaling groups of this cluster's node groups."""
    return {
        "StringEquals": {
            f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned",
            "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
        }
    }


class ClusterAutoscaler(Addon):
    name = "cluster-autoscaler"
    chart = Chart(repository="https://kubernetes.github.io/autoscaler", name="cluster-autoscaler", version="9.59.0")
    namespace = "kube-system"
    monitor_switch = {"serviceMonitor": {"enabled": True, "namespace": "kube-system"}}  # chart values.yaml serviceMonitor
    service_account = ServiceAccount(name="cluster-autoscaler", values_path=("rbac", "serviceAccount"))
    options_model = ClusterAutoscalerOptions
    # Its chart renders a Service: the load balancer controller's Service webhook (failurePolicy
    # Fail) must be serving first, or the create fails on a fresh cluster (render ordering check).
    after = (AwsLoadBalancerController,)

    def policy(self, ctx: AwsSide) -> list[Statement]:
        return [
            # Describe* calls support no resource-level permissions (CA cloudprovider/aws README).
            {
                "Sid": "Discover",
                "Effect": "Allow",
                "Action": [
                    "autoscaling:DescribeAutoScalingGroups",
                    "autoscaling:DescribeAutoScalingInstances",
                    "autoscaling:DescribeLaunchConfigurations",
                    "autoscaling:DescribeScalingActivities",
                    "autoscaling:DescribeTags",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplateVersions",
                    "ec2:GetInstanceTypesFromInstanceRequirements",
                    "eks:DescribeNodegroup",
                ],
                "Resource": "*",
            },
            {
                "Sid": "ScaleOwnNodeGroups",
                "Effect": "Allow",
                "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
                "Resource": f"arn:aws:autoscaling:{ctx.region}:{ctx.account_id}:autoScalingGroup:*:autoScalingGroupName/*",
                "Condition": asg_tag_conditions(ctx.cluster_name),
            },
        ]

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: ClusterAutoscalerOptions = ctx.options
        return {
            "cloudProvider": "aws",
            "awsRegion": ctx.region,
            "autoDiscovery": {"clusterName": ctx.cluster_name},
            "image": {"tag": IMAGE_TAGS[ctx.env.cluster.version]},
            "replicaCount": opts.replicas,
            "extraArgs": {
                "balance-similar-node-groups": True,
                "expander": opts.expander,
                "skip-nodes-with-system-pods": False,
            },
        }
