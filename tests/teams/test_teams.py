"""The teams' synthesized Terraform JSON (<env>-teams-aws and <env>-teams), per environment, asserted
against each environment's ``teams:`` config."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import EnvironmentConfig
from environments.ci import PLAN_GROUP
from environments.team_rules import effective_limit_range, effective_quota
from environments.teams import (
    SECRET_STORE_SERVICE_ACCOUNT,
    fargate_profile_name,
    secrets_role_name,
    ssm_path,
    team_group,
    workload_role_name,
)
from tests.addons.test_addons import statements
from tests.conftest import ROOT, Synth

ACCESS = ("admin", "edit", "view")


@pytest.fixture(scope="module", params=["dev", "staging", "prod", "local"])
def env(request: pytest.FixtureRequest, environments: dict[str, EnvironmentConfig]) -> EnvironmentConfig:
    return environments[request.param]


def by_namespace(synth: Synth, env: EnvironmentConfig, type_: str) -> dict[str, list[dict[str, Any]]]:
    """``type_`` resources of ``<env>-teams`` grouped by the namespace they are in (resolved from
    the namespace resource they reference)."""
    stack = f"{env.name}-teams"
    names = {f"kubernetes_namespace_v1.{key}": body["metadata"]["name"] for key, body in synth.resources(stack, "kubernetes_namespace_v1").items()}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for body in synth.resources(stack, type_).values():
        ref = re.fullmatch(r"\$\{(kubernetes_namespace_v1\.[^.]+)\.metadata\[0\]\.name\}", body["metadata"]["namespace"])
        assert ref, body["metadata"]
        grouped.setdefault(names[ref.group(1)], []).append(body)
    return grouped


def teams_aws_value(synth: Synth, env: EnvironmentConfig, reference: str) -> str:
    """The expression a cross-stack reference from ``<env>-teams`` to ``<env>-teams-aws`` stands for."""
    match = re.fullmatch(r"\$\{data\.terraform_remote_state\.cross-stack-reference-input-[\w-]+\.outputs\.([\w-]+)\}", reference)
    assert match, reference
    return synth.stack(f"{env.name}-teams-aws")["output"][match.group(1)]["value"]


def role_by_arn_expression(synth: Synth, env: EnvironmentConfig, expression: str) -> dict[str, Any]:
    match = re.fullmatch(r"\$\{aws_iam_role\.([^.]+)\.arn\}", expression)
    assert match, expression
    return synth.resources(f"{env.name}-teams-aws", "aws_iam_role")[match.group(1)]


def trust_subjects(role: dict[str, Any]) -> list[str]:
    """The IRSA subjects the role trusts (its EKS Pod Identity statement, if any: tests/stacks/test_pod_identity.py)."""
    [statement] = [s for s in statements(role["assume_role_policy"]) if "Federated" in s["Principal"]]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    condition = statement["Condition"]["StringEquals"]
    [sub_key] = [k for k in condition if k.endswith(":sub")]
    assert condition[sub_key.replace(":sub", ":aud")] == "sts.amazonaws.com"
    subs = condition[sub_key]
    return [subs] if isinstance(subs, str) else subs


def test_teams_stacks_exist_exactly_for_environments_with_teams(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    for name, env in environments.items():
        assert ({f"{name}-teams-aws", f"{name}-teams"} <= set(synth.stack_names)) == bool(env.teams)
    assert all(environments[n].teams for n in ("dev", "staging", "prod"))
    assert len(environments["prod"].teams) >= 2
    assert any(ns.fargate for team in environments["prod"].teams.values() for ns in team.namespaces.values())


def test_teams_aws_is_aws_only_and_teams_uses_the_kubernetes_provider(synth: Synth, env: EnvironmentConfig) -> None:
    assert set(synth.stack(f"{env.name}-teams-aws")["provider"]) == {"aws"}
    providers = synth.stack(f"{env.name}-teams")["provider"]
    assert set(providers) == {"aws", "kubernetes", "helm"}
    [kubernetes] = providers["kubernetes"]
    assert f"cross-stack-reference-input-{env.name}-cluster" in kubernetes["host"]
    assert kubernetes["token"].startswith("${ephemeral.aws_eks_cluster_auth.")


def test_namespaces_with_pod_security_labels(synth: Synth, env: EnvironmentConfig) -> None:
    namespaces = {b["metadata"]["name"]: b["metadata"]["labels"] for b in synth.resources(f"{env.name}-teams", "kubernetes_namespace_v1").values()}
    expected = {ns: (name, team) for name, team in env.teams.items() for ns in team.namespaces}
    assert set(namespaces) == set(expected)
    for ns, (name, team) in expected.items():
        labels = namespaces[ns]
        assert labels["pod-security.kubernetes.io/enforce"] == team.pod_security
        assert labels["pod-security.kubernetes.io/enforce-version"] == f"v{env.cluster.version}"
        assert labels["pod-security.kubernetes.io/warn"] == labels["pod-security.kubernetes.io/audit"] == "restricted"
        assert labels["platform.example.com/team"] == name


def test_quota_and_limit_range_in_every_team_namespace(synth: Synth, env: EnvironmentConfig) -> None:
    quotas = by_namespace(synth, env, "kubernetes_resource_quota_v1")
    limits = by_namespace(synth, env, "kubernetes_limit_range_v1")
    for team in env.teams.values():
        quota, lr = effective_quota(env, team), effective_limit_range(env, team)
        for ns in team.namespaces:
            [q] = quotas[ns]
            assert q["spec"]["hard"]["requests.cpu"] == quota.requests_cpu
            assert q["spec"]["hard"]["limits.memory"] == quota.limits_memory
            assert q["spec"]["hard"]["pods"] == str(quota.pods)
            [limit] = limits[ns][0]["spec"]["limit"]
            assert limit["type"] == "Container"
            assert limit["default"] == {"cpu": lr.default_cpu, "memory": lr.default_memory}
            assert limit["default_request"] == {"cpu": lr.default_request_cpu, "memory": lr.default_request_memory}
            assert limit["max"] == {"cpu": lr.max_cpu, "memory": lr.max_memory}


def test_network_policies_deny_ingress_but_namespace_dns_and_load_balancers(synth: Synth, env: EnvironmentConfig) -> None:
    policies = by_namespace(synth, env, "kubernetes_network_policy_v1")
    for team in env.teams.values():
        for ns in team.namespaces:
            if not team.network_policy.enabled:
                assert ns not in policies
                continue
            named = {p["metadata"]["name"]: p["spec"] for p in policies[ns]}
            restricted = team.network_policy.egress == "restricted"
            assert named["default-deny"] == {"pod_selector": {}, "policy_types": ["Ingress", "Egress"] if restricted else ["Ingress"]}
            [rule] = named["allow-ingress"]["ingress"]
            assert {"pod_selector": {}} in rule["from"]
            cidrs = {f["ip_block"]["cidr"] for f in rule["from"] if "ip_block" in f}
            assert cidrs == {*env.network.public_subnets, *team.network_policy.allow_from_cidrs}
            assert not cidrs & set(env.network.private_subnets)  # pods live there: allowing them would allow every pod
            if restricted:
                dns, rest = named["allow-egress"]["egress"]
                assert dns["to"] == [
                    {
                        "namespace_selector": {"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "pod_selector": {"match_labels": {"k8s-app": "kube-dns"}},
                    }
                ]
                assert {(p["port"], p["protocol"]) for p in dns["ports"]} == {("53", "UDP"), ("53", "TCP")}
                assert {t["ip_block"]["cidr"] for t in rest["to"] if "ip_block" in t} == set(team.network_policy.allow_egress_cidrs)
            else:
                assert "allow-egress" not in named


def test_role_bindings_only_in_the_teams_namespaces(synth: Synth, env: EnvironmentConfig) -> None:
    stack = synth.stack(f"{env.name}-teams")["resource"]
    # Cluster-wide RBAC exists only for the CI plan role (tests/teams/test_ci_plan_reader.py), never a team.
    for b in stack.get("kubernetes_cluster_role_binding_v1", {}).values():
        assert b["subject"] == [{"api_group": "rbac.authorization.k8s.io", "kind": "Group", "name": PLAN_GROUP}]
    bindings = {ns: [b for b in found if b["subject"][0]["name"] != PLAN_GROUP] for ns, found in by_namespace(synth, env, "kubernetes_role_binding_v1").items()}
    owner = {ns: name for name, team in env.teams.items() for ns in team.namespaces}
    assert set(bindings) <= set(owner)
    for ns, found in bindings.items():
        team = env.teams[owner[ns]]
        expected = {access for access, arns in team.members.items() if arns}
        assert {b["role_ref"]["name"] for b in found} == expected
        for b in found:
            assert b["role_ref"] == {"api_group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": b["role_ref"]["name"]}
            assert b["subject"] == [{"api_group": "rbac.authorization.k8s.io", "kind": "Group", "name": team_group(owner[ns], b["role_ref"]["name"])}]
    for _name, team in env.teams.items():
        if any(team.members.values()):
            assert set(team.namespaces) <= set(bindings)


def test_service_accounts_carry_roles_trusting_exactly_them(synth: Synth, env: EnvironmentConfig) -> None:
    accounts = by_namespace(synth, env, "kubernetes_service_account_v1")
    for name, team in env.teams.items():
        for sa, identity in team.service_accounts.items():
            [body] = [b for b in accounts[identity.namespace] if b["metadata"]["name"] == sa]
            role = role_by_arn_expression(synth, env, teams_aws_value(synth, env, body["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]))
            assert role["name"] == workload_role_name(env, name, sa)
            assert trust_subjects(role) == [f"system:serviceaccount:{identity.namespace}:{sa}"]
        secrets_roles = set()
        for ns in team.namespaces:
            [body] = [b for b in accounts[ns] if b["metadata"]["name"] == SECRET_STORE_SERVICE_ACCOUNT]
            role = role_by_arn_expression(synth, env, teams_aws_value(synth, env, body["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]))
            secrets_roles.add(role["name"])
            assert trust_subjects(role) == [f"system:serviceaccount:{n}:{SECRET_STORE_SERVICE_ACCOUNT}" for n in sorted(team.namespaces)]
        assert secrets_roles == {secrets_role_name(env, name)}


def test_team_roles_read_only_the_team_parameter_path(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-teams-aws"
    roles = synth.resources(stack, "aws_iam_role")
    role_names = {f"${{aws_iam_role.{key}.id}}": body["name"] for key, body in roles.items()}
    # The Fargate pod execution role's log router policy is checked in tests/stacks/test_fargate_logging.py.
    fargate_role = f"{env.cluster_name}-teams-fargate-pods"
    policies = [p for p in synth.resources(stack, "aws_iam_role_policy").values() if role_names[p["role"]] != fargate_role]
    expected = {secrets_role_name(env, n) for n in env.teams} | {workload_role_name(env, n, sa) for n, t in env.teams.items() for sa in t.service_accounts}
    assert {role_names[p["role"]] for p in policies} == expected
    for body in policies:
        team = next(n for n in env.teams if role_names[body["role"]].startswith(f"{env.cluster_name}-{n}-"))
        prefix = f"arn:aws:ssm:{env.region}:{env.account_id}:parameter{ssm_path(env, team)}"
        by_sid = {s["Sid"]: s for s in statements(body["policy"])}
        assert set(by_sid) == {"ReadTeamParameters", "DecryptSecureStrings"}
        assert by_sid["ReadTeamParameters"]["Resource"] == [prefix, f"{prefix}/*"]
        assert by_sid["DecryptSecureStrings"]["Condition"] == {"StringEquals": {"kms:ViaService": f"ssm.{env.region}.amazonaws.com"}}
    attachments = [
        (role_names[a["role"].replace(".name", ".id")], a["policy_arn"])
        for a in synth.resources(stack, "aws_iam_role_policy_attachment").values()
        if "fargate" not in a["role"]
    ]
    assert sorted(attachments) == sorted(
        (workload_role_name(env, n, sa), arn) for n, t in env.teams.items() for sa, i in t.service_accounts.items() for arn in i.managed_policy_arns
    )


def test_secret_store_per_namespace_limited_to_the_team_path(synth: Synth, env: EnvironmentConfig) -> None:
    releases = synth.resources(f"{env.name}-teams", "helm_release")
    stores = {}
    for body in (b for b in releases.values() if b["name"] != "team-admission"):  # tests/teams/test_admission_policies.py
        assert body["chart"].startswith("assets/") and body["wait"] is True
        for manifest in json.loads(body["values"][0])["manifests"]:
            assert manifest["kind"] == "SecretStore" and manifest["apiVersion"] == "external-secrets.io/v1"
            stores[manifest["metadata"]["namespace"]] = (body["name"], manifest["spec"]["provider"]["aws"])
    for name, team in env.teams.items():
        for ns in team.namespaces:
            release, aws = stores.pop(ns)
            assert release == f"team-{name}-secret-stores"
            assert aws == {
                "service": "ParameterStore",
                "region": env.region,
                "prefix": f"{ssm_path(env, name)}/",
                "auth": {"jwt": {"serviceAccountRef": {"name": SECRET_STORE_SERVICE_ACCOUNT}}},
            }
    assert not stores


def test_access_entries_map_team_roles_to_groups_never_to_a_policy(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-teams-aws"
    assert not synth.resources(stack, "aws_eks_access_policy_association")
    entries = {b["principal_arn"]: b for b in synth.resources(stack, "aws_eks_access_entry").values()}
    expected = {arn: team_group(name, access) for name, team in env.teams.items() for access, arns in team.members.items() for arn in arns}
    assert set(entries) == set(expected)
    for arn, body in entries.items():
        assert body["type"] == "STANDARD" and body["kubernetes_groups"] == [expected[arn]]


def test_fargate_profiles_for_fargate_namespaces_only(synth: Synth, env: EnvironmentConfig) -> None:
    profiles = {b["fargate_profile_name"]: b for b in synth.resources(f"{env.name}-teams-aws", "aws_eks_fargate_profile").values()}
    expected = {fargate_profile_name(n, ns): ns for n, t in env.teams.items() for ns, spec in t.namespaces.items() if spec.fargate}
    assert {p: [s["namespace"] for s in b["selector"]] for p, b in profiles.items()} == {p: [ns] for p, ns in expected.items()}
    roles = [b["name"] for b in synth.resources(f"{env.name}-teams-aws", "aws_iam_role").values() if "fargate" in b["name"]]
    assert roles == ([f"{env.cluster_name}-teams-fargate-pods"] if expected else [])


def test_a_build_without_teams_loads_no_kubernetes_bindings(tmp_path: Path) -> None:
    env_dir = tmp_path / "envs"
    env_dir.mkdir()
    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    raw.pop("teams")
    (env_dir / "dev.yaml").write_text(yaml.safe_dump(raw))
    code = (
        "import runpy, sys; sys.argv = ['main.py'];"
        "code = 0\n"
        "try:\n    runpy.run_path('main.py', run_name='__main__')\nexcept SystemExit as exit:\n    code = exit.code\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('cdktf_cdktf_provider_kubernetes.'))\n"
        "print('LOADED', loaded, code)"
    )
    env = dict(os.environ, PLATFORM_ENVIRONMENTS_DIR=str(env_dir), PLATFORM_OUTDIR=str(tmp_path / "out"), PLATFORM_QUIET="1")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert "LOADED [] 0" in proc.stdout, proc.stdout + proc.stderr
    assert not (tmp_path / "out" / "stacks" / "dev-teams").exists()


def test_the_environment_wide_store_does_not_serve_team_namespaces(synth: Synth, env: EnvironmentConfig) -> None:
    # What the store serves is judged in tests/addons/test_secret_store_scope.py; here: no team namespace is named.
    [store] = [b for b in synth.resources(f"{env.name}-addons", "helm_release").values() if b["name"] == "cluster-secret-store"]
    [manifest] = json.loads(store["values"][0])["manifests"]
    [condition] = manifest["spec"]["conditions"]
    assert set(condition) == {"namespaces"}
    assert not set(condition["namespaces"]) & {ns for team in env.teams.values() for ns in team.namespaces}
    for body in synth.resources(f"{env.name}-teams", "kubernetes_namespace_v1").values():
        assert "platform.example.com/team" in body["metadata"]["labels"]
