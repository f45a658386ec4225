"""EBS CSI driver and the cluster's default StorageClass (gp3, encrypted with the environment's key)."""

from __future__ import annotations

from typing import Any

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, AwsSide, Chart, ClusterSide, ServiceAccount, Statement

DEFAULT_STORAGE_CLASS = "gp3"


class AwsEbsCsiDriver(Addon):
    name = "aws-ebs-csi-driver"
    chart = Chart(repository="https://kubernetes-sigs.github.io/aws-ebs-csi-driver", name="aws-ebs-csi-driver", version="2.64.0", kube_version=">=1.17.0-0")
    namespace = "kube-system"
    service_account = ServiceAccount(name="ebs-csi-controller-sa", values_path=("controller", "serviceAccount"))
    # AWS's own policy (= docs/example-iam-policy.json): volume and snapshot writes are conditioned
    # on the tags the driver puts on what it creates.
    managed_policy_arns = ("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",)
    # Chart values.yaml controller/node.enableMetrics: a metrics Service per container (controller
    # 3301-3305, node 3302) and a ServiceMonitor each; the chart renders those only when Helm's
    # capabilities list the ServiceMonitor CRD, or with serviceMonitor.forceEnable. Forced, so the
    # render judges them and the release waits for kube-prometheus-stack's CRD releases
    # (stacks/addons.py, render check ``served``) rather than leaving them out on a first install.
    monitor_switch = {
        "controller": {"enableMetrics": True, "serviceMonitor": {"forceEnable": True}},
        "node": {"enableMetrics": True, "serviceMonitor": {"forceEnable": True}},
    }
    # Its metrics Services: the load balancer controller's Service webhook (failurePolicy Fail) must
    # be serving first, or the create fails on a fresh cluster (render ordering check).
    after = (AwsLoadBalancerController,)

    def policy(self, ctx: AwsSide) -> list[Statement]:
        # Volumes encrypted with a customer-managed key need these on that key (docs/install.md).
        return [
            {
                "Sid": "UseEnvironmentKeyForVolumes",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*", "kms:DescribeKey"],
                "Resource": ctx.kms_key_arn,
            },
            {
                "Sid": "GrantEnvironmentKeyToEc2",
                "Effect": "Allow",
                "Action": "kms:CreateGrant",
                "Resource": ctx.kms_key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ]

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        # The chart's schema is strict (additionalProperties: false): only keys it declares. The
        # chart creates the StorageClass itself, so it exists once the release is ready; EKS
        # >= 1.30 marks no class as default, and the PVCs of Loki, Tempo and Prometheus need one.
        return {
            # Volumes tagged kubernetes.io/cluster/<cluster>=owned, so teardown can list what is left
            # (docs/tagging.md of the driver; tools/delivery/teardown.py).
            "controller": {"region": ctx.region, "k8sTagClusterId": ctx.cluster_name},
            # The chart's `helm test` pod (kubetest e2e, 2 CPU / 8 GiB requested) fits no node of a
            # small group (render fit check); the releases are never tested with `helm test`.
            "helmTester": {"enabled": False},
            "storageClasses": [
                {
                    "name": DEFAULT_STORAGE_CLASS,
                    "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
                    "volumeBindingMode": "WaitForFirstConsumer",
                    "reclaimPolicy": "Delete",
                    "allowVolumeExpansion": True,
                    "parameters": {"type": "gp3", "encrypted": "true", "kmsKeyId": ctx.kms_key_arn},
                }
            ],
        }
