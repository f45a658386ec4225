"""Karpenter's controller must land on its managed node group on the very first apply.

The expectation is taken from what EKS documents about the labels on a managed node (not from
the code that picks the selector): EKS adds ``eks.amazonaws.com/nodegroup`` = the node group's
*name* (Amazon EKS User Guide, "Simplify node lifecycle with managed node groups",
https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html), and a node group
created with ``node_group_name_prefix`` gets a name Terraform generates at apply
(``<prefix><timestamp suffix>``: hashicorp/aws ``aws_eks_node_group``, argument
``node_group_name_prefix``). So a selector may only use the labels the node group resource sets
itself (its ``labels`` argument, which EKS applies to every node of the group) or a documented
label whose value is fixed before apply.
"""

from __future__ import annotations

from typing import Any

from tests.addons.test_addons import values_of
from tests.conftest import Synth

# Kubernetes well-known labels whose value is known from the configuration alone
# (https://kubernetes.io/docs/reference/labels-annotations-taints/): none of them names one node group.
KNOWN_BEFORE_APPLY = ("kubernetes.io/os", "kubernetes.io/arch")


def controller_group(s: Synth, env: str, key: str) -> dict[str, Any]:
    groups = s.resources(f"{env}-cluster", "aws_eks_node_group")
    [group] = [g for g in groups.values() if g.get("node_group_name_prefix") == f"{key}-" or g.get("node_group_name") == key]
    return group


def test_the_controllers_node_selector_is_a_label_its_node_group_sets_itself(synth: Synth) -> None:
    [release] = [r for r in synth.resources("staging-addons", "helm_release").values() if r["name"] == "karpenter"]
    selector = values_of(release)["nodeSelector"]
    group = controller_group(synth, "staging", "general")
    assert "node_group_name" not in group  # generated at apply: nothing can select on it
    labels = group.get("labels") or {}
    assert selector, "the controller must be pinned to its managed node group"
    for key, value in selector.items():
        assert key in KNOWN_BEFORE_APPLY or labels.get(key) == value, (
            f"nodeSelector {key}={value}: not a label the node group sets ({labels}) nor one known before apply"
        )
    # and the label it selects on is the controller group's alone: no other group sets it
    others = [g.get("labels") or {} for g in synth.resources("staging-cluster", "aws_eks_node_group").values() if g is not group]
    assert not any(all(o.get(k) == v for k, v in selector.items()) for o in others)
