"""AWS Node Termination Handler: drains nodes before spot interruptions and scheduled events.

Queue mode (default) reads EC2/Health events from an SQS queue fed by EventBridge rules and needs
an IRSA role; IMDS mode runs a DaemonSet polling instance metadata and calls no AWS API.
"""

from __future__ import annotations

from typing import Any, Literal

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, AwsNeeds, AwsSide, Chart, ClusterSide, Options, ServiceAccount, Statement


class NodeTerminationOptions(Options):
    mode: Literal["queue", "imds"] = "queue"


class AwsNodeTerminationHandler(Addon):
    name = "aws-node-termination-handler"
    chart = Chart(repository="oci://public.ecr.aws/aws-ec2/helm", name="aws-node-termination-handler", version="0.27.6", kube_version=">= 1.16-0")
    namespace = "kube-system"
    service_account = ServiceAccount(name="aws-node-termination-handler", values_path=("serviceAccount",))
    options_model = NodeTerminationOptions
    after = (AwsLoadBalancerController,)

    def uses_role(self, options: NodeTerminationOptions) -> bool:
        return options.mode == "queue"

    def aws_needs(self, options: NodeTerminationOptions) -> AwsNeeds:
        return AwsNeeds(interruption_queue=options.mode == "queue")

    def policy(self, ctx: AwsSide) -> list[Statement]:
        if not self.uses_role(ctx.options):
            return []
        # README "Queue Processor" policy, with the queue actions narrowed to this queue.
        # CompleteLifecycleAction is left out: no ASG lifecycle hooks are routed to the queue
        # (managed node groups drain through their own hooks).
        return [
            # These three support no resource-level scoping.
            {
                "Sid": "Describe",
                "Effect": "Allow",
                "Action": ["autoscaling:DescribeAutoScalingInstances", "autoscaling:DescribeTags", "ec2:DescribeInstances"],
                "Resource": "*",
            },
            {
                "Sid": "ConsumeQueue",
                "Effect": "Allow",
                "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage"],
                "Resource": ctx.queue_arn,
            },
        ]

    def monitor_values(self, options: Any) -> dict[str, Any]:
        # Chart values.yaml: the ServiceMonitor "needs enableSqsTerminationDraining: true", the
        # PodMonitor "enableSqsTerminationDraining: false"; both need enablePrometheusServer.
        monitor = "serviceMonitor" if options.mode == "queue" else "podMonitor"
        return {"enablePrometheusServer": True, monitor: {"create": True}}

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: NodeTerminationOptions = ctx.options
        if opts.mode == "imds":
            return {
                "enableSqsTerminationDraining": False,
                "enableSpotInterruptionDraining": True,
                "enableScheduledEventDraining": True,
                "enableRebalanceMonitoring": True,
                "useHostNetwork": True,  # IMDSv2 with hop limit 1 is reachable only from the host network
            }
        return {
            "enableSqsTerminationDraining": True,
            "queueURL": ctx.queue_url,
            "awsRegion": ctx.region,
            # The rules see every instance in the account and region: act only on this cluster's.
            "checkTagBeforeDraining": True,
            "managedTag": f"kubernetes.io/cluster/{ctx.cluster_name}",
            "deleteSqsMsgIfNodeNotFound": True,
        }
