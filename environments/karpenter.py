"""``karpenter:`` — Karpenter's node pools, when ``cluster.autoscaler: karpenter`` (pure config, no cdktf).

Karpenter launches nodes for pending pods from the pools written here; a small managed node group
(``controller_node_group``) keeps running the controller itself and the system add-ons, because a
controller scheduled on nodes it manages can consolidate away the node it runs on, and every
DaemonSet-backed add-on (CSI drivers, termination handling) needs nodes before Karpenter is ready.
Managed nodes rather than Fargate: IRSA works on both, but the CSI node plugins, Calico and the
metrics pipeline need EC2 nodes anyway.

Every rule reports ``file: field.path: message`` through the loader, like the rest of the schema.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Literal, Self

from pydantic import Field, model_validator

from catalog.fields import K8sName, LabelKey, LabelValue, Strict, Taint
from catalog.karpenter import CONTROLLER_NODE_LABEL as CONTROLLER_NODE_LABEL  # re-exported: part of this section's facts
from catalog.karpenter import KARPENTER_VERSION, SUPPORTED_KUBERNETES
from catalog.karpenter import controller_node_labels as controller_node_labels  # re-exported: the stacks read it here

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig

# Durations as the v1.14.1 NodePool CRD accepts them (karpenter.sh_nodepools.yaml patterns).
_DURATION = r"^([0-9]+(s|m|h))+$"
_DURATION_OR_NEVER = r"^(([0-9]+(s|m|h))+|Never)$"
_BUDGET_DURATION = r"^((([0-9]+(h|m))|([0-9]+h[0-9]+m))(0s)?)$"
_BUDGET_NODES = r"^((100|[0-9]{1,2})%|[0-9]+)$"
_CRON = r"^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|((.+)\s(.+)\s(.+)\s(.+)\s(.+))$"

# An EKS-optimized AL2023 release (github.com/awslabs/amazon-eks-ami/releases, tags vYYYYMMDD), or
# ``latest``: whatever AWS published last, so every new release drifts every node.
_AMI_ALIAS = re.compile(r"^al2023@(v\d{8}|latest)$")

# Label domains the NodePool CRD reserves (its x-kubernetes-validations on template labels).
_RESERVED_LABEL_DOMAINS = ("karpenter.sh", "karpenter.k8s.aws")


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def alias_problem(alias: str, version: str) -> str | None:
    """Why AMI alias ``al2023@vYYYYMMDD`` cannot serve Kubernetes ``version``, or None.

    Rule: an amazon-eks-ami release builds AL2023 AMIs for the minors EKS offers on its date; a
    minor's AMIs start with its EKS release (the EKS-optimized AMI is published for a version when
    EKS makes it available: https://docs.aws.amazon.com/eks/latest/userguide/eks-optimized-ami.html,
    and each github.com/awslabs/amazon-eks-ami/releases entry lists the Kubernetes versions built)
    and stop after its end of extended support. So the alias date must lie between the minor's EKS
    release and its end of extended support (catalog/eks_versions.py). ``latest`` always fits.
    """
    from datetime import date

    from catalog.eks_versions import SUPPORT_CALENDAR

    match = re.match(r"^al2023@v(\d{4})(\d{2})(\d{2})$", alias)
    window = SUPPORT_CALENDAR.get(version)
    if match is None or window is None:
        return None
    built = date(*map(int, match.groups()))
    if built < window.released:
        return (
            f"{alias} was built on {built.isoformat()}, before EKS released Kubernetes {version} "
            f"({window.released.isoformat()}): it has no AMI for it and no node could launch. Pin an alias "
            f"from {window.released.isoformat()} on (github.com/awslabs/amazon-eks-ami/releases)"
        )
    if built > window.end_of_extended:
        return f"{alias} was built after Kubernetes {version} left EKS extended support ({window.end_of_extended.isoformat()}): it has no AMI for it"
    return None


def kubernetes_supported(version: str) -> bool:
    """Whether the pinned Karpenter supports Kubernetes ``version`` (its compatibility matrix)."""
    low, high = SUPPORTED_KUBERNETES
    return _minor(low) <= _minor(version) <= _minor(high)


class Budget(Strict):
    """At most ``nodes`` (a count or a percentage) disrupted at once, optionally only during
    ``schedule`` (cron, UTC) for ``duration``, optionally only for some ``reasons``."""

    nodes: Annotated[str, Field(pattern=_BUDGET_NODES)]
    schedule: Annotated[str, Field(pattern=_CRON)] | None = None
    duration: Annotated[str, Field(pattern=_BUDGET_DURATION)] | None = None
    reasons: tuple[Literal["Underutilized", "Empty", "Drifted"], ...] = ()

    @model_validator(mode="after")
    def _window(self) -> Self:
        if (self.schedule is None) != (self.duration is None):
            raise ValueError("schedule and duration are set together (a window needs both)")
        return self


class Disruption(Strict):
    """How Karpenter may remove nodes of the pool. Left out: consolidate empty or underutilized
    nodes after 1 minute, replace nodes after 30 days, at most 10% of the pool at a time."""

    consolidation_policy: Literal["WhenEmptyOrUnderutilized", "WhenEmpty"] = "WhenEmptyOrUnderutilized"
    consolidate_after: Annotated[str, Field(pattern=_DURATION_OR_NEVER)] = "1m"
    expire_after: Annotated[str, Field(pattern=_DURATION_OR_NEVER)] = "720h"
    budgets: tuple[Budget, ...] = Field(default=(Budget(nodes="10%"),), max_length=50)


class Limits(Strict):
    """The most the pool may hold in total: Karpenter launches nothing beyond it."""

    cpu: int = Field(ge=1, le=100_000)
    memory_gib: int | None = Field(default=None, ge=1)


_InstanceType = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$")]


class NodePool(Strict):
    """One Karpenter NodePool: what it may launch, how nodes look, how they go away.

    Instances are chosen either by ``instance_types`` (explicit) or by ``instance_categories`` /
    ``instance_families`` / ``instance_sizes`` (each left out: any); not both ways at once.
    """

    capacity_types: tuple[Literal["spot", "on-demand"], ...] = Field(default=("on-demand",), min_length=1)
    architectures: tuple[Literal["amd64", "arm64"], ...] = Field(default=("amd64",), min_length=1)
    instance_categories: tuple[Annotated[str, Field(pattern=r"^[a-z]$")], ...] = ()
    instance_families: tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")], ...] = ()
    instance_sizes: tuple[Annotated[str, Field(pattern=r"^[a-z0-9-]+$")], ...] = ()
    instance_types: tuple[_InstanceType, ...] = ()
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)
    taints: tuple[Taint, ...] = ()
    limits: Limits
    disruption: Disruption = Disruption()
    weight: int | None = Field(default=None, ge=1, le=100)

    @model_validator(mode="after")
    def _choices(self) -> Self:
        for field in ("capacity_types", "architectures", "instance_categories", "instance_families", "instance_sizes", "instance_types"):
            values = getattr(self, field)
            if len(set(values)) != len(values):
                raise ValueError(f"{field}: duplicate entry in {list(values)}")
        if self.instance_types and (self.instance_categories or self.instance_families or self.instance_sizes):
            raise ValueError("instance_types: explicit instance types exclude instance_categories/instance_families/instance_sizes; use one way")
        for key in self.labels:
            domain = key.split("/")[0] if "/" in key else ""
            if domain.endswith(_RESERVED_LABEL_DOMAINS) or key == "kubernetes.io/hostname":
                raise ValueError(f"labels: {key!r} is in a label domain Karpenter reserves for itself")
        return self


class KarpenterConfig(Strict):
    """Karpenter as the node autoscaler (``cluster.autoscaler: karpenter``).

    ``ami_alias``: the EC2NodeClass AMI, pinned (``al2023@vYYYYMMDD``): changing it replaces every
    Karpenter node, so it changes only in a reviewed commit. ``al2023@latest`` is accepted only in
    an environment with ``production: false``.
    ``interruption_handling``: Karpenter's own SQS queue for spot interruptions, rebalance and
    health events (then aws-node-termination-handler must not run in queue mode as well).
    """

    ami_alias: str
    controller_node_group: K8sName
    """The managed node group the controller runs on (it labels its nodes ``controller_node_labels``, the controller selects them)."""
    interruption_handling: bool = True
    replicas: int = Field(default=2, ge=1, le=3)
    disk_size_gib: int = Field(default=50, ge=20, le=16384)
    node_pools: dict[K8sName, NodePool] = Field(min_length=1)

    @model_validator(mode="after")
    def _alias(self) -> Self:
        if not _AMI_ALIAS.match(self.ami_alias):
            raise ValueError(f"ami_alias: expected a pinned alias al2023@v<YYYYMMDD> (an amazon-eks-ami release), or al2023@latest; got {self.ami_alias!r}")
        return self


def problems(env: EnvironmentConfig) -> list[str]:
    """Cross-section rules of Karpenter, each ``"<field.path>: message"`` (the loader adds the file)."""
    found: list[str] = []
    choice = env.cluster.autoscaler
    k = env.karpenter
    if choice == "karpenter" and k is None:
        found.append("karpenter: cluster.autoscaler is karpenter, so a karpenter section with node_pools is required")
    if choice != "karpenter":
        if k is not None:
            found.append(f"karpenter: set only when cluster.autoscaler is karpenter (it is {choice})")
        return found
    if "cluster-autoscaler" in env.addons:
        found.append(
            "addons.cluster-autoscaler: cluster.autoscaler is karpenter; both would manage nodes. "
            "Remove this add-on, or set cluster.autoscaler: cluster-autoscaler"
        )
    if not kubernetes_supported(env.cluster.version):
        low, high = SUPPORTED_KUBERNETES
        found.append(
            f"cluster.version: Karpenter {KARPENTER_VERSION} supports Kubernetes {low} to {high} (its compatibility matrix); got {env.cluster.version}"
        )
    if k is None:
        return found
    nth = env.addons.get("aws-node-termination-handler")
    if k.interruption_handling and nth is not None and getattr(nth, "mode", None) == "queue":
        found.append(
            "addons.aws-node-termination-handler.mode: queue mode and karpenter.interruption_handling would both act on "
            "the same EC2 interruption events; use mode: imds, or set karpenter.interruption_handling: false"
        )
    if k.controller_node_group not in env.cluster.node_groups:
        found.append(
            f"karpenter.controller_node_group: no node group {k.controller_node_group!r} in cluster.node_groups "
            f"(known: {', '.join(sorted(env.cluster.node_groups))})"
        )
    alias = alias_problem(k.ami_alias, env.cluster.version)
    if alias:
        found.append(f"karpenter.ami_alias: {alias}")
    if k.ami_alias.endswith("@latest") and env.production:
        found.append(
            "karpenter.ami_alias: al2023@latest is refused in production: every AMI release would replace every node "
            "unreviewed. Pin al2023@v<YYYYMMDD>, or mark the environment production: false"
        )
    return found
