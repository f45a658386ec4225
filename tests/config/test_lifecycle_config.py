"""Day-2 lifecycle: managed core add-ons, versions that follow the cluster, safe node group replacement.

Synthesized-JSON tests for every shipped environment, and bad-input tests that name file and field.
"""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from catalog.addons.kube_versions import satisfies
from catalog.addons.registry import ADDONS as PLATFORM_ADDONS
from catalog.eks_versions import ADDON_VERSIONS, CLUSTER_VERSIONS
from environments.schema import EnvironmentConfig
from tests.config.test_config import problems_for
from tests.conftest import Synth, chart_archive

ADDONS = ("vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent")


def _addons(synth: Synth, env: EnvironmentConfig) -> dict[str, dict[str, Any]]:
    return {body["addon_name"]: body for body in synth.resources(f"{env.name}-cluster", "aws_eks_addon").values()}


def _ref(type_: str, resources: dict[str, Any], name: str) -> str:
    return f"{type_}.{name}"


@pytest.mark.parametrize("name", ["dev", "staging", "prod", "local"])
def test_every_environment_runs_the_four_managed_addons_at_the_tables_versions(synth: Synth, environments: dict[str, EnvironmentConfig], name: str) -> None:
    env = environments[name]
    addons = _addons(synth, env)
    assert sorted(addons) == sorted(ADDONS)
    for addon, body in addons.items():
        assert body["addon_version"] == ADDON_VERSIONS[addon][env.cluster.version], addon
        # Adopt what EKS bootstrapped, keep it ours, never delete the workload with the resource.
        assert (body["resolve_conflicts_on_create"], body["resolve_conflicts_on_update"], body["preserve"]) == ("OVERWRITE", "OVERWRITE", True)
        assert body["cluster_name"].startswith("${aws_eks_cluster."), "add-ons must follow the cluster resource"
    cluster = synth.one(f"{env.name}-cluster", "aws_eks_cluster")
    assert "bootstrap_self_managed_addons" not in cluster, "ForceNew in hashicorp/aws 5.x: setting it replaces existing clusters"
    # vpc-cni runs with its own IRSA role.
    role = addons["vpc-cni"]["service_account_role_arn"]
    assert role.startswith("${aws_iam_role.") and role.endswith(".arn}")


@pytest.mark.parametrize("name", ["dev", "staging", "prod", "local"])
def test_upgrade_order_control_plane_then_cni_then_nodes_then_the_rest(synth: Synth, environments: dict[str, EnvironmentConfig], name: str) -> None:
    env = environments[name]
    stack = f"{env.name}-cluster"
    addon_ids = {body["addon_name"]: f"aws_eks_addon.{key}" for key, body in synth.resources(stack, "aws_eks_addon").items()}
    groups = synth.resources(stack, "aws_eks_node_group")
    group_ids = {f"aws_eks_node_group.{key}" for key in groups}
    profile_ids = {f"aws_eks_fargate_profile.{key}" for key in synth.resources(stack, "aws_eks_fargate_profile")}
    assert groups
    for body in groups.values():
        # before compute: every node group waits for vpc-cni and the pod identity agent
        assert {addon_ids["vpc-cni"], addon_ids["eks-pod-identity-agent"]} <= set(body["depends_on"])
        # versions follow the cluster resource (so the control plane moves first)
        assert body["version"].startswith("${aws_eks_cluster.") and body["version"].endswith(".version}")
    addons = _addons(synth, env)
    for before in ("vpc-cni", "eks-pod-identity-agent"):
        assert not set(addons[before].get("depends_on", [])) & group_ids
    for after in ("coredns", "kube-proxy"):
        assert set(addons[after]["depends_on"]) == group_ids | profile_ids


@pytest.mark.parametrize("name", ["dev", "staging", "prod", "local"])
def test_node_groups_replace_safely_and_roll(synth: Synth, environments: dict[str, EnvironmentConfig], name: str) -> None:
    env = environments[name]
    groups = synth.resources(f"{env.name}-cluster", "aws_eks_node_group")
    for key, body in groups.items():
        configured = next(k for k in env.cluster.node_groups if key.startswith(f"node-groups_{k}_"))
        assert body["node_group_name_prefix"] == f"{configured}-" and "node_group_name" not in body
        assert body["lifecycle"]["create_before_destroy"] is True
        assert "scaling_config[0].desired_size" in body["lifecycle"]["ignore_changes"]
        assert body["update_config"]["max_unavailable_percentage"] == 33
        assert body.get("release_version") == env.cluster.node_groups[configured].ami_release_version


def test_typed_options_become_sorted_configuration_values(tmp_path: Path) -> None:
    from environments import parse_environment
    from modules.cluster.managed_addons import configuration_values
    from tests.config.test_config import write_env

    def mutate(d: dict[str, Any]) -> None:
        d["cluster"]["managed_addons"] = {
            "vpc-cni": {"prefix_delegation": True, "warm_prefix_target": 2, "network_policy": True},
            "coredns": {"replicas": 3},
        }
        d["cluster"]["upgrade_policy"] = "STANDARD"

    env = parse_environment(write_env(tmp_path, mutate), "environments/dev.yaml")
    values = configuration_values("vpc-cni", env.cluster, custom_networking=True)
    assert values == json.dumps(
        {
            "enableNetworkPolicy": "true",
            "env": {
                "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true",
                "ENABLE_PREFIX_DELEGATION": "true",
                "ENI_CONFIG_LABEL_DEF": "topology.kubernetes.io/zone",
                "WARM_PREFIX_TARGET": "2",
            },
        },
        sort_keys=True,
    )
    assert list(json.loads(values)) == sorted(json.loads(values))
    assert configuration_values("coredns", env.cluster) == '{"replicaCount": 3}'
    assert configuration_values("kube-proxy", env.cluster) is None
    assert env.cluster.upgrade_policy == "STANDARD"


