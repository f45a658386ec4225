"""The CI plan role can refresh every resource of ``<env>-teams``, and reads no Secret
in a team namespace.

The role's rights are evaluated from the synthesized JSON the way Kubernetes RBAC evaluates them
(https://kubernetes.io/docs/reference/access-authn-authz/rbac/): the Kubernetes groups of its access
entry, the ClusterRoleBindings and RoleBindings to those groups, and the rules of the bound
ClusterRoles (verb, API group, resource, and resourceNames when listed); plus its EKS access policy
(AdminView, namespace-scoped), which reads everything in its namespaces. What a refresh reads
comes from the providers: the kubernetes provider GETs each object by name, the helm provider
lists the release's Secrets in the release namespace.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from environments import EnvironmentConfig
from tests.conftest import Synth

# Terraform resource type -> (API group, resource), from the Kubernetes API reference.
KINDS = {
    "kubernetes_namespace_v1": ("", "namespaces"),
    "kubernetes_resource_quota_v1": ("", "resourcequotas"),
    "kubernetes_limit_range_v1": ("", "limitranges"),
    "kubernetes_service_account_v1": ("", "serviceaccounts"),
    "kubernetes_network_policy_v1": ("networking.k8s.io", "networkpolicies"),
    "kubernetes_role_binding_v1": ("rbac.authorization.k8s.io", "rolebindings"),
    "kubernetes_cluster_role_v1": ("rbac.authorization.k8s.io", "clusterroles"),
    "kubernetes_cluster_role_binding_v1": ("rbac.authorization.k8s.io", "clusterrolebindings"),
}
CLUSTER_SCOPED = {"namespaces", "clusterroles", "clusterrolebindings"}
REF = re.compile(r"^\$\{(kubernetes_\w+)\.([\w-]+)\.metadata\[0\]\.name\}$")
TEAM_ENVS = ["dev", "staging", "prod", "local"]


def _resolve(stack: dict[str, Any], value: str) -> str:
    match = REF.match(value)
    if not match:
        return value
    type_, key = match.groups()
    return _resolve(stack, stack["resource"][type_][key]["metadata"]["name"])


class PlanRole:
    def __init__(self, synth: Synth, env: EnvironmentConfig) -> None:
        from environments.ci import role_arns

        plan, _ = role_arns(env)
        cluster = f"{env.name}-cluster"
        [entry] = [e for e in synth.resources(cluster, "aws_eks_access_entry").values() if e["principal_arn"] == plan]
        self.groups = set(entry.get("kubernetes_groups") or [])
        key = plan.rsplit("/", 1)[1]
        [assoc] = [a for k, a in synth.resources(cluster, "aws_eks_access_policy_association").items() if k.split("_")[1] == f"policy-{key}"]
        assert assoc["policy_arn"].endswith("/AmazonEKSAdminViewPolicy") and assoc["access_scope"]["type"] == "namespace"
        self.admin_view = set(assoc["access_scope"]["namespaces"])
        stack = synth.stack(f"{env.name}-teams")
        self.stack = stack
        res = stack["resource"]
        roles = {_resolve(stack, r["metadata"]["name"]): r["rule"] for r in res.get("kubernetes_cluster_role_v1", {}).values()}

        def bound(binding: dict[str, Any]) -> bool:
            return any(s["kind"] == "Group" and s["name"] in self.groups for s in binding["subject"])

        self.cluster_rules = [
            rule
            for b in res.get("kubernetes_cluster_role_binding_v1", {}).values()
            if bound(b)
            for rule in roles.get(_resolve(stack, b["role_ref"]["name"]), [])
        ]
        self.namespace_rules: dict[str, list[dict[str, Any]]] = {}
        for b in res.get("kubernetes_role_binding_v1", {}).values():
            if bound(b) and b["role_ref"]["kind"] == "ClusterRole":
                ns = _resolve(stack, b["metadata"]["namespace"])
                self.namespace_rules.setdefault(ns, []).extend(roles.get(_resolve(stack, b["role_ref"]["name"]), []))

    def can(self, verb: str, group: str, resource: str, namespace: str | None, name: str | None = None) -> bool:
        if namespace is not None and namespace in self.admin_view:
            return resource not in CLUSTER_SCOPED  # AdminView: every namespaced kind, Secrets included
        rules = self.cluster_rules + (self.namespace_rules.get(namespace, []) if namespace else [])
        for rule in rules:
            if verb in rule["verbs"] and group in rule["api_groups"] and resource in rule["resources"]:
                names = rule.get("resource_names")
                if not names or (name is not None and name in names):
                    return True
        return False


@pytest.mark.parametrize("name", TEAM_ENVS)
def test_plan_role_can_refresh_every_resource_of_the_teams_stack(synth: Synth, environments: dict[str, EnvironmentConfig], name: str) -> None:
    env = environments[name]
    assert env.teams and env.ci is not None, f"{name} should have teams and ci: for this test to judge anything"
    role = PlanRole(synth, env)
    checked = 0
    for type_, bodies in role.stack["resource"].items():
        for key, body in bodies.items():
            if type_ == "helm_release":
                # Helm's secret driver lists sh.helm.release.v1.<name>.* by label in the release namespace.
                assert role.can("list", "", "secrets", body["namespace"]), f"{key}: cannot read the release in {body['namespace']}"
            elif type_ in KINDS:
                group, resource = KINDS[type_]
                meta = body["metadata"]
                namespace = None if resource in CLUSTER_SCOPED else _resolve(role.stack, meta["namespace"])
                assert role.can("get", group, resource, namespace, _resolve(role.stack, meta["name"])), f"{key}: plan role cannot get it"
            else:
                pytest.fail(f"{type_} {key}: no entry in KINDS; say what a refresh of it reads")
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize("name", TEAM_ENVS)
def test_plan_role_reads_no_secret_or_workload_of_a_team(synth: Synth, environments: dict[str, EnvironmentConfig], name: str) -> None:
    env = environments[name]
    role = PlanRole(synth, env)
    for team in env.teams.values():
        for ns in team.namespaces:
            for resource in ("secrets", "pods", "configmaps"):
                assert not role.can("get", "", resource, ns, "any"), f"plan role reads {resource} in team namespace {ns}"
                assert not role.can("list", "", resource, ns), f"plan role lists {resource} in team namespace {ns}"
    # And nothing cluster-scoped beyond the named objects: another namespace's object is not readable.
    assert not role.can("get", "", "namespaces", None, "kube-system")
    assert not role.can("list", "", "namespaces", None)
