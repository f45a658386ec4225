"""``state_backend:`` — where the environment's Terraform state lives: an S3 bucket the state
stack creates, or Terraform Cloud workspaces with dynamic credentials."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import Discriminator, Field, Tag, model_validator

from catalog.fields import Strict


class S3StateBackend(Strict):
    """Remote state in S3. The bucket is created by the environment's state stack.

    The state stack itself starts on local state; once its bucket exists set
    ``state_stack_in_s3: true`` and migrate: ``make bootstrap ENV=<env>`` does both (tools/delivery/bootstrap.py).
    """

    kind: Literal["s3"] = "s3"
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    region: str
    key_prefix: str = Field(default="", pattern=r"^([a-z0-9][a-z0-9._/-]*[a-z0-9])?$")
    state_stack_in_s3: bool = False
    keep_state_versions: int | None = Field(default=10, ge=1, le=100)
    """Old state versions always kept, however old (the rest expire after 90 days). ``null``
    expires by age alone: only for an emulator that drops ``NewerNoncurrentVersions`` (moto)."""
    tls_only_policy: bool = True
    """Bucket policy denying plain-HTTP access. ``false`` only for an emulator reached over plain
    HTTP on loopback, where the Deny (rightly) refuses every request."""
    enforce_state_key: bool = True
    """Bucket policy denying any state write that asks for an encryption other than the bucket's
    default (SSE-KMS with the state key). Writes without an encryption header (the S3 backends')
    are allowed; on in every shipped environment, the emulator's included."""

    @model_validator(mode="after")
    def _alias_safe(self) -> Self:
        # The state key's alias is alias/<bucket>-state; alias names allow [A-Za-z0-9/_-] only
        # (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html).
        if "." in self.bucket:
            raise ValueError(f"bucket: {self.bucket!r} contains '.', which the state key's alias (alias/<bucket>-state) cannot hold; use '-' instead")
        return self

    @property
    def state_stack_remote(self) -> bool:
        """Whether the state stack itself keeps its state in the backend (after bootstrap)."""
        return self.state_stack_in_s3


PolicyArn = Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]+$")]


class TfcDynamicCredentials(Strict):
    """What the state stack creates so Terraform Cloud runs reach AWS without static keys.

    An IAM OIDC provider for the Terraform Cloud host (``create_oidc_provider: false`` when another
    environment in the same account already created it: one provider per URL per account) and two
    roles, each trusted only for one run phase of this organization's project and the environment's
    workspaces, named one by one: the apply role ``role_name`` (``run_phase:apply``) with
    ``policy_arns`` attached (no default: choose them), and the plan role ``plan_role_name``
    (``run_phase:plan``, speculative plans of pull requests included) with ``plan_policy_arns``.
    Workspaces then set ``TFC_AWS_PROVIDER_AUTH=true``, ``TFC_AWS_PLAN_ROLE_ARN`` and
    ``TFC_AWS_APPLY_ROLE_ARN`` (docs/delivery.md).
    """

    role_name: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    """The apply role."""
    policy_arns: tuple[PolicyArn, ...] = Field(min_length=1, max_length=10)
    plan_role_name: str | None = Field(default=None, pattern=r"^[\w+=,.@-]{1,64}$")
    """The plan role; default ``<role_name>-plan``."""
    plan_policy_arns: tuple[PolicyArn, ...] = Field(default=("arn:aws:iam::aws:policy/ReadOnlyAccess",), min_length=1, max_length=10)
    audience: str = Field(default="aws.workload.identity", min_length=1)
    create_oidc_provider: bool = True

    @property
    def plan_role(self) -> str:
        return self.plan_role_name or f"{self.role_name}-plan"

    @model_validator(mode="after")
    def _plan_role_name_fits(self) -> Self:
        if len(self.plan_role) > 64:
            raise ValueError(f"plan_role_name: {self.plan_role!r} (derived from role_name) is longer than IAM's 64 characters; set plan_role_name")
        if self.plan_role == self.role_name:
            raise ValueError(f"plan_role_name: {self.plan_role!r} is the apply role: plans and applies need separate roles")
        return self


class CloudStateBackend(Strict):
    """Remote state (and runs) in Terraform Cloud: one workspace per stack, ``<workspace_prefix>-<env>-<layer>``.

    The state stack starts on local state, applied once with an administrator's credentials
    because it creates the role the workspaces then assume; afterwards set
    ``state_stack_in_cloud: true`` and run ``terraform init -migrate-state`` (docs/delivery.md).
    """

    kind: Literal["cloud"]
    organization: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    project: str = Field(pattern=r"^[A-Za-z0-9_-][A-Za-z0-9 _-]{0,38}[A-Za-z0-9_-]$")
    workspace_prefix: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,60}$")
    hostname: str = Field(default="app.terraform.io", pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d+)?$")
    dynamic_credentials: TfcDynamicCredentials
    state_stack_in_cloud: bool = False

    @property
    def state_stack_remote(self) -> bool:
        """Whether the state stack itself keeps its state in the backend (after bootstrap)."""
        return self.state_stack_in_cloud


def _backend_kind(value: Any) -> str:
    # ``kind`` may be left out for S3, the default, so existing files stay valid.
    if isinstance(value, dict):
        return str(value.get("kind", "s3"))
    return str(getattr(value, "kind", "s3"))


StateBackend = Annotated[
    Annotated[S3StateBackend, Tag("s3")] | Annotated[CloudStateBackend, Tag("cloud")],
    Discriminator(_backend_kind, custom_error_type="backend_kind", custom_error_message="kind must be 's3' or 'cloud'"),
]
