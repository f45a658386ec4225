"""EKS Auto Mode's Kubernetes objects, built from ``cluster.auto_mode`` (pure Python, no cdktf).

Auto Mode creates no StorageClass and no IngressClass ("Create a storage class", "Create an
IngressClass to configure an Application Load Balancer", Amazon EKS User Guide): the platform adds
the ones its add-ons name, on Auto Mode's provisioner and controller, so they work unchanged:

- StorageClass ``gp3`` (the name the EBS CSI driver's class has, which Loki, Tempo and Prometheus
  volumes use), default, encrypted, on ``ebs.csi.eks.amazonaws.com``, volumes only on Auto Mode
  nodes (``allowedTopologies`` on ``eks.amazonaws.com/compute-type: auto``, as the guide shows), so a
  pod with a volume never lands on a node group node that cannot attach it while both run;
- IngressClass ``alb`` (the class the add-ons' Ingresses name) with controller
  ``eks.amazonaws.com/alb`` and its ``IngressClassParams`` (``eks.amazonaws.com/v1``), internal
  load balancers unless an Ingress says otherwise;
- the custom pools: ``karpenter.sh/v1`` NodePools whose ``nodeClassRef`` is Auto Mode's
  ``eks.amazonaws.com`` NodeClass ``platform`` (``default`` is Auto Mode's own), with requirements on
  Auto Mode's ``eks.amazonaws.com/instance-*`` labels ("Create a Node Pool for EKS Auto Mode").
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from catalog import names
from catalog.karpenter.addon import node_pools as karpenter_node_pools

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig

PROVISIONER = "ebs.csi.eks.amazonaws.com"
INGRESS_CONTROLLER = "eks.amazonaws.com/alb"
STORAGE_CLASS = "gp3"  # catalog/addons/aws_ebs_csi_driver.DEFAULT_STORAGE_CLASS: the add-ons' volumes name it
INGRESS_CLASS = "alb"  # the class the add-ons' Ingresses name
NODE_CLASS = "platform"
COMPUTE_TYPE_LABEL = "eks.amazonaws.com/compute-type"


def storage_class() -> dict[str, Any]:
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": STORAGE_CLASS, "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": PROVISIONER,
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
        "allowedTopologies": [{"matchLabelExpressions": [{"key": COMPUTE_TYPE_LABEL, "values": ["auto"]}]}],
        "parameters": {"type": "gp3", "encrypted": "true"},
    }


def ingress_class() -> list[dict[str, Any]]:
    params = {
        "apiVersion": "eks.amazonaws.com/v1",
        "kind": "IngressClassParams",
        "metadata": {"name": INGRESS_CLASS},
        "spec": {"scheme": "internal"},
    }
    klass = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": INGRESS_CLASS},
        "spec": {
            "controller": INGRESS_CONTROLLER,
            "parameters": {"apiGroup": "eks.amazonaws.com", "kind": "IngressClassParams", "name": INGRESS_CLASS},
        },
    }
    return [params, klass]


def node_class(env: EnvironmentConfig, subnet_ids: list[str], security_group_id: str) -> dict[str, Any]:
    """The platform's NodeClass: the custom pools' node role, the private subnets, the cluster security group."""
    auto = env.cluster.auto_mode
    assert auto is not None
    return {
        "apiVersion": "eks.amazonaws.com/v1",
        "kind": "NodeClass",
        "metadata": {"name": NODE_CLASS},
        "spec": {
            "role": names.auto_custom_node_role(env.cluster_name),
            "subnetSelectorTerms": [{"id": s} for s in subnet_ids],
            "securityGroupSelectorTerms": [{"id": security_group_id}],
            "ephemeralStorage": {"size": f"{auto.disk_size_gib}Gi"},
            # No ``tags``: Auto Mode's managed policies refuse user-defined tags on what it launches
            # unless the cluster role gets tagging permissions of its own ("Amazon EKS Auto Mode
            # cluster IAM role", Custom AWS tags); without them every launch would fail.
        },
    }


def node_pools(env: EnvironmentConfig) -> list[dict[str, Any]]:
    """Karpenter's NodePool shape on Auto Mode's NodeClass and instance labels."""
    auto = env.cluster.auto_mode
    assert auto is not None
    out = []
    for pool in karpenter_node_pools(auto):  # type: ignore[arg-type]  # same fields as KarpenterConfig.node_pools
        spec = pool["spec"]["template"]["spec"]
        spec["nodeClassRef"] = {"group": "eks.amazonaws.com", "kind": "NodeClass", "name": NODE_CLASS}
        for req in spec["requirements"]:
            req["key"] = req["key"].replace("karpenter.k8s.aws/", "eks.amazonaws.com/")
        out.append(pool)
    return out


def manifests(env: EnvironmentConfig, subnet_ids: list[str], security_group_id: str) -> list[dict[str, Any]]:
    """Every object, in apply order (the NodeClass before the pools that name it)."""
    auto = env.cluster.auto_mode
    if auto is None or not auto.enabled:
        return []
    objects = [storage_class(), *ingress_class()]
    if auto.node_pools:
        objects += [node_class(env, subnet_ids, security_group_id), *node_pools(env)]
    return objects
