"""The schema of an environment file: typed, frozen, unknown keys rejected.

This module imports no cdktf: the config tests run in milliseconds and a bad file fails before any
construct exists. Cross-field rules (CIDRs inside the VPC, no overlap, AZs in the region, sizes
ordered) live next to the fields they relate.

Over 300 lines because the top-level model composes every section and holds the rules that span
sections (network against cluster, add-ons against teams); each section's own models and rules
live in their own modules (teams, karpenter, ci, fargate, storage, state_backend, pod_network, ...).
"""

from __future__ import annotations

import ipaddress
import re
from functools import cached_property
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from catalog import names
from catalog.addons import registry
from catalog.addons.base import Addon
from catalog.eks_versions import CLUSTER_VERSIONS
from catalog.fields import Cidr, K8sName, LabelKey, LabelValue, RoleArn, Strict, Taint
from catalog.identity import Identity
from environments.auto_mode import AutoModeConfig
from environments.auto_mode import problems as auto_mode_problems
from environments.ci import CiConfig
from environments.fargate import FargateProfile, FargateSelector  # noqa: F401  (re-exported: part of the schema)

# Shared with the section modules (teams.py); re-exported here, where they were first defined.
from environments.instance_types import node_group_problem
from environments.karpenter import KarpenterConfig
from environments.karpenter import problems as karpenter_problems
from environments.managed_addons import ManagedAddons, resolve_versions
from environments.pod_network import PodNetwork, layout_problems
from environments.state_backend import CloudStateBackend, S3StateBackend, StateBackend, TfcDynamicCredentials  # noqa: F401  (re-exported)
from environments.storage import EfsAccessPoint, StorageConfig  # noqa: F401  (re-exported)
from environments.team_rules import check_teams
from environments.teams import Teams

# 2-24 characters: two-letter names like ``qa`` are common. Names derived from it (``<env>-eks``,
# ``<env>-<account>-<add-on>-<purpose>`` buckets, ``<cluster>-<add-on>`` roles) stay valid for both ends.
_NAME = r"^[a-z][a-z0-9-]{0,22}[a-z0-9]$"
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_DOMAIN = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


class NetworkConfig(Strict):
    """The VPC and its subnets: one public and one private subnet per availability zone."""

    vpc_cidr: Cidr
    availability_zones: tuple[str, ...] = Field(min_length=2, max_length=6)
    public_subnets: tuple[Cidr, ...]
    private_subnets: tuple[Cidr, ...]
    nat_gateways: Literal["single", "one_per_az"] = "single"
    flow_logs: bool = False
    flow_log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653] = 365
    pod_network: PodNetwork | None = None
    """Pods in subnets of a secondary CIDR (environments/pod_network.py); unset, pods share the private subnets."""
    interface_endpoints: tuple[Literal["ecr.api", "ecr.dkr", "sts", "logs"], ...] = ()
    """Interface endpoints in the private subnets (private DNS on), so private nodes pull images,
    get IRSA credentials and ship logs without the NAT gateway. The S3 gateway endpoint is always there."""

    @model_validator(mode="after")
    def _layout(self) -> Self:
        if len(set(self.interface_endpoints)) != len(self.interface_endpoints):
            raise ValueError(f"interface_endpoints: duplicate entry in {list(self.interface_endpoints)}")
        azs = self.availability_zones
        if len(set(azs)) != len(azs):
            raise ValueError(f"availability_zones: duplicate zone in {list(azs)}")
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        seen: list[tuple[str, ipaddress.IPv4Network]] = []
        for kind in ("public_subnets", "private_subnets"):
            cidrs = getattr(self, kind)
            if len(cidrs) != len(azs):
                raise ValueError(f"{kind}: expected one subnet per availability zone ({len(azs)}), got {len(cidrs)}")
            for i, cidr in enumerate(cidrs):
                net = ipaddress.IPv4Network(cidr)
                if not net.subnet_of(vpc):
                    raise ValueError(f"{kind}.{i}: {cidr} is not inside vpc_cidr {self.vpc_cidr}")
                for other_path, other in seen:
                    if net.overlaps(other):
                        raise ValueError(f"{kind}.{i}: {cidr} overlaps {other_path} {other}")
                seen.append((f"{kind}.{i}", net))
        for problem in layout_problems(self.pod_network, self.vpc_cidr, azs):
            raise ValueError(problem)
        return self


