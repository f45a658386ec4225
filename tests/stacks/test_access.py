"""Who can reach the cluster, with what scope, keyed by role."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import ConfigError, EnvironmentConfig, load_environments
from tests.conftest import ROOT, Synth, run_main

DEV_ROLE = "arn:aws:iam::111111111111:role/{}"


def dev_with(change: Callable[[dict[str, Any]], None], directory: Path) -> Path:
    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    change(raw)
    (directory / "dev.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return directory


def entries(*extra: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(raw: dict[str, Any]) -> None:
        raw["cluster"]["access_entries"] = [{"role_arn": DEV_ROLE.format("platform-admins"), "access": "admin"}, *extra]

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            entries({"role_arn": DEV_ROLE.format("developers"), "access": "edit"}),
            "cluster.access_entries.1.namespaces: edit access is scoped to namespaces: list them, or set cluster_wide: true",
        ),
        (
            entries({"role_arn": DEV_ROLE.format("readonly"), "access": "view"}),
            "cluster.access_entries.1.namespaces: view access is scoped to namespaces: list them, or set cluster_wide: true",
        ),
        (
            entries({"role_arn": DEV_ROLE.format("developers"), "access": "edit", "cluster_wide": True}),
            "cluster.access_entries.1.platform_namespaces: cluster-wide edit includes kube-system and the add-on namespaces, "
            "where a pod can run as an add-on's IRSA service account with its AWS permissions: list namespaces instead, or set platform_namespaces: true",
        ),
        (
            entries({"role_arn": DEV_ROLE.format("developers"), "access": "edit", "namespaces": ["apps", "kube-system"]}),
            "cluster.access_entries.1.namespaces: kube-system is a platform namespace (a pod there can run as an add-on's IRSA "
            "service account): edit there needs platform_namespaces: true",
        ),
        (
            entries({"role_arn": DEV_ROLE.format("loki-team"), "access": "admin", "namespaces": ["loki", "monitoring"]}),
            "cluster.access_entries.1.namespaces: loki, monitoring are platform namespaces (a pod there can run as an add-on's "
            "IRSA service account): admin there needs platform_namespaces: true",
        ),
        (
            entries({"role_arn": DEV_ROLE.format("x"), "access": "view", "namespaces": ["apps"], "cluster_wide": True}),
            "cluster.access_entries.1.cluster_wide: set either namespaces or cluster_wide: true, not both",
        ),
        (
            lambda raw: (
                raw.pop("ci"),
                raw["cluster"].update(access_entries=[{"role_arn": DEV_ROLE.format("developers"), "access": "edit", "namespaces": ["apps"]}]),
            ),
            "cluster.access_entries: no cluster-admin entry (access: admin without namespaces) and no ci: apply role: the cluster "
            "creator gets no hidden admin (bootstrap_cluster_creator_admin_permissions is off), so nobody could administer the cluster",
        ),
    ],
)
def test_scope_errors_name_file_and_field(tmp_path: Path, change: Callable[[dict[str, Any]], None], expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_environments(dev_with(change, tmp_path))
    (problem,) = info.value.problems
    assert problem.endswith(f"dev.yaml: {expected}"), problem


@pytest.mark.parametrize(
    "entry",
    [
        {"role_arn": DEV_ROLE.format("oncall"), "access": "edit", "cluster_wide": True, "platform_namespaces": True},
        {"role_arn": DEV_ROLE.format("oncall"), "access": "edit", "namespaces": ["kube-system"], "platform_namespaces": True},
        {"role_arn": DEV_ROLE.format("readonly"), "access": "view", "cluster_wide": True},
        {"role_arn": DEV_ROLE.format("developers"), "access": "edit", "namespaces": ["apps"]},
    ],
)
def test_explicit_scopes_are_accepted(tmp_path: Path, entry: dict[str, Any]) -> None:
    (env,) = load_environments(dev_with(entries(entry), tmp_path))
    assert env.cluster.access_entries[1].role_arn == entry["role_arn"]


def test_no_shipped_entry_edits_a_platform_namespace(environments: dict[str, EnvironmentConfig]) -> None:
    from environments.access_scope import platform_namespaces

    assert {"kube-system", "external-secrets", "monitoring", "loki"} <= set(platform_namespaces())
    for env in environments.values():
        for entry in env.cluster.access_entries:
            if entry.access != "view":
                assert entry.namespaces == () and entry.access == "admin" or not set(entry.namespaces) & set(platform_namespaces()), entry


# --- keyed by role, moved from positions ----------------------------------------------------------

# The addresses the positional keys had before access entries were keyed by role (``access/entry-<i>``), per prod's list.
OLD_PROD = {
    "platform-admins": ("aws_eks_access_entry.access_entry-0_FB2BF97B", "aws_eks_access_policy_association.access_policy-0_5B4359F4"),
    "oncall": ("aws_eks_access_entry.access_entry-1_AD98FE79", "aws_eks_access_policy_association.access_policy-1_3A28A708"),
    "readonly": ("aws_eks_access_entry.access_entry-2_4A17D3A9", "aws_eks_access_policy_association.access_policy-2_DA24A613"),
}


def test_entries_are_keyed_by_role_with_moved_blocks_from_their_old_positions(synth: Synth) -> None:
    doc = synth.stack("prod-cluster")
    moved = {m["from"]: m["to"] for m in doc["moved"]}
    for role, (old_entry, old_policy) in OLD_PROD.items():
        (entry_key,) = [k for k in doc["resource"]["aws_eks_access_entry"] if k.startswith(f"access_entry-{role}_")]
        (policy_key,) = [k for k in doc["resource"]["aws_eks_access_policy_association"] if k.startswith(f"access_policy-{role}_")]
        assert moved[old_entry] == f"aws_eks_access_entry.{entry_key}"
        assert moved[old_policy] == f"aws_eks_access_policy_association.{policy_key}"
        assert doc["resource"]["aws_eks_access_entry"][entry_key]["principal_arn"].endswith(f":role/{role}")


def test_reordering_the_list_changes_no_resource_address(synth: Synth, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env_dir = dev_with(lambda raw: raw["cluster"]["access_entries"].reverse(), tmp_path)
    proc = run_main(out, env_dir=env_dir, only="dev")
    assert proc.returncode == 0, proc.stderr
    reordered = json.loads((out / "stacks" / "dev-cluster" / "cdk.tf.json").read_text())["resource"]
    original = synth.stack("dev-cluster")["resource"]
    for type_ in ("aws_eks_access_entry", "aws_eks_access_policy_association"):
        assert reordered[type_] == original[type_]


# --- the CI roles ---------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "local"])
def test_ci_apply_role_is_cluster_admin_and_plan_role_reads_exactly_the_release_namespaces(
    synth: Synth, environments: dict[str, EnvironmentConfig], env: str
) -> None:
    from environments.ci import role_arns

    plan, apply = role_arns(environments[env])
    stack = f"{env}-cluster"
    entries = {v["principal_arn"] for v in synth.resources(stack, "aws_eks_access_entry").values()}
    assert {plan, apply} <= entries
    # principal_arn of an association references its entry; resolve through the entry's key.
    by_role = {}
    for key, body in synth.resources(stack, "aws_eks_access_policy_association").items():
        by_role[key.split("_")[1].removeprefix("policy-")] = body
    admin, reader = by_role[apply.rsplit("/", 1)[1]], by_role[plan.rsplit("/", 1)[1]]
    assert admin["policy_arn"].endswith("/AmazonEKSClusterAdminPolicy") and admin["access_scope"] == {"type": "cluster"}
    assert reader["policy_arn"].endswith("/AmazonEKSAdminViewPolicy") and reader["access_scope"]["type"] == "namespace"
    # Exactly the namespaces Helm keeps release Secrets in: every helm_release of <env>-addons.
    releases = {r["namespace"] for r in synth.resources(f"{env}-addons", "helm_release").values()}
    assert sorted(reader["access_scope"]["namespaces"]) == sorted(releases)


def test_a_ci_role_listed_as_an_access_entry_is_refused(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["cluster"]["access_entries"].append({"role_arn": DEV_ROLE.format("dev-github-apply"), "access": "admin"})

    with pytest.raises(ConfigError) as info:
        load_environments(dev_with(change, tmp_path))
    (problem,) = info.value.problems
    assert problem.endswith(
        "dev.yaml: cluster.access_entries.2.role_arn: arn:aws:iam::111111111111:role/dev-github-apply is the CI apply role, "
        "whose access comes from ci: (modules/cluster/grants.py); remove this entry"
    ), problem
