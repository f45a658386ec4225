"""``teams:`` in an environment file: what is accepted, and every rule's error naming file and field.

Pure config tests (no cdktf). Each case starts from the shipped file that has the shape the rule
needs and changes one thing.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.quantity import quantity
from environments import ENVIRONMENTS_DIR, ConfigError, load_environments, parse_environment
from environments.team_rules import default_quota

SHIPPED = {name: yaml.safe_load((ENVIRONMENTS_DIR / f"{name}.yaml").read_text()) for name in ("dev", "staging", "prod", "local")}


def problems(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], base: str = "dev") -> list[str]:
    data = copy.deepcopy(SHIPPED[base])
    mutate(data)
    path = tmp_path / f"{base}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with pytest.raises(ConfigError) as caught:
        parse_environment(path, f"environments/{base}.yaml")
    return caught.value.problems


def web(data: dict[str, Any]) -> dict[str, Any]:
    return data["teams"]["web"]


def second_team(data: dict[str, Any], **team: Any) -> None:
    data["teams"]["shop"] = {"namespaces": {"shop": {}}, "network_policy": {"enabled": False}, **team}


CASES: list[tuple[str, Callable[[dict[str, Any]], None], str, str]] = [
    ("role ARN shape", lambda d: web(d).update(admins=["arn:aws:iam::111111111111:user/alice"]), "teams.web.admins.0", "is not an IAM role ARN"),
    ("role ARN account", lambda d: web(d).update(viewers=["arn:aws:iam::1111:role/x"]), "teams.web.viewers.0", "is not an IAM role ARN"),
    ("namespace of two teams", lambda d: second_team(d, namespaces={"web": {}}), "teams.shop.namespaces.web", "already claimed by team 'web'"),
    (
        "namespace of an add-on",
        lambda d: web(d)["namespaces"].update({"external-secrets": {}}),
        "teams.web.namespaces.external-secrets",
        "belongs to add-on 'external-secrets'",
    ),
    ("system namespace", lambda d: web(d)["namespaces"].update({"kube-system": {}}), "teams.web.namespaces.kube-system", "system namespace"),
    (
        "quota beyond the node groups",
        lambda d: web(d).update(quota={"requests_cpu": "64", "requests_memory": "8Gi", "limits_cpu": "64", "limits_memory": "8Gi"}),
        "teams.web.quota.requests_cpu",
        "more than the node groups can ever hold (16 vCPUs at max_size)",
    ),
    (
        "quota memory beyond the node groups",
        lambda d: web(d).update(quota={"requests_cpu": "1", "requests_memory": "1Ti", "limits_cpu": "1", "limits_memory": "1Ti"}),
        "teams.web.quota.requests_memory",
        "more than the node groups can ever hold",
    ),
    (
        "limit beyond the largest node",
        lambda d: web(d).update(limit_range={"max_memory": "64Gi"}),
        "teams.web.limit_range.max_memory",
        "more than the largest node has (8192Mi)",
    ),
    (
        "limit cpu beyond the largest node",
        lambda d: web(d).update(limit_range={"max_cpu": "3"}),
        "teams.web.limit_range.max_cpu",
        "more than the largest node has (2 vCPUs)",
    ),
    (
        "network policy without an enforcer",
        lambda d: web(d).update(network_policy={"enabled": True}),
        "teams.web.network_policy.enabled",
        "no NetworkPolicy enforcer",
    ),
    (
        "Fargate namespace under a profile",
        lambda d: web(d)["namespaces"].update({"batch": {"fargate": True}}),
        "teams.web.namespaces.batch",
        "cluster.fargate_profiles.batch already selects",
    ),
    (
        "Fargate profile name taken",
        lambda d: (
            web(d)["namespaces"].update({"jobs": {"fargate": True}}),
            d["cluster"]["fargate_profiles"].update({"team-web-jobs": {"selectors": [{"namespace": "other"}]}}),
        ),
        "teams.web.namespaces.jobs",
        "Fargate profile name 'team-web-jobs' is already in cluster.fargate_profiles",
    ),
    ("baseline without a reason", lambda d: web(d).update(pod_security="baseline"), "teams.web.pod_security_reason", "needs a reason"),
    ("unknown pod security level", lambda d: web(d).update(pod_security="privileged"), "teams.web.pod_security", "Input should be 'restricted' or 'baseline'"),
    ("unknown key", lambda d: web(d).update(quotas={}), "teams.web.quotas", "Extra inputs are not permitted"),
    ("bad quantity", lambda d: web(d).update(limit_range={"default_cpu": "lots"}), "teams.web.limit_range.default_cpu", "not a Kubernetes quantity"),
    (
        "request above default limit",
        lambda d: web(d).update(limit_range={"default_request_cpu": "2", "default_cpu": "1"}),
        "teams.web.limit_range.default_request_cpu",
        "more than default_cpu",
    ),
    (
        "quota requests above limits",
        lambda d: web(d).update(quota={"requests_cpu": "4", "requests_memory": "8Gi", "limits_cpu": "2", "limits_memory": "8Gi"}),
        "teams.web.quota.requests_cpu",
        "more than limits_cpu",
    ),
    (
        "service account outside the team",
        lambda d: web(d)["service_accounts"].update({"api": {"namespace": "other"}}),
        "teams.web.service_accounts.api.namespace",
        "not one of the team's namespaces",
    ),
    (
        "reserved service account",
        lambda d: web(d)["service_accounts"].update({"secret-store": {"namespace": "web"}}),
        "teams.web.service_accounts.secret-store",
        "reserved",
    ),
    (
        "bad managed policy",
        lambda d: web(d)["service_accounts"]["web-api"].update(managed_policy_arns=["AmazonS3ReadOnlyAccess"]),
        "teams.web.service_accounts.web-api.managed_policy_arns.0",
        "not an IAM policy ARN",
    ),
    (
        "role already a cluster access entry",
        lambda d: web(d).update(developers=["arn:aws:iam::111111111111:role/developers"]),
        "teams.web.developers.0",
        "already has a cluster.access_entries entry",
    ),
    (
        "role in two teams",
        lambda d: second_team(d, viewers=["arn:aws:iam::111111111111:role/web-leads"]),
        "teams.shop.viewers.0",
        "already a member of team 'web'",
    ),
    (
        "role twice in one team",
        lambda d: web(d).update(viewers=["arn:aws:iam::111111111111:role/web-leads"]),
        "teams.web.viewers.0",
        "already listed in admins",
    ),
    ("no External Secrets", lambda d: d["addons"].pop("external-secrets"), "teams.web", "needs addons.external-secrets"),
    ("team name", lambda d: d["teams"].update({"Web": d["teams"].pop("web")}), "teams.Web.[key]", "String should match pattern"),
    (
        "egress CIDRs with open egress",
        lambda d: web(d).update(network_policy={"enabled": False, "allow_egress_cidrs": ["10.0.0.0/8"]}),
        "teams.web.network_policy.allow_egress_cidrs",
        "only with egress: restricted",
    ),
    (
        "role name too long",
        lambda d: web(d)["service_accounts"].update({"a-very-long-service-account-name-that-goes-on-and-on-and-on-x": {"namespace": "web"}}),
        "teams.web",
        "more than 64",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_team_config_names_file_and_field(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], field: str, message: str) -> None:
    found = problems(tmp_path, mutate)
    assert len(found) == 1, found
    assert found[0].startswith(f"environments/dev.yaml: {field}: "), found[0]
    assert message in found[0]


def test_shipped_teams_and_their_defaults() -> None:
    envs = {e.name: e for e in load_environments()}
    dev, prod = envs["dev"], envs["prod"]
    # dev's smallest node is t3.large (2 vCPUs, 8 GiB): two of them in requests, twice that in limits.
    assert default_quota(dev).model_dump(include={"requests_cpu", "requests_memory", "limits_cpu", "limits_memory"}) == {
        "requests_cpu": "4", "requests_memory": "16Gi", "limits_cpu": "8", "limits_memory": "32Gi"
    }  # fmt: skip
    assert prod.teams["search"].pod_security == "baseline" and prod.teams["search"].pod_security_reason
    assert prod.teams["payments"].namespaces["payments-jobs"].fargate


def test_quantities() -> None:
    assert quantity("500m") == quantity("0.5") and quantity("2Gi") == 2 * 2**30 and quantity("1k") == 1000
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        quantity("1 Gi")


@pytest.mark.parametrize("name", ["qa", "q1", "uat"])
def test_short_environment_names_and_their_derived_names(tmp_path: Path, name: str) -> None:
    data = copy.deepcopy(SHIPPED["prod"])
    data["name"] = name
    data.pop("ci", None)  # its promotion order names the other shipped environments, absent here
    (tmp_path / "env.yaml").write_text(yaml.safe_dump(data))
    [env] = load_environments(tmp_path)
    from catalog.addons.registry import bucket_name, enabled, queue_name, role_name
    from environments.teams import secrets_role_name, workload_role_name

    assert env.cluster_name == f"{name}-eks"
    for addon, options in enabled(env):
        assert 1 <= len(role_name(env, addon)) <= 64
        for bucket in addon.aws_needs(options).buckets:
            assert 3 <= len(bucket_name(env, addon, bucket.purpose)) <= 63
    assert len(queue_name(env)) <= 80
    for team, spec in env.teams.items():
        assert len(secrets_role_name(env, team)) <= 64
        assert all(len(workload_role_name(env, team, sa)) <= 64 for sa in spec.service_accounts)


@pytest.mark.parametrize("name", ["q", "1a", "qa-", "a" * 25])
def test_environment_names_still_rejected(tmp_path: Path, name: str) -> None:
    found = problems(tmp_path, lambda d: d.update(name=name))
    assert found[0].startswith("environments/dev.yaml: name: String should match pattern")


def test_karpenter_node_pool_limits_count_as_capacity(tmp_path: Path) -> None:
    staging = SHIPPED["staging"]
    assert staging["cluster"]["autoscaler"] == "karpenter"
    groups_cpu = 3 * 2  # general: max 3 x m6i.large
    pools_cpu = sum(p["limits"]["cpu"] for p in staging["karpenter"]["node_pools"].values())

    def quota(cpu: int) -> Callable[[dict[str, Any]], None]:
        return lambda d: d["teams"]["payments"].update(
            quota={"requests_cpu": str(cpu), "requests_memory": "8Gi", "limits_cpu": str(cpu), "limits_memory": "8Gi"}
        )

    path = tmp_path / "ok" / "staging.yaml"
    path.parent.mkdir()
    data = copy.deepcopy(staging)
    quota(groups_cpu + pools_cpu)(data)
    path.write_text(yaml.safe_dump(data))
    assert parse_environment(path).teams["payments"].quota.requests_cpu == str(groups_cpu + pools_cpu)
    [problem] = problems(tmp_path, quota(groups_cpu + pools_cpu + 1), base="staging")
    assert problem.startswith("environments/staging.yaml: teams.payments.quota.requests_cpu: ") and f"({groups_cpu + pools_cpu} vCPUs" in problem


def test_the_vpc_cni_network_policy_agent_counts_as_an_enforcer(tmp_path: Path) -> None:
    """Team NetworkPolicies need something to enforce them: Calico (addons.tigera-operator) or the
    VPC CNI's agent (enableNetworkPolicy on the managed add-on)."""
    dev = SHIPPED["dev"]
    assert "tigera-operator" not in dev["addons"] and not web(dev)["network_policy"]["enabled"]

    def enforced(data: dict[str, Any]) -> None:
        web(data).update(network_policy={"enabled": True})
        data["cluster"].setdefault("managed_addons", {}).setdefault("vpc-cni", {})["network_policy"] = True

    data = copy.deepcopy(dev)
    enforced(data)
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    env = parse_environment(path)
    assert env.teams["web"].network_policy.enabled and env.cluster.managed_addons.vpc_cni.network_policy
    # ... and without the agent the same file is refused, naming both ways out.
    [problem] = problems(tmp_path, lambda d: web(d).update(network_policy={"enabled": True}))
    assert "teams.web.network_policy.enabled" in problem and "cluster.managed_addons.vpc-cni.network_policy: true" in problem
