"""The Karpenter controller's IAM policies, exactly as Karpenter v1.14.1 ships them (pure Python).

Source: ``website/content/en/docs/getting-started/getting-started-with-karpenter/cloudformation.yaml``
at aws/karpenter-provider-aws v1.14.1 (commit bde00654), its six ``AWS::IAM::ManagedPolicy``
documents parsed out of the ``!Sub`` strings into ``policies/karpenter_controller_policies_v1.14.1.json``
(a verbatim copy of reference/iam/karpenter_controller_policies_v1.14.1_extracted.json;
a test compares them). Not terraform-aws-eks' karpenter module policy: module releases lag
Karpenter's, and current controllers call actions (capacity reservations, placement groups,
zonal shift) that older documents lack.

The only change to the documents is the template's own parameters, filled in for this cluster:
the cluster name in its tag conditions (``kubernetes.io/cluster/<name>: owned``,
``eks:eks-cluster-name``), the region, account, partition, the interruption queue's ARN and the
node role's ARN. Without interruption handling there is no queue and the Interruption policy is
left out.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from catalog import names

POLICY_FILE = Path(__file__).resolve().parent / "policies" / "karpenter_controller_policies_v1.14.1.json"

# The order of the template; keys are the template's logical IDs without "Policy".
POLICY_KEYS = ("NodeLifecycle", "IAMIntegration", "EKSIntegration", "Interruption", "ZonalShift", "ResourceDiscovery")


@cache
def _official() -> dict[str, Any]:
    policies: dict[str, Any] = json.loads(POLICY_FILE.read_text(encoding="utf-8"))["policies"]
    return policies


def official_documents() -> dict[str, dict[str, Any]]:
    """Template logical ID prefix -> its PolicyDocument with the ``${...}`` placeholders kept."""
    return {key: json.loads(json.dumps(_official()[f"{key}Policy"]["PolicyDocument"])) for key in POLICY_KEYS}


def _fill(node: Any, values: dict[str, str]) -> Any:
    if isinstance(node, str):
        for placeholder, value in values.items():
            node = node.replace(placeholder, value)
        return node
    if isinstance(node, list):
        return [_fill(v, values) for v in node]
    if isinstance(node, dict):
        return {_fill(k, values): _fill(v, values) for k, v in node.items()}
    return node


def controller_policies(
    *,
    cluster_name: str,
    region: str,
    account_id: str,
    node_role_arn: str,
    queue_arn: str | None,
    partition: str = "aws",
) -> dict[str, dict[str, Any]]:
    """Policy key -> document for this cluster. ``queue_arn`` None: no Interruption policy.

    ``node_role_arn`` and ``queue_arn`` may be tokens: they are only placed, never inspected.
    """
    values = {
        "${AWS::Partition}": partition,
        "${AWS::Region}": region,
        "${AWS::AccountId}": account_id,
        "${ClusterName}": cluster_name,
        "${KarpenterNodeRole.Arn}": node_role_arn,
        "${KarpenterInterruptionQueue.Arn}": queue_arn or "",
    }
    docs = official_documents()
    if queue_arn is None:
        del docs["Interruption"]
    return {key: _fill(doc, values) for key, doc in docs.items()}


def policy_name(cluster_name: str, key: str) -> str:
    """The template's managed policy name: ``KarpenterController<Key>Policy-<cluster>``."""
    return names.karpenter_policy(cluster_name, key)


# EventBridge rules of the same template (ScheduledChangeRule ... CapacityReservationInterruptionRule),
# keyed for rule names ``<queue>-<key>``.
EVENT_PATTERNS: dict[str, dict[str, object]] = {
    "scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
    "capacity-reservation-interruption": {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"],
    },
}

# The node role's managed policies (template: KarpenterNodeRole.ManagedPolicyArns).
NODE_ROLE_POLICIES = (
    "AmazonEKS_CNI_Policy",
    "AmazonEKSWorkerNodePolicy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
