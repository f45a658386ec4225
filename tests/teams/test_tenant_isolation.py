"""A team member reads no SSM path but their team's, through any object their RBAC lets them create.

For every shipped environment with teams, from what is synthesized and what the charts render:

1. who is bound to what: the synthesized RoleBindings of ``<env>-teams`` (group ``team:<t>:<level>``
   to the ClusterRole ``admin``/``edit``/``view`` in a namespace);
2. what those ClusterRoles grant: the built-in rules Kubernetes documents (bootstrap policy,
   https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles: ``edit`` and
   ``admin`` create Pods, ServiceAccounts, Services, Ingresses; ``view`` creates nothing; ``edit``
   aggregates into ``admin`` and ``view`` into ``edit``) plus every ClusterRole the environment's
   charts render with an ``aggregate-to-<level>`` label (``helm template`` with the real Helm);
3. which AWS identity each creatable object runs as, by External Secrets' documented behaviour
   ("AWS Access", https://external-secrets.io/latest/provider/aws-access/): a SecretStore without
   ``auth`` uses the controller's credentials, ``auth.jwt.serviceAccountRef`` the service account's
   IRSA role, ``role`` assumes any role; an ExternalSecret uses a ClusterSecretStore that serves the
   namespace; a Pod runs as any service account of its namespace. A SecretStore counts only if the
   synthesized admission policies admit it (CEL evaluated by cel-python);
4. what each identity reads: every synthesized inline policy, judged by the IAM evaluator for a
   parameter of each team, of the platform, and ``GetParametersByPath`` over ``/<env>``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.addons.test_secret_store_scope import store_serves
from tests.conftest import ROOT, Synth
from tests.render_support import render_or_skip
from tests.teams.tenancy_support import TEAM_LABEL, admission_manifests, admits, readable, roles

TEAM_ENVIRONMENTS = sorted(p.stem for p in (ROOT / "environments").glob("*.yaml") if yaml.safe_load(p.read_text()).get("teams"))
BUILT_IN_CREATE = {"edit": {("", "pods"), ("", "serviceaccounts"), ("", "services"), ("networking.k8s.io", "ingresses")}, "view": set()}
BUILT_IN_CREATE["admin"] = BUILT_IN_CREATE["edit"]
INCLUDES = {"view": ("view",), "edit": ("edit", "view"), "admin": ("admin", "edit", "view")}
ANY_SA = "a-service-account-the-member-creates"


def candidate_stores(namespace: str, region: str, others: list[str]) -> list[tuple[str, dict[str, Any], tuple[str, str]]]:
    """(what, SecretStore, how it authenticates) a member could write, from External Secrets' AWS provider fields."""

    def store(aws: dict[str, Any]) -> dict[str, Any]:
        spec = {"provider": {"aws": {"service": "ParameterStore", "region": region, **aws}}}
        return {"apiVersion": "external-secrets.io/v1", "kind": "SecretStore", "metadata": {"name": "s", "namespace": namespace}, "spec": spec}

    jwt = {"auth": {"jwt": {"serviceAccountRef": {"name": ANY_SA}}}}
    out = [
        ("no auth: the controller's credentials", store({}), ("controller", "")),
        ("no auth, assume a role", store({"role": "arn:aws:iam::1:role/x"}), ("any-role", "")),
        ("own service account", store(jwt), ("namespace", namespace)),
        ("own service account, chaining a role", store({**jwt, "role": "arn:aws:iam::1:role/x"}), ("any-role", "")),
        ("static keys", store({"auth": {"secretRef": {"accessKeyIDSecretRef": {"name": "k", "key": "id"}}}}), ("any-role", "")),
    ]
    for other in others:
        ref = {"auth": {"jwt": {"serviceAccountRef": {"name": ANY_SA, "namespace": other}}}}
        out.append((f"service account of namespace {other}", store(ref), ("namespace", other)))
    return out


def can_create(rules: list[dict[str, Any]], group: str, resource: str) -> bool:
    def has(values: list[str] | None, value: str) -> bool:
        return bool(values) and ("*" in values or value in values)  # type: ignore[operator]

    return any(has(r.get("apiGroups"), group) and has(r.get("resources"), resource) and has(r.get("verbs"), "create") for r in rules)


@pytest.fixture(scope="module")
def rendered_objects(helm, synth: Synth, environments) -> dict[str, list[dict[str, Any]]]:
    out = {}
    for name in TEAM_ENVIRONMENTS:
        result = render_or_skip(helm, environments[name], synth.outdir, write=False)
        out[name] = [obj for item in result.rendered for obj in item.objects if obj]
    return out


def aggregated_rules(objects: list[dict[str, Any]], level: str) -> list[dict[str, Any]]:
    labels = {f"rbac.authorization.k8s.io/aggregate-to-{lvl}" for lvl in INCLUDES[level]}
    return [
        rule
        for obj in objects
        if obj.get("kind") == "ClusterRole" and any((obj.get("metadata", {}).get("labels") or {}).get(label) == "true" for label in labels)
        for rule in obj.get("rules") or []
    ]


