"""The fit check's node labels are the ones EKS and Karpenter put on nodes, from their documentation,
not the environment file's keys:

- managed node groups: the group's own ``labels`` (EKS applies them to every node), plus
  ``eks.amazonaws.com/nodegroup`` = the node group's name and ``eks.amazonaws.com/capacityType``
  (Amazon EKS User Guide, "Simplify node lifecycle with managed node groups",
  https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html). The groups here are
  created with ``node_group_name_prefix`` (modules/cluster/node_groups.py), so their name, and the label, is
  ``<key>-<suffix generated at apply>``: no selector written before apply can match it.
- every node: ``kubernetes.io/os``, ``kubernetes.io/arch``, ``node.kubernetes.io/instance-type``,
  ``topology.kubernetes.io/region`` / ``zone`` (https://kubernetes.io/docs/reference/labels-annotations-taints/).
- Karpenter nodes: ``karpenter.sh/nodepool``, ``karpenter.sh/capacity-type`` and the
  ``karpenter.k8s.aws/instance-*`` labels (https://karpenter.sh/docs/concepts/scheduling/,
  "Well-Known Labels").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.render_check_support import container, context, environment, messages, release, workload
from tools.render.checks import fit
from tools.render.releases import Synthesized

GROUPS = {"system": {"instance_types": ["t3.large"], "min_size": 1, "desired_size": 1, "max_size": 3, "labels": {"workload": "system"}}}


def _dev(d: dict[str, Any]) -> None:
    d["cluster"]["node_groups"] = json.loads(json.dumps(GROUPS))


ENV = environment("dev", _dev)


def pod(**spec: Any) -> dict[str, Any]:
    return workload("Deployment", "web", containers=[container("100m", "128Mi")], **spec)


def findings(*objects: dict[str, Any], synth: Synthesized | None = None) -> list[str]:
    return messages(fit.check(context(ENV, release("app", "apps", *objects), synth=synth)))


def test_a_node_selector_on_the_generated_node_group_name_is_a_finding() -> None:
    [message] = findings(pod(nodeSelector={"eks.amazonaws.com/nodegroup": "system"}))
    assert "eks.amazonaws.com/nodegroup" in message and "known only after apply" in message


def test_required_affinity_on_the_generated_node_group_name_is_a_finding() -> None:
    term = {"matchExpressions": [{"key": "eks.amazonaws.com/nodegroup", "operator": "In", "values": ["system"]}]}
    [message] = findings(pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}))
    assert "eks.amazonaws.com/nodegroup" in message and "known only after apply" in message


def test_documented_labels_known_before_apply_select_the_group() -> None:
    for selector in (
        {"workload": "system"},
        {"eks.amazonaws.com/capacityType": "ON_DEMAND"},
        {"node.kubernetes.io/instance-type": "t3.large"},
        {"topology.kubernetes.io/region": ENV.region},
        {"kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64"},
    ):
        assert findings(pod(nodeSelector=selector)) == [], selector


def test_existence_of_the_node_group_label_is_known_before_apply() -> None:
    term = {"matchExpressions": [{"key": "eks.amazonaws.com/nodegroup", "operator": "Exists"}]}
    assert findings(pod(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}})) == []


def test_with_the_synthesized_stacks_a_groups_labels_are_those_its_resource_sets(tmp_path: Path) -> None:
    # What Terraform will send to EKS, not the environment file: a label only the resource sets counts.
    stack = tmp_path / "stacks" / "dev-cluster"
    stack.mkdir(parents=True)
    group = {
        "node_group_name_prefix": "system-",
        "capacity_type": "ON_DEMAND",
        "instance_types": ["t3.large"],
        "labels": {"workload": "system", "extra": "yes"},
    }
    stack.joinpath("cdk.tf.json").write_text(json.dumps({"resource": {"aws_eks_node_group": {"node-groups_system_1": group}}}))
    assert findings(pod(nodeSelector={"extra": "yes"}), synth=Synthesized(tmp_path)) == []
    [message] = findings(pod(nodeSelector={"extra": "yes"}))  # not in the file: fits nothing
    assert "not matched" in message
