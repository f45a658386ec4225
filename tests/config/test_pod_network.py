"""``network.pod_network``: secondary CIDR, a pod subnet per AZ, VPC CNI custom networking, ENIConfigs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.config.test_config import problems_for, write_env
from tests.conftest import ROOT, Synth, run_main

POD_NETWORK = {"cidr": "100.64.0.0/16", "subnets": ["100.64.0.0/17", "100.64.128.0/17"]}  # dev has two zones


def _pods(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["network"].update(pod_network={**POD_NETWORK, **changes})


@pytest.fixture(scope="module")
def synth_pods(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    directory = tmp_path_factory.mktemp("envs")
    staging = yaml.safe_load((ROOT / "environments" / "staging.yaml").read_text())

    def pods_and_karpenter(d: dict[str, Any]) -> None:
        # Karpenter as the autoscaler too: its nodes need their zone's ENIConfig as much as any.
        d["network"].update(pod_network=POD_NETWORK)
        d["cluster"]["autoscaler"] = "karpenter"
        d["karpenter"] = {**staging["karpenter"], "controller_node_group": "system"}
        d["addons"].pop("cluster-autoscaler", None)
        # Without the load balancer controller, which Karpenter would otherwise wait for.
        d["addons"].pop("aws-load-balancer-controller", None)

    write_env(directory, pods_and_karpenter)
    outdir = tmp_path_factory.mktemp("out") / "cdktf.out"
    proc = run_main(outdir, env_dir=directory, only="dev")
    assert proc.returncode == 0, proc.stderr
    return Synth(outdir)


def test_secondary_cidr_and_a_pod_subnet_per_zone_routed_like_the_private_subnets(synth_pods: Synth) -> None:
    [association] = synth_pods.resources("dev-network", "aws_vpc_ipv4_cidr_block_association").values()
    assert association["cidr_block"] == POD_NETWORK["cidr"]
    subnets = {k: v for k, v in synth_pods.resources("dev-network", "aws_subnet").items() if k.startswith("network_pods_")}
    assert sorted(s["cidr_block"] for s in subnets.values()) == sorted(POD_NETWORK["subnets"])
    zones = [s["availability_zone"] for s in sorted(subnets.values(), key=lambda s: s["cidr_block"])]
    assert len(set(zones)) == 2
    for body in subnets.values():
        assert "aws_vpc_ipv4_cidr_block_association" in body["vpc_id"]  # waits for the block
        assert "kubernetes.io/role/internal-elb" not in body["tags"] and "kubernetes.io/role/elb" not in body["tags"]
    associations = synth_pods.resources("dev-network", "aws_route_table_association")
    pod_routes = [a for k, a in associations.items() if k.startswith("network_pods_rta")]
    assert len(pod_routes) == 2 and all("aws_route_table.network_private-rt-" in a["route_table_id"] for a in pod_routes)


def test_vpc_cni_custom_networking_and_one_eni_config_per_zone(synth_pods: Synth) -> None:
    [cni] = [a for a in synth_pods.resources("dev-cluster", "aws_eks_addon").values() if a["addon_name"] == "vpc-cni"]
    values = json.loads(cni["configuration_values"])
    env = values["env"]
    assert env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "true" and env["ENI_CONFIG_LABEL_DEF"] == "topology.kubernetes.io/zone"
    # The add-on creates them (before any node: tests/stacks/test_pod_network_first_deploy.py), one per zone named after it.
    subnets = values["eniConfig"]["subnets"]
    assert list(subnets) == ["eu-west-1a", "eu-west-1b"]
    for subnet in subnets.values():
        assert subnet["id"].startswith("${") and "network_pods_subnet" in subnet["id"], subnet["id"]  # the network stack's pod subnet output
        assert len(subnet["securityGroups"]) == 1
    assert {"karpenter", "karpenter-nodepools"} & {r["name"] for r in synth_pods.resources("dev-addons", "helm_release").values()}, (
        "the fixture must use Karpenter"
    )


def test_without_pod_network_nothing_changes(synth: Synth) -> None:
    assert not synth.resources("dev-network", "aws_vpc_ipv4_cidr_block_association")
    [cni] = [a for a in synth.resources("dev-cluster", "aws_eks_addon").values() if a["addon_name"] == "vpc-cni"]
    assert "eniConfig" not in (cni.get("configuration_values") or "")


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"),
    [
        pytest.param(
            _pods(cidr="10.200.0.0/16", subnets=["10.200.0.0/17", "10.200.128.0/17"]),
            "network.pod_network.cidr",
            "not inside 100.64.0.0/10 or 198.19.0.0/16",
            id="out-of-range",
        ),
        pytest.param(
            _pods(subnets=["100.64.0.0/17", "100.65.0.0/18"]), "network.pod_network.subnets.1", "is not inside cidr 100.64.0.0/16", id="subnet-outside"
        ),
        pytest.param(_pods(subnets=["100.64.0.0/17", "100.64.32.0/19"]), "network.pod_network.subnets.1", "overlaps subnets.0", id="subnets-overlap"),
        pytest.param(
            _pods(subnets=["100.64.0.0/18", "100.64.64.0/18", "100.64.128.0/18"]),
            "network.pod_network.subnets",
            "one pod subnet per availability zone (2), got 3",
            id="one-per-zone",
        ),
        pytest.param(_pods(cidr="100.64.0.0/12"), "network.pod_network.cidr", "/16 to /28", id="block-too-large"),
        pytest.param(
            lambda d: (
                d["network"].update(
                    vpc_cidr="100.64.0.0/16", public_subnets=["100.64.0.0/22", "100.64.4.0/22"], private_subnets=["100.64.32.0/19", "100.64.64.0/19"]
                ),
                _pods()(d),
            ),
            "network.pod_network.cidr",
            "overlaps vpc_cidr 100.64.0.0/16",
            id="overlaps-vpc",
        ),
    ],
)
def test_pod_network_errors_name_file_and_field(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], field: str, fragment: str) -> None:
    problems = problems_for(tmp_path, mutate)
    assert any(p.startswith(f"environments/dev.yaml: {field}") and fragment in p for p in problems), problems


def test_the_diagram_draws_the_pod_subnets_and_the_karpenter_pools(synth_pods: Synth) -> None:
    from tools.diagram import build, load

    source = build(load("dev", synth_pods.outdir)).source
    assert source.count("pod subnet") == len(POD_NETWORK["subnets"])
    for cidr in POD_NETWORK["subnets"]:
        assert cidr in source
    assert "Karpenter pool" in source