class NodeGroup(Strict):
    """An EKS managed node group. Spot groups get the labels and taints written here, nothing implicit."""

    instance_types: tuple[str, ...] = Field(min_length=1)
    capacity: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    min_size: int = Field(ge=0, le=450)
    desired_size: int = Field(ge=0, le=450)
    """Nodes at creation only: later changes are ignored (cluster-autoscaler owns the count; modules/cluster/node_groups.py)."""
    max_size: int = Field(ge=1, le=450)
    disk_size_gib: int = Field(default=50, ge=20, le=16384)
    ami_type: Literal["AL2023_x86_64_STANDARD", "AL2023_ARM_64_STANDARD", "BOTTLEROCKET_x86_64", "BOTTLEROCKET_ARM_64"] = "AL2023_x86_64_STANDARD"
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    ami_release_version: str | None = Field(default=None, pattern=r"^\d+\.\d+\.\d+-\d{8}$")
    """Pin the EKS-optimized AMI release (e.g. ``1.34.2-20261104``); unset, a version bump takes the
    latest release of the new minor. Its Kubernetes minor must be the cluster's."""

    @model_validator(mode="after")
    def _instance_types_exist_for_the_ami(self) -> Self:
        problem = node_group_problem(self.instance_types, self.ami_type)
        if problem:
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _sizes_ordered(self) -> Self:
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(f"need min_size <= desired_size <= max_size, got {self.min_size} <= {self.desired_size} <= {self.max_size}")
        return self


class AccessEntry(Strict):
    """Maps an IAM role to a Kubernetes access level.

    ``edit`` and ``view`` are scoped to ``namespaces``; the whole cluster only with
    ``cluster_wide: true``. ``admin`` without namespaces is cluster-admin. ``edit`` (or a namespaced
    ``admin``) on a platform namespace (kube-system and every add-on's namespace, where a pod can
    run as an add-on's IRSA service account and act with its AWS permissions) needs
    ``platform_namespaces: true``; cluster-wide ``edit`` includes them.
    """

    role_arn: RoleArn
    access: Literal["admin", "edit", "view"]
    namespaces: tuple[K8sName, ...] = ()
    cluster_wide: bool = False
    platform_namespaces: bool = False

    @model_validator(mode="after")
    def _scope(self) -> Self:
        from environments.access_scope import scope_problem

        problem = scope_problem(self)
        if problem:
            raise ValueError(problem)
        return self


class ClusterConfig(Strict):
    version: Literal[CLUSTER_VERSIONS]  # type: ignore[valid-type]  # pydantic reads a Literal of a tuple; mypy wants literals
    """Kubernetes minor (catalog/eks_versions.py: EKS standard or extended support in 2026-11).
    Raise it one minor at a time: node groups and managed add-ons follow in the same deploy."""
    upgrade_policy: Literal["STANDARD", "EXTENDED"] | None = None
    """EKS support type: ``STANDARD`` lets EKS upgrade the cluster when standard support ends
    instead of billing extended support; ``EXTENDED`` keeps it (billed); unset leaves EKS's default."""
    managed_addons: ManagedAddons = Field(default_factory=ManagedAddons)
    endpoint_public_access: bool = False
    public_access_cidrs: tuple[Cidr, ...] = ()
    log_types: tuple[Literal[CONTROL_PLANE_LOG_TYPES], ...] = CONTROL_PLANE_LOG_TYPES  # type: ignore[valid-type]  # pydantic reads a Literal of a tuple; mypy wants literals
    log_retention_days: Literal[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653] = 365
    node_groups: dict[K8sName, NodeGroup] = Field(default_factory=dict)
    """At least one, unless ``auto_mode`` runs the nodes (environments/auto_mode.py)."""
    fargate_profiles: dict[K8sName, FargateProfile] = Field(default_factory=dict)
    access_entries: tuple[AccessEntry, ...] = ()
    autoscaler: Literal["cluster-autoscaler", "karpenter"] = "cluster-autoscaler"
    """What adds and removes nodes: the Cluster Autoscaler over the managed node groups (enable its
    add-on), or Karpenter with the node pools of the ``karpenter:`` section (environments/karpenter.py)."""
    auto_mode: AutoModeConfig | None = None
    """EKS Auto Mode: AWS runs the nodes, networking, storage and load balancing (environments/auto_mode.py)."""

    @model_validator(mode="after")
    def _endpoint(self) -> Self:
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise ValueError("public_access_cidrs: a public endpoint needs at least one allowed CIDR (0.0.0.0/0 must be explicit)")
        if not self.endpoint_public_access and self.public_access_cidrs:
            raise ValueError("public_access_cidrs: set only when endpoint_public_access is true")
        if len(set(self.log_types)) != len(self.log_types):
            raise ValueError(f"log_types: duplicate entry in {list(self.log_types)}")
        versions_problem = resolve_versions(self.managed_addons, self.version)[1]
        if versions_problem:
            raise ValueError(versions_problem[0])
        for key, group in self.node_groups.items():
            if group.ami_release_version and not group.ami_release_version.startswith(f"{self.version}."):
                raise ValueError(
                    f"node_groups.{key}.ami_release_version: {group.ami_release_version} is not a release of Kubernetes {self.version} (cluster.version)"
                )
        arns = [e.role_arn for e in self.access_entries]
        dup = sorted({a for a in arns if arns.count(a) > 1})
        if dup:
            raise ValueError(f"access_entries: role {dup[0]} is listed more than once")
        return self


