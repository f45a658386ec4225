"""EFS CSI driver and a StorageClass provisioning access points on the storage stack's file system."""

from __future__ import annotations

from typing import Any

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, AwsSide, Chart, ClusterSide, ServiceAccount, Statement

STORAGE_CLASS = "efs"
_CLUSTER_TAG = "efs.csi.aws.com/cluster"


class AwsEfsCsiDriver(Addon):
    name = "aws-efs-csi-driver"
    chart = Chart(repository="https://kubernetes-sigs.github.io/aws-efs-csi-driver/", name="aws-efs-csi-driver", version="4.4.1", kube_version=">=1.17.0-0")
    namespace = "kube-system"
    service_account = ServiceAccount(name="efs-csi-controller-sa", values_path=("controller", "serviceAccount"))
    # Chart values.yaml controller.enableMetrics (Service efs-csi-controller, port "metrics" 3301) and
    # controller.serviceMonitor.enabled (rendered regardless of Helm's capabilities).
    monitor_switch = {"controller": {"enableMetrics": True, "serviceMonitor": {"enabled": True}}}
    # Its metrics Services: the load balancer controller's Service webhook (failurePolicy Fail) must
    # be serving first, or the create fails on a fresh cluster (render ordering check).
    after = (AwsLoadBalancerController,)

    def check(self, env: Any, options: Any) -> list[str]:
        if not env.storage.efs:
            return ["needs storage.efs: true (the StorageClass binds to the environment's file system)"]
        return []

    def policy(self, ctx: AwsSide) -> list[Statement]:
        # docs/iam-policy-example.json (EFS part), narrowed from "*" to this environment's file
        # system and its access points; S3 Files actions left out (not used).
        access_points = f"arn:aws:elasticfilesystem:{ctx.region}:{ctx.account_id}:access-point/*"
        fs = ctx.efs_file_system_arn
        return [
            {
                "Sid": "Describe",
                "Effect": "Allow",
                "Action": [
                    "elasticfilesystem:DescribeAccessPoints",
                    "elasticfilesystem:DescribeFileSystems",
                    "elasticfilesystem:DescribeMountTargets",
                ],
                "Resource": [fs, access_points],
            },
            # DescribeAvailabilityZones supports no resource-level scoping.
            {"Sid": "Zones", "Effect": "Allow", "Action": "ec2:DescribeAvailabilityZones", "Resource": "*"},
            {
                "Sid": "CreateTaggedAccessPoints",
                "Effect": "Allow",
                "Action": "elasticfilesystem:CreateAccessPoint",
                "Resource": fs,
                "Condition": {"StringLike": {f"aws:RequestTag/{_CLUSTER_TAG}": "true"}},
            },
            {
                "Sid": "TagOwnAccessPoints",
                "Effect": "Allow",
                "Action": "elasticfilesystem:TagResource",
                "Resource": [fs, access_points],
                "Condition": {"StringLike": {f"aws:ResourceTag/{_CLUSTER_TAG}": "true"}},
            },
            {
                "Sid": "DeleteOwnAccessPoints",
                "Effect": "Allow",
                "Action": "elasticfilesystem:DeleteAccessPoint",
                "Resource": access_points,
                "Condition": {"StringEquals": {f"aws:ResourceTag/{_CLUSTER_TAG}": "true"}},
            },
        ]

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        # The chart creates the StorageClass (ReadWriteMany volumes as access points on the
        # storage stack's file system), so it exists once the release is ready.
        return {
            "controller": {"regionalStsEndpoints": True},
            "storageClasses": [
                {
                    "name": STORAGE_CLASS,
                    "reclaimPolicy": "Delete",
                    "volumeBindingMode": "Immediate",
                    "parameters": {
                        "provisioningMode": "efs-ap",
                        "fileSystemId": ctx.efs_file_system_id,
                        "directoryPerms": "700",
                    },
                }
            ],
        }
