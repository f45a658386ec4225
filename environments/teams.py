"""``teams:``: the tenants of an environment's cluster, each with its namespaces, people, limits,
network policy and workload identities (docs/teams.md shows a declaration and what it creates).

Pure data and rules, like the rest of ``environments/``: the constructs are in ``modules/team_*.py``
and ``stacks/teams*.py``. Rules that relate a team to the rest of the environment (node sizes,
add-ons, Fargate profiles, access entries) are in :func:`check_teams`, which the environment
schema runs; each problem names its field (``teams.<team>.<field>: message``).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from catalog import names
from catalog.fields import Cidr, K8sName, PolicyArn, RoleArn, Strict
from catalog.identity import Identity
from catalog.namespaces import KUBERNETES_BUILT_IN
from environments.fargate import FargateProfile, FargateSelector
from environments.instance_types import instance_size

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig

# Namespaces every cluster has; no team may own one.
# The add-on that serves each team's SecretStore, and the one that enforces NetworkPolicy.
SECRETS_ADDON = "external-secrets"
NETWORK_POLICY_ADDONS = ("tigera-operator",)
# The label every team namespace carries (its value: the team).
TEAM_LABEL = "platform.example.com/team"
# The service account the team's SecretStore authenticates as, in each team namespace.
SECRET_STORE_SERVICE_ACCOUNT = "secret-store"
IAM_ROLE_NAME_MAX = 64  # IAM quotas: role names are 1-64 characters

# -- Kubernetes quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/)
_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_SUFFIX = {
    None: Decimal(1), "m": Decimal("0.001"),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15), "E": Decimal(10**18),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40), "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}  # fmt: skip


def quantity(value: str) -> Decimal:
    """The number a Kubernetes quantity stands for (``500m`` -> 0.5, ``2Gi`` -> 2147483648)."""
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (like 500m, 2, 512Mi, 4Gi)")
    try:
        return Decimal(match.group(1)) * _SUFFIX[match.group(2)]
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"{value!r} is not a Kubernetes quantity") from None


def _quantity_string(value: str | int) -> str:
    text = str(value)
    quantity(text)
    return text


Quantity = Annotated[str, AfterValidator(_quantity_string)]
TeamName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,18}[a-z0-9]$")]


class ResourceQuota(Strict):
    """Per namespace. Left out: sized from the environment's nodes (:func:`default_quota`)."""

    requests_cpu: Quantity
    requests_memory: Quantity
    limits_cpu: Quantity
    limits_memory: Quantity
    pods: int = Field(default=100, ge=1, le=10000)
    services_load_balancers: int = Field(default=2, ge=0, le=100)
    persistent_volume_claims: int = Field(default=10, ge=0, le=1000)
    requests_storage: Quantity = "200Gi"

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Self:
        for kind in ("cpu", "memory"):
            request, limit = getattr(self, f"requests_{kind}"), getattr(self, f"limits_{kind}")
            if quantity(request) > quantity(limit):
                raise ValueError(f"requests_{kind}: {request} is more than limits_{kind} {limit}")
        return self