class DnsConfig(Strict):
    """The environment's public domain and the Route53 hosted zone(s) ExternalDNS may write to."""

    domain: Annotated[str, Field(pattern=_DOMAIN, max_length=253)]
    hosted_zone_ids: tuple[Annotated[str, Field(pattern=r"^Z[A-Z0-9]{1,31}$")], ...] = Field(min_length=1)


class Emulator(Strict):
    """Point the aws provider and the S3 backend at a local AWS emulator (moto) instead of AWS.

    The endpoint itself is not written into the JSON: Terraform and the aws provider read it from
    ``AWS_ENDPOINT_URL`` at run time, so a test can start the emulator on any free loopback port.
    """

    access_key: str = "testing"
    secret_key: str = "testing"


def _region(value: str) -> str:
    if not _REGION.match(value):
        raise ValueError(f"{value!r} is not an AWS region name (like eu-west-1)")
    return value


Region = Annotated[str, AfterValidator(_region)]


class EnvironmentConfig(Strict):
    """One environment: everything its stacks are built from."""

    name: str = Field(pattern=_NAME)
    account_id: str = Field(pattern=r"^\d{12}$")
    region: Region
    network: NetworkConfig
    cluster: ClusterConfig
    storage: StorageConfig = StorageConfig()
    dns: DnsConfig | None = None
    state_backend: StateBackend
    addons: dict[str, Any] = Field(default_factory=dict)
    """Enabled add-ons by name, each with its typed options (``catalog/addons/<name>.py``); others are off."""
    tags: dict[str, str] = Field(default_factory=dict)
    protect: bool = False
    """``prevent_destroy`` on the state bucket, KMS keys, EFS and add-on buckets (modules/shared/protect.py)."""
    emulator: Emulator | None = None
    production: bool = True
    """Whether the environment serves production. ``false`` permits conveniences refused in
    production (Karpenter's ``al2023@latest`` AMI alias)."""
    karpenter: KarpenterConfig | None = None
    """Karpenter's node pools; required exactly when ``cluster.autoscaler`` is ``karpenter``."""
    teams: Teams = Field(default_factory=dict)
    """The cluster's tenants (``environments/teams.py``, docs/teams.md)."""
    ci: CiConfig | None = None
    """GitHub Actions: repository/branch the CI roles trust, runner, promotion order (environments/ci.py)."""
    identity_default: Identity = "pod_identity"
    """The identity of every add-on and team service account that sets none and whose pods cannot
    run on Fargate (those use ``irsa``): environments/identity.py. ``both``, then ``handover``, while
    an environment moves from IRSA to EKS Pod Identity (docs/upgrades.md)."""

    @property
    def cluster_name(self) -> str:
        return names.cluster(self.name)

    @cached_property
    def enabled_addons(self) -> tuple[tuple[Addon, Any], ...]:
        """The enabled add-ons with their options, in dependency order: computed once per environment
        (every stack and rule that asks reads this)."""
        return tuple(registry.enabled(self))

    @model_validator(mode="before")
    @classmethod
    def _addon_options(cls, data: Any) -> Any:
        # The add-on catalog (catalog/addons/registry.py) sits on the floor below the config layer.
        # Runs before field validation so messages can name ``addons.<add-on>`` (names contain hyphens).
        if isinstance(data, dict) and isinstance(data.get("addons"), dict) and data["addons"]:
            data = {**data, "addons": registry.parse_options(data["addons"])}
        return data

    @model_validator(mode="after")
    def _addons_fit(self) -> Self:
        problems = registry.check_environment(self) if self.addons or self.teams else []
        if problems:
            raise ValueError(problems[0])
        return self

    @model_validator(mode="after")
    def _karpenter_fits(self) -> Self:
        problems = karpenter_problems(self)
        if problems:
            raise ValueError(problems[0])
        return self

    @model_validator(mode="after")
    def _auto_mode_fits(self) -> Self:
        for problem in auto_mode_problems(self):
            raise ValueError(problem)
        return self

    @model_validator(mode="after")
    def _teams_fit(self) -> Self:
        problems = check_teams(self)
        if problems:
            raise ValueError(problems[0])
        return self

    @model_validator(mode="after")
    def _identities_reach_pods(self) -> Self:
        from environments.identity import identity_problems

        for field, message in identity_problems(self):
            raise ValueError(f"{field}: {message}")
        return self

    @model_validator(mode="after")
    def _ci_runner_reaches_endpoint(self) -> Self:
        from environments.ci import runner_problems

        for field, message in runner_problems(self):
            raise ValueError(f"{field}: {message}")
        return self

    @model_validator(mode="after")
    def _cluster_admin(self) -> Self:
        from environments.access_scope import admin_problem

        problem = admin_problem(self)
        if problem:
            raise ValueError(f"{problem[0]}: {problem[1]}")
        return self

    @model_validator(mode="after")
    def _zones_in_region(self) -> Self:
        for i, zone in enumerate(self.network.availability_zones):
            if not re.fullmatch(re.escape(self.region) + r"[a-z]", zone):
                raise ValueError(f"network.availability_zones.{i}: {zone!r} is not a zone of region {self.region}")
        return self
