"""What a team may ask of the cluster it lives in: quotas and limit ranges against what the node
groups (or Karpenter's pools) can ever hold, the NetworkPolicy enforcer, role-name lengths."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from catalog.namespaces import KUBERNETES_BUILT_IN
from catalog.quantity import quantity
from environments.instance_types import instance_size
from environments.teams import (
    IAM_ROLE_NAME_MAX,
    NETWORK_POLICY_ADDONS,
    SECRETS_ADDON,
    LimitRange,
    ResourceQuota,
    Team,
    fargate_profile_name,
    secrets_role_name,
    workload_role_name,
)

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig

# Namespaces every cluster has; no team may own one.
# The add-on that serves each team's SecretStore, and the one that enforces NetworkPolicy.


def _sizes(env: EnvironmentConfig) -> list[tuple[int, int, int]]:
    """(max_size, largest vCPUs, largest memory MiB) of each node group whose types EC2 knows."""
    sizes = []
    for group in env.cluster.node_groups.values():
        known = [s for t in group.instance_types if (s := instance_size(t)) is not None]
        if known:
            sizes.append((group.max_size, max(s.vcpus for s in known), max(s.memory_mib for s in known)))
    return sizes


def default_quota(env: EnvironmentConfig) -> ResourceQuota:
    """Two of the environment's smallest nodes in requests, twice that in limits: a team starts
    with room for a few services and cannot take a large share of the cluster."""
    smallest = [s for g in env.cluster.node_groups.values() for t in g.instance_types if (s := instance_size(t)) is not None]
    cpu = min((s.vcpus for s in smallest), default=2) * 2
    mem_gib = min((s.memory_mib for s in smallest), default=8192) * 2 // 1024
    return ResourceQuota(requests_cpu=str(cpu), requests_memory=f"{mem_gib}Gi", limits_cpu=str(cpu * 2), limits_memory=f"{mem_gib * 2}Gi")


def effective_quota(env: EnvironmentConfig, team: Team) -> ResourceQuota:
    return team.quota or default_quota(env)


def effective_limit_range(env: EnvironmentConfig, team: Team) -> LimitRange:
    """The team's limit range with ``max_*`` filled in from the largest node when left out."""
    sizes = _sizes(env)
    lr = team.limit_range
    updates = {}
    if lr.max_cpu is None:
        updates["max_cpu"] = str(max((s[1] for s in sizes), default=2))
    if lr.max_memory is None:
        updates["max_memory"] = f"{max((s[2] for s in sizes), default=8192)}Mi"
    return lr.model_copy(update=updates)


# -- rules across the environment ----------------------------------------------------------------


def network_policy_enforcer(env: EnvironmentConfig) -> str | None:
    """What enforces NetworkPolicy, if anything: an enabled add-on (Calico), else the VPC CNI's
    network policy agent (``cluster.managed_addons.vpc-cni.network_policy``: the managed add-on's
    ``enableNetworkPolicy``, https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html)."""
    addon = next((name for name in NETWORK_POLICY_ADDONS if name in env.addons), None)
    if addon is None and env.cluster.managed_addons.vpc_cni.network_policy:
        return "vpc-cni"
    return addon


