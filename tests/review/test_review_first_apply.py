"""The first-apply check over the stack graph (tools/review/first_apply.py): on hand-built stacks,
one reported and one clean case per rule, and clean on every shipped environment's synth."""

from __future__ import annotations

import json
from typing import Any

from environments import EnvironmentConfig
from tests.conftest import Synth, chart_archive
from tools.review import first_apply

ZONES = ("eu-west-1a", "eu-west-1b")
NODEPOOL = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"}}


def cni(custom: bool = True, eni_zones: tuple[str, ...] = ()) -> dict[str, Any]:
    values: dict[str, Any] = {"env": {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true", "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone"}} if custom else {}
    if eni_zones:
        values["eniConfig"] = {"create": True, "region": "eu-west-1", "subnets": {z: {"id": f"subnet-{z}"} for z in eni_zones}}
    return {"addon_name": "vpc-cni", "configuration_values": json.dumps(values)}


def stack(**resources: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {"resource": resources}


def manifests(*objects: dict[str, Any], depends_on: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"chart": "assets/manifests", "values": [json.dumps({"manifests": list(objects)})], **({"depends_on": list(depends_on)} if depends_on else {})}


DEPS = {"dev-network": [], "dev-cluster": ["dev-network"], "dev-addons": ["dev-cluster", "dev-network"]}
CRDS = {("karpenter-crd", "1.14.1"): frozenset({"karpenter.sh", "karpenter.k8s.aws"})}


def check(stacks: dict[str, dict[str, Any]]) -> list[str]:
    return first_apply.problems(stacks, DEPS, ZONES, lambda chart, version: CRDS.get((chart, version), frozenset()))


def test_eni_configs_created_by_a_later_stack_are_reported_per_node_group_and_zone() -> None:
    eni = [{"apiVersion": "crd.k8s.amazonaws.com/v1alpha1", "kind": "ENIConfig", "metadata": {"name": z}} for z in ZONES]
    found = check(
        {
            "dev-cluster": stack(aws_eks_addon={"cni": cni()}, aws_eks_node_group={"system": {"depends_on": ["aws_eks_addon.cni"]}}),
            "dev-addons": stack(helm_release={"eni": manifests(*eni)}),
        }
    )
    assert len(found) == 2 and all(
        f.startswith("dev-cluster: aws_eks_node_group.system: VPC CNI custom networking is on, but the ENIConfig eu-west-1") for f in found
    )
    assert "created dev-addons (helm_release.eni)" in found[0]


def test_eni_configs_of_the_vpc_cni_add_on_count_only_if_the_node_group_waits_for_it() -> None:
    ready = stack(aws_eks_addon={"cni": cni(eni_zones=ZONES)}, aws_eks_node_group={"system": {"depends_on": ["aws_eks_addon.cni"]}})
    assert check({"dev-cluster": ready}) == []
    racing = stack(aws_eks_addon={"cni": cni(eni_zones=ZONES)}, aws_eks_node_group={"system": {}})
    assert len(check({"dev-cluster": racing})) == 2
    one_zone = stack(aws_eks_addon={"cni": cni(eni_zones=ZONES[:1])}, aws_eks_node_group={"system": {"depends_on": ["aws_eks_addon.cni"]}})
    [missing] = check({"dev-cluster": one_zone})
    assert "ENIConfig eu-west-1b is created nowhere" in missing


def test_without_custom_networking_no_eni_config_is_needed() -> None:
    assert check({"dev-cluster": stack(aws_eks_addon={"cni": cni(custom=False)}, aws_eks_node_group={"system": {}})}) == []


def test_custom_objects_need_their_crds_from_an_earlier_stack_or_a_release_they_wait_for() -> None:
    crd = {"chart": "karpenter-crd", "version": "1.14.1"}
    assert check({"dev-addons": stack(helm_release={"crd": crd, "pools": manifests(NODEPOOL, depends_on=("helm_release.crd",))})}) == []
    [unordered] = check({"dev-addons": stack(helm_release={"crd": crd, "pools": manifests(NODEPOOL)})})
    assert unordered.startswith("dev-addons: helm_release.pools: NodePool default needs the CRDs of karpenter.sh, created dev-addons (helm_release.crd)")
    [later] = check({"dev-cluster": stack(helm_release={"pools": manifests(NODEPOOL)}), "dev-addons": stack(helm_release={"crd": crd})})
    assert later.startswith("dev-cluster: helm_release.pools: NodePool default needs the CRDs of karpenter.sh")
    assert check({"dev-cluster": stack(helm_release={"crd": crd}), "dev-addons": stack(helm_release={"pools": manifests(NODEPOOL)})}) == []
    # built-in kinds need no CRD
    assert check({"dev-addons": stack(helm_release={"x": manifests({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}})})}) == []


def test_a_generated_crd_release_provides_the_groups_of_the_crds_its_index_names() -> None:
    # modules/shared/crds.py: a local chart whose synthesized values carry {"crds": {<plural>.<group>: {served, sha256, storage}}}.
    index = {"podmonitors.monitoring.coreos.com": {"served": ["v1"], "sha256": "0" * 64, "storage": "v1"}}
    crds = {"chart": "assets/kube-prometheus-stack_crds-chart/abc", "values": [json.dumps({"crds": index})]}
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": {"name": "calico-node"}}
    assert check({"dev-addons": stack(helm_release={"crds": crds, "monitors": manifests(monitor, depends_on=("helm_release.crds",))})}) == []
    [unordered] = check({"dev-addons": stack(helm_release={"crds": crds, "monitors": manifests(monitor)})})
    assert "needs the CRDs of monitoring.coreos.com, created dev-addons (helm_release.crds), not before it" in unordered
    # a chart's own values that happen to have a ``crds`` key provide nothing
    other = {"chart": "external-secrets", "version": "2.9.0", "values": [json.dumps({"crds": {"createClusterSecretStore": True}})]}
    [none] = check({"dev-addons": stack(helm_release={"eso": other, "monitors": manifests(monitor, depends_on=("helm_release.eso",))})})
    assert "created nowhere" in none


def _charts() -> list:
    from tools.render.charts import search_dirs

    chart_archive("karpenter-crd", "1.14.1")

    return search_dirs()


def test_crd_groups_come_from_the_chart_archives() -> None:
    dirs = _charts()
    assert {"karpenter.sh", "karpenter.k8s.aws"} <= first_apply.chart_crd_groups("karpenter-crd", "1.14.1", dirs)
    assert "external-secrets.io" in first_apply.chart_crd_groups("external-secrets", "2.9.0", dirs)
    assert first_apply.chart_crd_groups("no-such-chart", "0.0.0", dirs) == frozenset()


def test_every_shipped_environment_can_be_applied_from_scratch(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    dirs = _charts()
    for name, env in environments.items():
        assert first_apply.environment_problems(synth.outdir, name, env.network.availability_zones, dirs) == [], name
