"""``teams:``: the tenants of an environment's cluster, each with its namespaces, people, limits,
network policy and workload identities (docs/teams.md shows a declaration and what it creates).

Pure data and rules, like the rest of ``environments/``: the constructs are in ``modules/team_*.py``
and ``stacks/teams*.py``. Rules that relate a team to the rest of the environment (node sizes,
add-ons, Fargate profiles, access entries) are in :func:`check_teams`, which the environment
schema runs; each problem names its field (``teams.<team>.<field>: message``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import Field, model_validator

from catalog import names
from catalog.fields import Cidr, K8sName, PolicyArn, RoleArn, Strict
from catalog.identity import Identity
from catalog.quantity import Quantity, quantity
from environments.fargate import FargateProfile, FargateSelector

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
