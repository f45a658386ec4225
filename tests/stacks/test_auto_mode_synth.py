"""EKS Auto Mode in the synthesized Terraform JSON: the cluster's switches, the roles and access
entry Auto Mode needs, the objects the add-ons name, and nothing it replaces.

Expectations from the Amazon EKS User Guide: "Amazon EKS Auto Mode cluster IAM role" (four policies
beside AmazonEKSClusterPolicy, trust with sts:TagSession), "Amazon EKS Auto Mode node IAM role"
(AmazonEKSWorkerNodeMinimalPolicy, AmazonEC2ContainerRegistryPullOnly), "Create a Node Class"
(access entry type EC2 with AmazonEKSAutoNodePolicy), "Create a storage class" (provisioner
ebs.csi.eks.amazonaws.com), "Create an IngressClass" (controller eks.amazonaws.com/alb), "Create a
Node Pool" (nodeClassRef group eks.amazonaws.com); the aws provider 5.100.0 schema for the blocks.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from environments import ENVIRONMENTS_DIR
from tests.conftest import Synth, run_main

REPLACED = ("aws-load-balancer-controller", "aws-ebs-csi-driver", "cluster-autoscaler", "aws-node-termination-handler")


def _moved(name: str, account: str, auto_mode: dict[str, Any], *, restore: bool = False) -> dict[str, Any]:
    """dev, under another name and account, with Auto Mode on (or, with ``restore``, off again)."""
    data = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())
    data = json.loads(json.dumps(data).replace("111111111111", account))
    data.update(name=name, account_id=account)
    data["state_backend"]["bucket"] = f"acme-platform-{name}-tfstate"
    data.pop("ci", None)
    if not restore:
        for addon in REPLACED:
            data["addons"].pop(addon)
    data["cluster"]["auto_mode"] = auto_mode
    return data


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    directory = tmp_path_factory.mktemp("envs")
    (directory / "auto.yaml").write_text((ENVIRONMENTS_DIR / "auto.yaml").read_text())
    (directory / "dev.yaml").write_text((ENVIRONMENTS_DIR / "dev.yaml").read_text())
    (directory / "moving.yaml").write_text(yaml.safe_dump(_moved("moving", "555555555555", {})))
    off = _moved("leaving", "666666666666", {"enabled": False, "built_in_pools": []}, restore=True)
    (directory / "leaving.yaml").write_text(yaml.safe_dump(copy.deepcopy(off)))
    out = tmp_path_factory.mktemp("out") / "cdktf.out"
    proc = run_main(out, env_dir=directory, only="auto,dev,moving,leaving")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return Synth(out)


def _cluster(synth: Synth, env: str) -> dict[str, Any]:
    return synth.one(f"{env}-cluster", "aws_eks_cluster")


def _role(synth: Synth, env: str, name: str) -> tuple[str, dict[str, Any]]:
    found = [(k, r) for k, r in synth.resources(f"{env}-cluster", "aws_iam_role").items() if r["name"] == name]
    assert len(found) == 1, f"no role {name} in {env}-cluster"
    return found[0]


def _attached(synth: Synth, env: str, role_key: str) -> set[str]:
    ref = f"${{aws_iam_role.{role_key}.name}}"
    return {a["policy_arn"].rsplit("/", 1)[1] for a in synth.resources(f"{env}-cluster", "aws_iam_role_policy_attachment").values() if a["role"] == ref}


def test_cluster_switches_auto_mode_on_with_its_three_blocks(synth: Synth) -> None:
    eks = _cluster(synth, "auto")
    node_key, _ = _role(synth, "auto", "auto-eks-auto-node")
    assert eks["compute_config"] == {
        "enabled": True,
        "node_pools": ["general-purpose", "system"],
        "node_role_arn": f"${{aws_iam_role.{node_key}.arn}}",
    }
    assert eks["storage_config"] == {"block_storage": {"enabled": True}}
    assert eks["kubernetes_network_config"] == {"elastic_load_balancing": {"enabled": True}}


def test_bootstrap_self_managed_addons_is_off_for_new_clusters_and_never_replaces_old_ones(synth: Synth) -> None:
    for env in ("auto", "moving"):
        eks = _cluster(synth, env)
        assert eks["bootstrap_self_managed_addons"] is False
        assert "bootstrap_self_managed_addons" in eks["lifecycle"]["ignore_changes"]


def test_cluster_role_has_auto_mode_policies_and_tag_session_trust(synth: Synth) -> None:
    key, role = _role(synth, "auto", "auto-eks-cluster")
    statement = json.loads(role["assume_role_policy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    assert {
        "AmazonEKSComputePolicy",
        "AmazonEKSBlockStoragePolicy",
        "AmazonEKSLoadBalancingPolicy",
        "AmazonEKSNetworkingPolicy",
        "AmazonEKSClusterPolicy",
    } <= _attached(synth, "auto", key)


def test_node_roles_and_the_custom_roles_access_entry(synth: Synth) -> None:
    for name in ("auto-eks-auto-node", "auto-eks-auto-custom-node"):
        key, role = _role(synth, "auto", name)
        assert json.loads(role["assume_role_policy"])["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
        assert _attached(synth, "auto", key) == {"AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly"}
    custom_key, _ = _role(synth, "auto", "auto-eks-auto-custom-node")
    builtin_key, _ = _role(synth, "auto", "auto-eks-auto-node")
    entries = [e for e in synth.resources("auto-cluster", "aws_eks_access_entry").values() if e["type"] == "EC2"]
    assert [e["principal_arn"] for e in entries] == [f"${{aws_iam_role.{custom_key}.arn}}"]  # EKS creates the built-in role's
    assert all(builtin_key not in e["principal_arn"] for e in synth.resources("auto-cluster", "aws_eks_access_entry").values())
    policies = [p["policy_arn"] for p in synth.resources("auto-cluster", "aws_eks_access_policy_association").values() if "AutoNode" in p["policy_arn"]]
    assert policies == ["arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy"]


def test_core_addons_auto_mode_runs_are_left_out_only_without_node_groups(synth: Synth) -> None:
    installed = {env: {a["addon_name"] for a in synth.resources(f"{env}-cluster", "aws_eks_addon").values()} for env in ("auto", "moving")}
    assert installed["auto"] == {"eks-pod-identity-agent"}
    assert installed["moving"] == {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"}  # the node groups still need them


def _auto_objects(synth: Synth, env: str) -> tuple[str, list[dict[str, Any]]]:
    releases = synth.resources(f"{env}-addons", "helm_release")
    found = [(k, r) for k, r in releases.items() if r["name"] == "eks-auto-mode"]
    assert len(found) == 1
    return found[0][0], json.loads(found[0][1]["values"][0])["manifests"]


def test_storage_and_ingress_classes_on_auto_modes_provisioner_and_controller(synth: Synth) -> None:
    _, objects = _auto_objects(synth, "auto")
    (sc,) = [o for o in objects if o["kind"] == "StorageClass"]
    assert sc["provisioner"] == "ebs.csi.eks.amazonaws.com"
    assert sc["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
    assert sc["parameters"] == {"type": "gp3", "encrypted": "true"}
    (ic,) = [o for o in objects if o["kind"] == "IngressClass"]
    assert ic["spec"]["controller"] == "eks.amazonaws.com/alb"
    (params,) = [o for o in objects if o["kind"] == "IngressClassParams"]
    assert params["apiVersion"] == "eks.amazonaws.com/v1" and ic["spec"]["parameters"]["name"] == params["metadata"]["name"]


def test_custom_pools_are_auto_mode_objects_not_karpenters(synth: Synth) -> None:
    _, objects = _auto_objects(synth, "auto")
    (node_class,) = [o for o in objects if o["kind"] == "NodeClass"]
    assert node_class["apiVersion"] == "eks.amazonaws.com/v1" and node_class["spec"]["role"] == "auto-eks-auto-custom-node"
    assert node_class["metadata"]["name"] != "default"  # Auto Mode's own NodeClass
    (pool,) = [o for o in objects if o["kind"] == "NodePool"]
    spec = pool["spec"]["template"]["spec"]
    assert spec["nodeClassRef"] == {"group": "eks.amazonaws.com", "kind": "NodeClass", "name": node_class["metadata"]["name"]}
    keys = {r["key"] for r in spec["requirements"]}
    assert "eks.amazonaws.com/instance-category" in keys and not any(k.startswith("karpenter.k8s.aws/") for k in keys)
    assert spec["taints"] == [{"key": "workload", "value": "batch", "effect": "NoSchedule"}]


def test_every_addon_waits_for_the_classes_it_names(synth: Synth) -> None:
    key, _ = _auto_objects(synth, "auto")
    releases = synth.resources("auto-addons", "helm_release")

    def waits_for(name: str) -> set[str]:  # depends_on, followed through the releases it names
        seen: set[str] = set()
        todo = list(releases[name].get("depends_on", []))
        while todo:
            address = todo.pop()
            if address not in seen:
                seen.add(address)
                todo += releases.get(address.removeprefix("helm_release."), {}).get("depends_on", [])
        return seen

    for name, release in releases.items():
        # Every release but the classes' own and a chart's CRD release (no volume or Ingress there).
        if name != key and not release["name"].endswith("-crds"):
            assert f"helm_release.{key}" in waits_for(name), name


def test_nothing_auto_mode_replaces_is_synthesized(synth: Synth) -> None:
    names = {r["name"] for r in synth.resources("auto-addons", "helm_release").values()}
    assert not names & {*REPLACED, "karpenter", "karpenter-crd"}


def test_turning_off_writes_the_switches_false_and_keeps_the_built_in_node_role(synth: Synth) -> None:
    """aws 5.100.0 replaces a cluster whose compute_config.node_role_arn goes away (hashicorp/
    terraform-provider-aws #40582, terraform-aws-modules/terraform-aws-eks #3321); turning Auto Mode off
    with the role still named is an in-place update (hashicorp/terraform-provider-aws #40411)."""
    eks = _cluster(synth, "leaving")
    key, _ = _role(synth, "leaving", "leaving-eks-auto-node")
    assert eks["compute_config"] == {"enabled": False, "node_role_arn": f"${{aws_iam_role.{key}.arn}}"}
    assert eks["storage_config"] == {"block_storage": {"enabled": False}}
    assert eks["kubernetes_network_config"] == {"elastic_load_balancing": {"enabled": False}}
    assert not [r for r in synth.resources("leaving-cluster", "aws_iam_role").values() if r["name"] == "leaving-eks-auto-custom-node"]
    assert not [r for r in synth.resources("leaving-addons", "helm_release").values() if r["name"] == "eks-auto-mode"]


def test_an_environment_without_auto_mode_is_unchanged(synth: Synth) -> None:
    eks = _cluster(synth, "dev")
    assert not {"compute_config", "storage_config", "kubernetes_network_config", "bootstrap_self_managed_addons"} & set(eks)
    _, role = _role(synth, "dev", "dev-eks-cluster")
    assert json.loads(role["assume_role_policy"])["Statement"][0]["Action"] == "sts:AssumeRole"