class LimitRange(Strict):
    """Per container: defaults for containers that set none, and the largest one allowed."""

    default_request_cpu: Quantity = "100m"
    default_request_memory: Quantity = "128Mi"
    default_cpu: Quantity = "500m"
    default_memory: Quantity = "512Mi"
    max_cpu: Quantity | None = None
    """Left out: the largest node's vCPUs (a bigger container could never be scheduled)."""
    max_memory: Quantity | None = None
    """Left out: the largest node's memory."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        for kind in ("cpu", "memory"):
            request, default = getattr(self, f"default_request_{kind}"), getattr(self, f"default_{kind}")
            if quantity(request) > quantity(default):
                raise ValueError(f"default_request_{kind}: {request} is more than default_{kind} {default}")
            largest = getattr(self, f"max_{kind}")
            if largest is not None and quantity(default) > quantity(largest):
                raise ValueError(f"default_{kind}: {default} is more than max_{kind} {largest}")
        return self


class NetworkPolicy(Strict):
    """Ingress is denied except from the namespace itself, the ``allow_from_namespaces`` and the
    public subnets (where internet-facing load balancers of the AWS Load Balancer Controller send
    from, to pod IP targets) plus ``allow_from_cidrs`` (e.g. internal load balancers' subnets).
    Egress is ``open``, or ``restricted`` to DNS, the namespace itself and ``allow_egress_cidrs``."""

    enabled: bool = True
    egress: Literal["open", "restricted"] = "open"
    allow_from_namespaces: tuple[K8sName, ...] = ()
    allow_from_cidrs: tuple[Cidr, ...] = ()
    allow_egress_cidrs: tuple[Cidr, ...] = ()

    @model_validator(mode="after")
    def _egress_cidrs(self) -> Self:
        if self.allow_egress_cidrs and self.egress != "restricted":
            raise ValueError("allow_egress_cidrs: only with egress: restricted (open egress allows everything)")
        return self


class TeamNamespace(Strict):
    fargate: bool = False
    """Run every pod of the namespace on Fargate (a Fargate profile selecting the namespace).
    NetworkPolicy is not enforced for Fargate pods (neither Calico nor the VPC CNI agent runs there)."""


class WorkloadIdentity(Strict):
    """A service account of the team with its own IAM role: read of the team's SSM path
    ``/<env>/<team>/*`` plus ``managed_policy_arns``."""

    namespace: K8sName
    identity: Identity | None = None
    """``irsa``, ``pod_identity``, ``both`` or ``handover`` (``catalog/identity.py``). Left out: ``irsa`` when a
    Fargate profile selects the namespace, else the environment's ``identity_default``."""
    managed_policy_arns: tuple[PolicyArn, ...] = Field(default=(), max_length=10)


class Team(Strict):
    namespaces: dict[K8sName, TeamNamespace] = Field(min_length=1)
    admins: tuple[RoleArn, ...] = ()
    developers: tuple[RoleArn, ...] = ()
    viewers: tuple[RoleArn, ...] = ()
    pod_security: Literal["restricted", "baseline"] = "restricted"
    pod_security_reason: str | None = Field(default=None, min_length=10)
    """Why the team needs ``baseline``: required with it, so the exception is reviewed."""
    quota: ResourceQuota | None = None
    limit_range: LimitRange = LimitRange()
    network_policy: NetworkPolicy = NetworkPolicy()
    service_accounts: dict[K8sName, WorkloadIdentity] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.pod_security == "baseline" and not self.pod_security_reason:
            raise ValueError("pod_security_reason: pod_security: baseline needs a reason (why restricted does not fit)")
        if self.pod_security == "restricted" and self.pod_security_reason:
            raise ValueError("pod_security_reason: only with pod_security: baseline")
        seen: dict[str, str] = {}
        for kind in ("admins", "developers", "viewers"):
            for i, arn in enumerate(getattr(self, kind)):
                if arn in seen:
                    raise ValueError(f"{kind}.{i}: role {arn} is already listed in {seen[arn]}")
                seen[arn] = kind
        for name, sa in self.service_accounts.items():
            if sa.namespace not in self.namespaces:
                raise ValueError(f"service_accounts.{name}.namespace: {sa.namespace!r} is not one of the team's namespaces {sorted(self.namespaces)}")
            if name == SECRET_STORE_SERVICE_ACCOUNT:
                raise ValueError(f"service_accounts.{name}: the name is reserved for the team's SecretStore")
        return self

    @property
    def members(self) -> dict[str, tuple[str, ...]]:
        """Kubernetes access level (``admin``/``edit``/``view``) -> the IAM roles that get it."""
        return {"admin": self.admins, "edit": self.developers, "view": self.viewers}


Teams = dict[TeamName, Team]


# -- names derived from the config (a contract: renaming one replaces the resource) ---------------


def team_group(team: str, access: str) -> str:
    """The Kubernetes group a team's role is mapped to by its access entry: ``team:<team>:<access>``."""
    return f"team:{team}:{access}"


def workload_role_name(env: EnvironmentConfig, team: str, service_account: str) -> str:
    """``<cluster>-<team>-<service account>``."""
    return names.team_workload_role(env.cluster_name, team, service_account)


def secrets_role_name(env: EnvironmentConfig, team: str) -> str:
    """The role the team's SecretStores use: ``<cluster>-<team>-secrets``."""
    return names.team_secrets_role(env.cluster_name, team)


def fargate_profile_name(team: str, namespace: str) -> str:
    return names.team_fargate_profile(team, namespace)


def team_fargate_profiles(env: EnvironmentConfig) -> dict[str, FargateProfile]:
    """One profile per Fargate namespace of a team: ``team-<team>-<namespace>``."""
    return {
        fargate_profile_name(team, ns): FargateProfile(selectors=(FargateSelector(namespace=ns),))
        for team, spec in env.teams.items()
        for ns, namespace in spec.namespaces.items()
        if namespace.fargate
    }


def ssm_path(env: EnvironmentConfig, team: str) -> str:
    """The team's SSM parameters: ``/<env>/<team>``."""
    return f"/{env.name}/{team}"


# -- sizes from the node groups ------------------------------------------------------------------


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
