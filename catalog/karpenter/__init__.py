"""Karpenter as the platform runs it: the pinned version, its charts and node objects
(``addon.py``) and its controller's IAM policies (``policy.py``)."""

from typing import Any

# The pinned controller. Charts, IAM policy and the compatibility range below move together.
KARPENTER_VERSION = "1.14.1"

# Karpenter's compatibility matrix at the pinned version: hack/docs/compatibilitymatrix_gen/
# compatibility.yaml @ v1.14.1 (aws/karpenter-provider-aws, commit bde00654) has
# ``appVersion: 1.14.x, minK8sVersion: 1.26, maxK8sVersion: 1.36``; the rendered table is
# website/content/en/docs/upgrading/compatibility.md at the same tag.
SUPPORTED_KUBERNETES = ("1.26", "1.36")

# The label the controller's managed node group puts on its own nodes (its ``labels`` argument:
# EKS applies a node group's labels to every node of it), and the controller's nodeSelector. Not
# EKS's ``eks.amazonaws.com/nodegroup``: that label holds the node group's name (Amazon EKS User
# Guide, "Simplify node lifecycle with managed node groups"), which Terraform generates at apply
# from ``node_group_name_prefix`` (``general-<suffix>``, modules/cluster/node_groups.py), so no value
# written here could ever match it and the controller would stay Pending.
CONTROLLER_NODE_LABEL = "platform.example.com/node-group"


def controller_node_labels(k: Any) -> dict[str, str]:
    """The labels the controller's node group adds to its nodes, and the controller selects."""
    return {CONTROLLER_NODE_LABEL: k.controller_node_group}
