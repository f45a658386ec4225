"""The one shape every add-on has: a pinned chart, a namespace, optionally a service account that
gets an IAM role (IRSA, EKS Pod Identity or both: ``catalog/identity.py``), and pure functions from the environment to an IAM policy and Helm values.

Nothing here imports cdktf: the registry is used while environment files are validated, and the
constructs that turn these specs into Terraform resources live in ``modules/addon_*.py``.
Values that are only known at apply time (role ARNs, bucket names, the KMS key) arrive in
:class:`AddonContext` as opaque strings (cdktf tokens): specs only place them, never inspect them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict

from catalog.identity import IRSA_ANNOTATION, Identity, annotated

if TYPE_CHECKING:  # only for annotations; the loader passes the registry to the schema (no import cycle)
    from environments.schema import EnvironmentConfig

Statement = dict[str, Any]


class Options(BaseModel):
    """Per-add-on settings from the environment file (``addons.<name>: {...}``). Unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    identity: Identity | None = None
    """How the add-on's service account gets AWS credentials (``catalog/identity.py``). Left out:
    derived from where its pods can run (``environments/identity.py``). Only for add-ons with a role."""


@dataclass(frozen=True)
class Chart:
    """A pinned chart and the Kubernetes minors it runs on: its own Chart.yaml ``kubeVersion`` (None
    when the chart declares none; tests/config/test_lifecycle_config.py reads it back from the
    pinned archive) and, where the project knows a narrower documented range, ``supported``
    (lowest minor, highest minor, source)."""

    repository: str
    name: str
    version: str  # exact: helm_release always pins
    kube_version: str | None = None
    supported: tuple[str, str, str] | None = None


@dataclass(frozen=True)
class ServiceAccount:
    """The service account the add-on's role binds to, and where in the chart's values its block lives."""

    name: str
    values_path: tuple[str, ...]


@dataclass(frozen=True)
class CustomResources:
    """Objects of CRDs the add-on installs, applied as a second release after the first one is ready
    (a CRD must exist before Terraform can plan objects of it; see ADDONS.md §2.5)."""

    release: str
    manifests: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class Bucket:
    """An S3 bucket the add-on stores data in. Objects expire after ``expire_days`` (None: never)."""

    purpose: str  # short and static, part of the bucket name: <env>-<account>-<addon>-<purpose>
    expire_days: int | None = None


@dataclass(frozen=True)
class AwsNeeds:
    """AWS resources the add-on needs besides its role, created in ``<env>-addons-aws``."""

    buckets: tuple[Bucket, ...] = ()
    interruption_queue: bool = False


@dataclass(frozen=True)
class AddonContext:
    """What every spec method may read: the environment, the add-on's options, the cluster's name.

    Two sides extend it, each built in one place (``stacks/addon_contexts.py``) from the outputs its
    stack can see, so the type says which values a method gets. Strings marked *token* are opaque
    until apply.
    """

    env: EnvironmentConfig
    options: Any  # the add-on's own Options model
    cluster_name: str  # from config (static): used in tag keys and IAM condition keys

    @property
    def region(self) -> str:
        return self.env.region

    @property
    def account_id(self) -> str:
        return self.env.account_id


@dataclass(frozen=True)
class AwsSide(AddonContext):
    """What ``policy()`` sees, in ``<env>-addons-aws``: the resources its IAM statements name."""

    kms_key_arn: str = ""  # token: the environment's key (cluster stack)
    vpc_id: str = ""  # token
    efs_file_system_arn: str = ""  # token, only when storage.efs
    bucket_arns: Mapping[str, str] = field(default_factory=dict)  # purpose -> ARN (token)
    queue_arn: str = ""  # token


@dataclass(frozen=True)
class ClusterSide(AddonContext):
    """What ``values()`` and ``custom_resources()`` see, in ``<env>-addons``: what the release configures."""

    kms_key_arn: str = ""  # token: the environment's key (cluster stack)
    vpc_id: str = ""  # token
    efs_file_system_id: str = ""  # token, only when storage.efs
    role_arn: str = ""  # token, only for add-ons with a service account role
    identity: str = "irsa"  # the service account's identity (environments/identity.py): annotated only with irsa/both
    bucket_names: Mapping[str, str] = field(default_factory=dict)  # purpose -> name
    queue_url: str = ""  # token


