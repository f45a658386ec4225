"""Which physical AWS names an environment claims, and the rule that no two owners claim one.

The names themselves are built in :mod:`catalog.names`; this module lists, for a validated
environment, each name with its AWS scope and the stack object that builds it, so a collision is a
config error naming both owners, at load time, before any stack exists. Within one file (a team's
service account ``dns`` of team ``external`` is the add-on role ``<cluster>-external-dns``) and
across the files that share an account (IAM role names, GitHub's OIDC provider), an account and
Region (KMS alias names) or the partition (S3 bucket names).
"""

from __future__ import annotations

from collections.abc import Iterator

from catalog import names
from environments.ci import role_names
from environments.schema import EnvironmentConfig
from environments.state_backend import S3StateBackend
from environments.teams import secrets_role_name, team_fargate_profiles, workload_role_name

_GITHUB_OIDC = "token.actions.githubusercontent.com"


def owned(env: EnvironmentConfig) -> Iterator[names.Owned]:
    """(scope, name, owner) for every name the environment's stacks create."""
    account = f"account {env.account_id}"
    role = f"IAM role ({account})"
    # "The alias name must be unique in the account and Region" (AWS KMS Developer Guide, aliases).
    alias = f"KMS alias ({account}, {env.region})"
    cluster = env.cluster_name
    yield alias, f"alias/{names.cluster_key(cluster)}", f"{env.name}-cluster: cluster key"
    yield role, names.cluster_role(cluster), f"{env.name}-cluster: cluster role"
    yield role, names.node_role(cluster), f"{env.name}-cluster: node role"
    yield role, names.vpc_cni_role(cluster), f"{env.name}-cluster: vpc-cni role"
    if env.cluster.fargate_profiles:
        yield role, names.fargate_pod_role(cluster), f"{env.name}-cluster: Fargate pod execution role"
    if env.network.flow_logs:
        yield role, names.flow_logs_role(env.name), f"{env.name}-network: flow logs role"
        yield alias, f"alias/{names.flow_logs_key(env.name)}", f"{env.name}-network: flow logs key"
    for addon, options in env.enabled_addons:
        if addon.service_account is not None and addon.uses_role(options):
            yield role, names.addon_role(cluster, addon.name), f"{env.name}-addons-aws: add-on {addon.name}"
        for bucket in addon.aws_needs(options).buckets:
            bucket_name = names.addon_bucket(env.name, env.account_id, addon.name, bucket.purpose)
            yield "S3 bucket", bucket_name, f"{env.name}-addons-aws: add-on {addon.name} ({bucket.purpose})"
    auto = env.cluster.auto_mode
    if auto is not None:
        yield role, names.auto_node_role(cluster), f"{env.name}-cluster: Auto Mode node role (built-in pools)"
        if auto.enabled and auto.node_pools:
            yield role, names.auto_custom_node_role(cluster), f"{env.name}-cluster: Auto Mode node role (custom pools)"
    if env.karpenter is not None:
        yield role, names.karpenter_controller_role(cluster), f"{env.name}-addons-aws: Karpenter controller"
        yield role, names.karpenter_node_role(cluster), f"{env.name}-addons-aws: Karpenter nodes"
    for team_name, team in env.teams.items():
        yield role, secrets_role_name(env, team_name), f"{env.name}-teams-aws: team {team_name}'s SecretStore role"
        for sa in team.service_accounts:
            yield role, workload_role_name(env, team_name, sa), f"{env.name}-teams-aws: team {team_name}'s service account {sa}"
    if team_fargate_profiles(env):
        yield role, names.teams_fargate_pod_role(cluster), f"{env.name}-teams-aws: teams' Fargate pod execution role"
    if isinstance(env.state_backend, S3StateBackend):
        yield "S3 bucket", env.state_backend.bucket, f"{env.name}-state: state bucket"
        yield alias, f"alias/{names.state_key(env.state_backend.bucket)}", f"{env.name}-state: state key"
    ci = getattr(env, "ci", None)
    if ci is not None:
        plan, apply = role_names(env.name)
        yield role, plan, f"{env.name}-state: GitHub plan role"
        yield role, apply, f"{env.name}-state: GitHub apply role"
        yield f"IAM policy ({account})", names.ci_boundary(env.name), f"{env.name}-state: permissions boundary"
        yield role, names.ci_pr_plan_role(env.name), f"{env.name}-state: GitHub pull-request plan role"
        if ci.create_oidc_provider:
            yield f"IAM OIDC provider ({account})", _GITHUB_OIDC, f"{env.name}-state: GitHub OIDC provider"


def problems(envs: list[tuple[str, EnvironmentConfig]]) -> list[str]:
    """``<file>: <field>: ...`` for every name two owners claim, within a file or across files."""
    out: list[str] = []
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for shown, env in envs:
        for scope, name, owner in owned(env):
            key = (scope, name)
            if key in seen and seen[key][1] != owner:
                first_file, first_owner = seen[key]
                where = "" if first_file == shown else f" ({first_file})"
                out.append(f"{shown}: (physical names): {scope} name {name!r} is built twice: by {first_owner}{where} and by {owner}")
            else:
                seen.setdefault(key, (shown, owner))
    return out