def check_teams(env: EnvironmentConfig) -> list[str]:
    """Problems relating the teams to the rest of ``env``, each ``teams.<path>: message``."""
    problems: list[str] = []
    if not env.teams:
        return problems
    owner: dict[str, str] = {}
    role_owner: dict[str, str] = {}
    cluster_roles = {e.role_arn for e in env.cluster.access_entries}
    profile_namespaces = {s.namespace: key for key, profile in env.cluster.fargate_profiles.items() for s in profile.selectors}
    capacity_cpu: Decimal = Decimal(sum(n * cpu for n, cpu, _ in _sizes(env)))
    capacity_mem: Decimal = Decimal(sum(n * mem for n, _, mem in _sizes(env)) * 2**20)
    largest_cpu: int | Decimal = max((cpu for _, cpu, _ in _sizes(env)), default=0)
    largest_mem: int | Decimal = max((mem for _, _, mem in _sizes(env)), default=0) * 2**20
    karpenter = getattr(env, "karpenter", None)
    if karpenter is not None:
        # Karpenter's node pools add up to their limits; it picks node sizes itself, so the
        # largest node is not known here and container maxima are not checked against it.
        pools = karpenter.node_pools.values()
        capacity_cpu += sum(p.limits.cpu for p in pools)
        memory = [p.limits.memory_gib for p in pools]
        capacity_mem = Decimal("Infinity") if None in memory else capacity_mem + sum(memory) * 2**30
        largest_cpu = largest_mem = Decimal("Infinity")
    if SECRETS_ADDON not in env.addons:
        first = next(iter(env.teams))
        problems.append(f"teams.{first}: teams get a SecretStore each, which needs addons.{SECRETS_ADDON} enabled")
    for name, team in env.teams.items():
        where = f"teams.{name}"
        for ns, spec in team.namespaces.items():
            if ns in KUBERNETES_BUILT_IN:
                problems.append(f"{where}.namespaces.{ns}: {ns!r} is a system namespace; a team cannot own it")
            elif ns in owner:
                problems.append(f"{where}.namespaces.{ns}: namespace {ns!r} is already claimed by team {owner[ns]!r}")
            owner.setdefault(ns, name)
            if ns in profile_namespaces:
                problems.append(
                    f"{where}.namespaces.{ns}: cluster.fargate_profiles.{profile_namespaces[ns]} already selects "
                    f"namespace {ns!r}; a team namespace is scheduled by the team's settings only"
                )
            if spec.fargate and fargate_profile_name(name, ns) in env.cluster.fargate_profiles:
                problems.append(f"{where}.namespaces.{ns}: Fargate profile name {fargate_profile_name(name, ns)!r} is already in cluster.fargate_profiles")
        for kind in ("admins", "developers", "viewers"):
            for i, arn in enumerate(getattr(team, kind)):
                if arn in cluster_roles:
                    problems.append(f"{where}.{kind}.{i}: role {arn} already has a cluster.access_entries entry (one access entry per role)")
                elif arn in role_owner:
                    problems.append(f"{where}.{kind}.{i}: role {arn} is already a member of team {role_owner[arn]!r}")
                role_owner.setdefault(arn, name)
        if team.network_policy.enabled and network_policy_enforcer(env) is None:
            problems.append(
                f"{where}.network_policy.enabled: no NetworkPolicy enforcer is enabled (addons.tigera-operator, or "
                "cluster.managed_addons.vpc-cni.network_policy: true); enable one or set network_policy: {enabled: false}"
            )
        quota = effective_quota(env, team)
        if quantity(quota.requests_cpu) > capacity_cpu:
            problems.append(f"{where}.quota.requests_cpu: {quota.requests_cpu} is more than the node groups can ever hold ({capacity_cpu} vCPUs at max_size)")
        if quantity(quota.requests_memory) > capacity_mem:
            problems.append(
                f"{where}.quota.requests_memory: {quota.requests_memory} is more than the node groups can ever hold ({capacity_mem / 2**30:.0f}Gi at max_size)"
            )
        lr = team.limit_range
        if lr.max_cpu is not None and quantity(lr.max_cpu) > largest_cpu:
            problems.append(f"{where}.limit_range.max_cpu: {lr.max_cpu} is more than the largest node has ({largest_cpu} vCPUs)")
        if lr.max_memory is not None and quantity(lr.max_memory) > largest_mem:
            problems.append(f"{where}.limit_range.max_memory: {lr.max_memory} is more than the largest node has ({largest_mem // 2**20}Mi)")
        for role in [secrets_role_name(env, name), *(workload_role_name(env, name, sa) for sa in team.service_accounts)]:
            if len(role) > IAM_ROLE_NAME_MAX:
                problems.append(f"{where}: IAM role name {role!r} is {len(role)} characters, more than {IAM_ROLE_NAME_MAX}")
    return problems