class Addon:
    """Base of every add-on. Subclasses set the class attributes and override what applies.

    ``requires``: add-ons that must also be enabled (a config error otherwise).
    ``after``: add-ons whose releases must be ready first when they are enabled (ordering only).
    Both are class references, never names, so a rename cannot silently break a dependency.
    """

    name: ClassVar[str]
    chart: ClassVar[Chart]
    namespace: ClassVar[str]
    service_account: ClassVar[ServiceAccount | None] = None
    options_model: ClassVar[type[Options]] = Options
    requires: ClassVar[tuple[type[Addon], ...]] = ()
    after: ClassVar[tuple[type[Addon], ...]] = ()
    managed_policy_arns: ClassVar[tuple[str, ...]] = ()
    # parliament findings accepted on the add-on's inline policy, issue id -> reason (modules/shared/iam_lint.py)
    iam_lint_accept: ClassVar[dict[str, str]] = {}
    skip_crds: ClassVar[bool] = False  # another release installs and upgrades the chart's CRDs
    # Directories inside the chart whose CRDs Helm installs once and never upgrades (``crds/`` of the
    # chart and of enabled subcharts): the stacks give them releases of their own and set
    # ``skip_crds`` on this one (modules/shared/crds.py). A test renders every chart with real Helm
    # and fails when a chart ships CRDs there that no directory here names.
    crd_dirs: ClassVar[tuple[str, ...]] = ()
    # The chart's own switch for a ServiceMonitor/PodMonitor of its metrics, merged into the values
    # when kube-prometheus-stack (the operator that reads them) is enabled.
    monitor_switch: ClassVar[Mapping[str, Any]] = {}

    def check(self, env: EnvironmentConfig, options: Any) -> list[str]:
        """Problems with enabling this add-on in ``env`` (each ``"<relative.path>: message"`` or a message)."""
        return []

    def uses_role(self, options: Any) -> bool:
        """Whether the add-on calls AWS (and so gets a role for its service account) with these options."""
        return self.service_account is not None

    def aws_needs(self, options: Any) -> AwsNeeds:
        return AwsNeeds()

    def policy(self, ctx: AwsSide) -> list[Statement]:
        """Inline IAM statements of the add-on's role (scoped to this environment's resources)."""
        return []

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        """Helm values, without the service-account block (the base adds it at its chart path)."""
        return {}

    def custom_resources(self, ctx: ClusterSide) -> CustomResources | None:
        return None

    def monitor_values(self, options: Any) -> Mapping[str, Any]:
        """Values that make the chart render a monitor of its metrics (``monitor_switch`` unless the options matter)."""
        return self.monitor_switch

    def release_values(self, ctx: ClusterSide) -> dict[str, Any]:
        """The complete values: :meth:`values` plus the service-account block, with the IRSA role
        annotation when the identity is ``irsa`` or ``both`` (Pod Identity needs none: the association
        names the service account)."""
        values = self.values(ctx)
        if "kube-prometheus-stack" in ctx.env.addons:
            values = _merge(values, self.monitor_values(ctx.options))
        sa = self.service_account
        if sa is not None:
            block: dict[str, Any] = {"create": True, "name": sa.name}
            if self.uses_role(ctx.options) and annotated(ctx.identity):
                block["annotations"] = {IRSA_ANNOTATION: ctx.role_arn}
            node = values
            for part in sa.values_path[:-1]:
                node = node.setdefault(part, {})
            node.setdefault(sa.values_path[-1], {}).update(block)
        return values


def bucket_key_statement(ctx: AwsSide) -> Statement:
    """Use of the environment's key through S3 only: what reading and writing the add-on buckets
    (SSE-KMS with that key, S3 bucket key on) needs, and nothing else."""
    return {
        "Sid": "BucketKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
        "Resource": ctx.kms_key_arn,
        "Condition": {"StringEquals": {"kms:ViaService": f"s3.{ctx.region}.amazonaws.com"}},
    }


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """Helm's merge of two values documents: maps deep-merge, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(out.get(key), Mapping) and isinstance(value, Mapping) else value
    return out
