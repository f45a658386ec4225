"""``network.pod_network`` on a first deploy, with Karpenter and interface endpoints: what the
documentation of the VPC CNI, EKS and Karpenter says must hold, checked on the synthesized JSON.

- A node under custom networking gives pods no address until the ENIConfig its
  ``ENI_CONFIG_LABEL_DEF`` label names exists (amazon-vpc-cni-k8s README, "ENI_CONFIG_LABEL_DEF";
  issues #264, #611: pods stuck in ContainerCreating, CoreDNS never ready). EKS then keeps the
  coredns add-on DEGRADED and the ``<env>-cluster`` apply fails on it, so the ENIConfigs have to
  exist before the first node starts: in the cluster stack, before the node groups.
- With custom networking a pod's packets to an interface endpoint in the VPC leave with the pod's
  own secondary-range address (SNAT applies only to traffic leaving the VPC: amazon-vpc-cni-k8s
  README, ``AWS_VPC_K8S_CNI_EXTERNALSNAT``; EKS User Guide, "Pod networking / custom networking":
  pods get addresses from the ENIConfig's subnet), so the endpoints' security group must admit it.
- Karpenter's ``reservedENIs`` "is most often used in the VPC CNI custom networking setup" (its
  chart's values.yaml at 1.14.1; aws/amazon-vpc-cni-k8s#3238): with custom networking the primary
  ENI holds no pod addresses, so one ENI is reserved.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest
import yaml

from tests.addons.test_addons import values_of
from tests.config.test_config import write_env
from tests.conftest import ROOT, Synth, run_main

POD_NETWORK = {"cidr": "100.64.0.0/16", "subnets": ["100.64.0.0/17", "100.64.128.0/17"]}  # dev has two zones
ZONES = ("eu-west-1a", "eu-west-1b")


@pytest.fixture(scope="module")
def pods(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    directory = tmp_path_factory.mktemp("envs")
    staging = yaml.safe_load((ROOT / "environments" / "staging.yaml").read_text())

    def change(d: dict[str, Any]) -> None:
        d["network"].update(pod_network=POD_NETWORK, interface_endpoints=["ecr.api", "ecr.dkr", "sts", "logs"])
        d["cluster"]["autoscaler"] = "karpenter"
        d["karpenter"] = {**staging["karpenter"], "controller_node_group": "system"}
        d["addons"].pop("cluster-autoscaler", None)

    write_env(directory, change)
    outdir = tmp_path_factory.mktemp("out") / "cdktf.out"
    proc = run_main(outdir, env_dir=directory, only="dev")
    assert proc.returncode == 0, proc.stderr
    return Synth(outdir)


def _vpc_cni(s: Synth) -> tuple[str, dict[str, Any]]:
    [(key, cni)] = [(k, a) for k, a in s.resources("dev-cluster", "aws_eks_addon").items() if a["addon_name"] == "vpc-cni"]
    return key, cni


def test_the_eni_configs_exist_before_the_first_node(pods: Synth) -> None:
    key, cni = _vpc_cni(pods)
    values = json.loads(cni["configuration_values"])
    assert values["env"]["ENI_CONFIG_LABEL_DEF"] == "topology.kubernetes.io/zone"
    # An ENIConfig per zone, named as the zone label its nodes carry: the vpc-cni add-on creates them
    # (its configuration schema's eniConfig {create, region, subnets: {<name>: {id, securityGroups}}}).
    eni = values.get("eniConfig")
    assert eni, "no ENIConfig is created in the cluster stack"
    assert eni["create"] is True and eni["region"] == "eu-west-1"
    assert sorted(eni["subnets"]) == list(ZONES)
    for _zone, subnet in eni["subnets"].items():
        assert "network_pods_subnet" in subnet["id"], subnet  # the network stack's pod subnet of that zone
        assert subnet["securityGroups"] and "cluster_security_group_id" in subnet["securityGroups"][0]
    # ...and every node group waits for that add-on.
    for group in pods.resources("dev-cluster", "aws_eks_node_group").values():
        assert f"aws_eks_addon.{key}" in group["depends_on"]
    # Nothing later creates them again (two owners of one object).
    later = [r["name"] for r in pods.resources("dev-addons", "helm_release").values() if "ENIConfig" in json.dumps(r.get("values", []))]
    assert later == []


def test_the_endpoints_admit_https_from_the_pods_secondary_range(pods: Synth) -> None:
    groups = {k: g for k, g in pods.resources("dev-network", "aws_security_group").items() if g["name"].endswith("-vpc-endpoints")}
    [sg_key] = groups
    rules = [
        r for r in pods.resources("dev-network", "aws_vpc_security_group_ingress_rule").values() if f"aws_security_group.{sg_key}." in r["security_group_id"]
    ]
    admitted = [ipaddress.IPv4Network(r["cidr_ipv4"]) for r in rules if r["from_port"] <= 443 <= r["to_port"] and r.get("cidr_ipv4")]
    for source in (POD_NETWORK["cidr"], "10.10.0.0/16"):  # pods (their own address), nodes (the VPC's primary CIDR)
        assert any(ipaddress.IPv4Network(source).subnet_of(a) for a in admitted), (source, admitted)


def test_karpenter_reserves_the_primary_eni_under_custom_networking(pods: Synth) -> None:
    [release] = [r for r in pods.resources("dev-addons", "helm_release").values() if r["name"] == "karpenter"]
    assert values_of(release)["settings"]["reservedENIs"] == "1"


def test_without_custom_networking_karpenter_keeps_the_chart_default(synth: Synth) -> None:
    [release] = [r for r in synth.resources("staging-addons", "helm_release").values() if r["name"] == "karpenter"]
    assert "reservedENIs" not in values_of(release)["settings"]


def test_the_stack_graph_check_finds_nothing_a_first_apply_would_wait_for(pods: Synth) -> None:
    from tools.render.charts import search_dirs
    from tools.review.first_apply import environment_problems

    assert environment_problems(pods.outdir, "dev", ZONES, search_dirs()) == []