@pytest.mark.parametrize("env", TEAM_ENVIRONMENTS)
def test_a_team_member_reads_only_their_teams_parameters(env: str, synth: Synth, environments, rendered_objects) -> None:
    config = environments[env]
    name, region, account = config.name, config.region, config.account_id
    all_roles = roles(synth, name)
    manifests = admission_manifests(synth, name)
    team_of = {ns: team for team, spec in config.teams.items() for ns in spec.namespaces}
    probes = {f"{team}": ("ssm:GetParameter", f"/{name}/{team}/db-password") for team in config.teams}
    probes |= {f"{team} by path": ("ssm:GetParametersByPath", f"/{name}/{team}") for team in config.teams}
    probes |= {"platform": ("ssm:GetParameter", f"/{name}/platform-token"), f"all of /{name}": ("ssm:GetParametersByPath", f"/{name}")}
    cluster_stores = [o for o in rendered_objects[env] if o.get("kind") == "ClusterSecretStore"]

    def identities(how: tuple[str, str]) -> set[str]:
        kind, namespace = how
        if kind == "controller":
            return {r for r, role in all_roles.items() if "system:serviceaccount:external-secrets:external-secrets" in role["subjects"]}
        if kind == "namespace":
            return {r for r, role in all_roles.items() if any(s.startswith(f"system:serviceaccount:{namespace}:") for s in role["subjects"])}
        return set(all_roles)

    namespaces = synth.resources(f"{name}-teams", "kubernetes_namespace_v1")

    def namespace_of(ref: str) -> str:
        match = re.fullmatch(r"\$\{kubernetes_namespace_v1\.([^.]+)\.metadata\[0\]\.name\}", ref)
        return namespaces[match.group(1)]["metadata"]["name"] if match else ref

    bindings = [b for b in synth.resources(f"{name}-teams", "kubernetes_role_binding_v1").values() if b["subject"][0]["name"].startswith("team:")]
    assert bindings, f"{env}: no team RoleBinding synthesized"
    problems = []
    for binding in bindings:
        team = binding["subject"][0]["name"].split(":")[1]
        namespace = namespace_of(binding["metadata"]["namespace"])
        level = binding["role_ref"]["name"]
        assert level in INCLUDES, f"{env}: team {team} bound to ClusterRole {level}"
        rules = aggregated_rules(rendered_objects[env], level)
        creatable = set(BUILT_IN_CREATE[level])
        reach: dict[str, set[str]] = {}
        if ("", "pods") in creatable:
            reach["a Pod as any service account of the namespace"] = identities(("namespace", namespace))
        if can_create(rules, "external-secrets.io", "secretstores"):
            others = sorted(set(team_of) - {namespace}) + ["external-secrets"]
            for what, store, how in candidate_stores(namespace, region, others):
                if not admits(manifests, "secretstores", store, team):
                    reach[f"a SecretStore ({what})"] = identities(how)
        if can_create(rules, "external-secrets.io", "externalsecrets"):
            for cluster_store in cluster_stores:
                if store_serves(cluster_store["spec"], namespace, {TEAM_LABEL: team}):
                    reach[f"an ExternalSecret of ClusterSecretStore {cluster_store['metadata']['name']}"] = identities(("controller", ""))
        for what, role_ids in reach.items():
            for owner in sorted(readable(all_roles, role_ids, probes, region, account) - {team, f"{team} by path"}):
                problems.append(f"{team} {level} in {namespace}: {what} reads {owner}'s parameters")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("env", TEAM_ENVIRONMENTS)
def test_the_controller_reads_no_team_path(env: str, synth: Synth, environments) -> None:
    """The External Secrets controller's own role (what the environment-wide ClusterSecretStore and
    any store without auth read with) reads platform parameters, and no team's: neither a team
    parameter nor, through ``GetParametersByPath`` on an ancestor, the team paths wholesale."""
    config = environments[env]
    name = config.name
    all_roles = roles(synth, name)
    controller = {r for r, role in all_roles.items() if "system:serviceaccount:external-secrets:external-secrets" in role["subjects"]}
    assert controller, f"{env}: no role trusts the External Secrets controller"
    probes = {f"{team}": ("ssm:GetParameter", f"/{name}/{team}/db-password") for team in config.teams}
    probes |= {f"{team} (GetParameters)": ("ssm:GetParameters", f"/{name}/{team}/db-password") for team in config.teams}
    probes |= {f"{team} by path": ("ssm:GetParametersByPath", f"/{name}/{team}") for team in config.teams}
    probes |= {f"all of /{name} by path": ("ssm:GetParametersByPath", f"/{name}"), "platform": ("ssm:GetParameter", f"/{name}/platform-token")}
    assert readable(all_roles, controller, probes, config.region, config.account_id) == {"platform"}