def test_the_shipped_files_synthesize_no_upgrade_policy_unless_set(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    for env in environments.values():
        cluster = synth.one(f"{env.name}-cluster", "aws_eks_cluster")
        expected = {"support_type": env.cluster.upgrade_policy} if env.cluster.upgrade_policy else None
        assert cluster.get("upgrade_policy") == expected, env.name


# -- bad input -----------------------------------------------------------------------------------


def _cluster(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["cluster"].update(changes)


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"),
    [
        pytest.param(_cluster(version="1.31"), "cluster.version", "'1.32', '1.33', '1.34', '1.35' or '1.36'", id="left-extended-support"),
        pytest.param(_cluster(version="1.37"), "cluster.version", "got '1.37'", id="not-yet-on-eks"),
        pytest.param(_cluster(upgrade_policy="LTS"), "cluster.upgrade_policy", "'STANDARD' or 'EXTENDED'", id="bad-support-type"),
        pytest.param(
            _cluster(managed_addons={"coredns": {"version": "v1.11.4-eksbuild.33"}}),
            "cluster.managed_addons.coredns.version",
            "is not the build pinned for Kubernetes 1.35 (v1.13.2-eksbuild.4",
            id="unsupported-addon-version",
        ),
        pytest.param(
            _cluster(managed_addons={"kube-proxy": {"version": "1.33"}}),
            "cluster.managed_addons.kube-proxy.version",
            "should match pattern",
            id="malformed-addon-version",
        ),
        pytest.param(_cluster(managed_addons={"vpc_cni": {}}), "cluster.managed_addons.vpc_cni", "Extra inputs are not permitted", id="addon-name-misspelt"),
        pytest.param(
            _cluster(managed_addons={"vpc-cni": {"warm_prefix_target": 2}}),
            "cluster.managed_addons.vpc-cni.warm_prefix_target",
            "only with prefix_delegation",
            id="warm-without-prefixes",
        ),
        pytest.param(
            lambda d: d["cluster"].update(version="1.36"),
            "cluster.managed_addons.kube-proxy.version",
            "no kube-proxy build is confirmed for Kubernetes 1.36",
            id="no-confirmed-build",
        ),
        pytest.param(
            lambda d: next(iter(d["cluster"]["node_groups"].values())).update(ami_release_version="1.32.9-20261001"),
            "cluster.node_groups.",
            "is not a release of Kubernetes 1.35 (cluster.version)",
            id="ami-release-of-another-minor",
        ),
    ],
)
def test_lifecycle_config_errors_name_file_and_field(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], field: str, fragment: str) -> None:
    problems = problems_for(tmp_path, mutate)
    assert any(p.startswith(f"environments/dev.yaml: {field}") and fragment in p for p in problems), problems


@pytest.mark.parametrize(
    ("addon", "fragment"),
    [
        ("tigera-operator", "add-on tigera-operator runs on Kubernetes 1.31 to 1.35"),
        ("cluster-autoscaler", "no image is pinned for Kubernetes 1.36"),
    ],
)
def test_a_version_an_enabled_addon_cannot_run_on_is_refused_at_load_time(tmp_path: Path, addon: str, fragment: str) -> None:
    def mutate(d: dict[str, Any]) -> None:
        d["cluster"]["version"] = "1.36"
        d["cluster"]["managed_addons"] = {"kube-proxy": {"version": "v1.36.1-eksbuild.1"}}  # no confirmed build: pinned here
        d["addons"] = {addon: {}}

    problems = problems_for(tmp_path, mutate)
    assert any(p.startswith("environments/dev.yaml: cluster.version: ") and fragment in p for p in problems), problems


def test_kube_version_constraints() -> None:
    assert satisfies("1.34", ">=1.25.0-0") and not satisfies("1.24", ">=1.25.0-0")
    assert satisfies("1.34", ">= 1.16-0")
    assert not satisfies("1.36", ">=1.25.0-0 <1.36.0-0") and satisfies("1.35", ">=1.25.0-0, <1.36.0-0")
    assert satisfies("1.36", "<1.30.0-0 || >=1.35.0-0")


def test_every_supported_version_satisfies_the_pinned_charts() -> None:
    for version in CLUSTER_VERSIONS:
        for addon in PLATFORM_ADDONS:
            constraint = addon.chart.kube_version
            assert constraint is None or satisfies(version, constraint), (version, addon.chart.name, constraint)


def test_chart_constraints_match_the_packaged_charts() -> None:
    """Each spec's ``Chart.kube_version`` is what its pinned archive's Chart.yaml says (every add-on of
    the registry, so a chart added without its constraint fails here)."""
    import yaml

    for addon in PLATFORM_ADDONS:
        chart, version, constraint = addon.chart.name, addon.chart.version, addon.chart.kube_version
        archive = chart_archive(chart, version)
        with tarfile.open(archive) as tar:
            member = next(m for m in tar.getmembers() if m.name == f"{chart}/Chart.yaml")
            meta = yaml.safe_load(tar.extractfile(member).read())  # type: ignore[union-attr]
        assert meta.get("kubeVersion") == constraint, (chart, meta.get("kubeVersion"))
