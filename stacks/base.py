"""The one place that owns backend, provider and tags for every stack of an environment."""

from __future__ import annotations

from cdktf import Aspects, CloudBackend, LocalBackend, NamedCloudWorkspace, S3Backend, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from environments.ci import boundary_arn
from environments.schema import EnvironmentConfig
from environments.state_backend import CloudStateBackend, S3StateBackend
from modules._synth_speedups import enabled
from modules.shared.boundary import PermissionsBoundary


def state_key(env: EnvironmentConfig, layer: str) -> str:
    """``[<key_prefix>/]<env>/<layer>.tfstate``: one state object per stack."""
    backend = env.state_backend
    if not isinstance(backend, S3StateBackend):
        raise ValueError(f"environment {env.name!r}: state_backend.kind is {backend.kind!r}, state keys exist only for 's3'")
    prefix = f"{backend.key_prefix}/" if backend.key_prefix else ""
    return f"{prefix}{env.name}/{layer}.tfstate"


def workspace_name(env: EnvironmentConfig, layer: str) -> str:
    """``<workspace_prefix>-<env>-<layer>``: one Terraform Cloud workspace per stack."""
    backend = env.state_backend
    if not isinstance(backend, CloudStateBackend):
        raise ValueError(f"environment {env.name!r}: state_backend.kind is {backend.kind!r}, workspaces exist only for 'cloud'")
    return f"{backend.workspace_prefix}-{env.name}-{layer}"


def default_tags(env: EnvironmentConfig, layer: str) -> dict[str, str]:
    return {**env.tags, "environment": env.name, "managed-by": "cdktf", "platform-layer": layer}


class PlatformStack(TerraformStack):
    """Backend, aws provider and tags of every stack of an environment (subclasses add providers).

    ``<env>-<layer>`` with state at ``s3://<bucket>/<env>/<layer>.tfstate`` (SSE-KMS with the state
    key, S3-native locking). With ``local_state`` the stack keeps its state on disk: only the state
    stack does, until ``make bootstrap`` migrates it into its own bucket (docs/getting-started.md).
    """

    def __init__(self, scope: Construct, env: EnvironmentConfig, layer: str, *, local_state: bool = False) -> None:
        super().__init__(scope, f"{env.name}-{layer}")
        self.env = env
        self.layer = layer
        emulator = env.emulator
        AwsProvider(
            self,
            "aws",
            region=env.region,
            allowed_account_ids=[env.account_id],
            default_tags=[AwsProviderDefaultTags(tags=default_tags(env, layer))],
            # Emulator mode: the endpoint comes from AWS_ENDPOINT_URL at run time, so any free
            # loopback port works and nothing machine-specific lands in the JSON.
            access_key=emulator.access_key if emulator else None,
            secret_key=emulator.secret_key if emulator else None,
            # The account ID is still requested (moto answers STS with 123456789012), because
            # allowed_account_ids fails with an empty account when the request is skipped.
            skip_metadata_api_check="true" if emulator else None,
            s3_use_path_style=True if emulator else None,
        )
        boundary = boundary_arn(env)
        # The apply role creates no role without it (modules/state/boundary.py). As an aspect, cdktf
        # calls back into Python for every node of the stack; with the ``boundary`` speed-up the
        # same visit runs once per stack, in Python, from prepare_stack (below).
        self._boundary = PermissionsBoundary(boundary) if boundary is not None and enabled("boundary") else None
        if boundary is not None and self._boundary is None:
            Aspects.of(self).add(PermissionsBoundary(boundary))
        if local_state:
            LocalBackend(self, path=f"terraform.{env.name}-{layer}.tfstate")
            return
        backend = env.state_backend
        if isinstance(backend, CloudStateBackend):
            # Cross-stack references from a stack on this backend become ``terraform_remote_state``
            # with backend "remote" naming the organization and this workspace (cdktf does that).
            CloudBackend(
                self,
                organization=backend.organization,
                hostname=backend.hostname,
                workspaces=NamedCloudWorkspace(workspace_name(env, layer), backend.project),
            )
            return
        S3Backend(
            self,
            bucket=backend.bucket,
            key=state_key(env, layer),
            region=backend.region,
            # No `encrypt`: with `encrypt = true` and no `kms_key_id` the backend asks for AES256 on
            # every write, overriding the bucket's SSE-KMS default; `kms_key_id` only takes a literal
            # key ARN or ID (not an alias), unknown until the state stack has run. Sending no
            # header, every state and lock object gets the bucket default: SSE-KMS with the state
            # key, which the bucket policy enforces (modules/state/bucket.py).
            access_key=emulator.access_key if emulator else None,
            secret_key=emulator.secret_key if emulator else None,
            skip_credentials_validation=True if emulator else None,
            skip_requesting_account_id=True if emulator else None,
            skip_metadata_api_check=True if emulator else None,
            skip_region_validation=True if emulator else None,
            use_path_style=True if emulator else None,
        )
        # S3-native state locking (Terraform >= 1.10). cdktf 0.21's S3Backend has no such
        # property, so this is the project's single backend override.
        self.add_override("terraform.backend.s3.use_lockfile", True)

    def output(self, id_: str, value: object, description: str, *, sensitive: bool = False) -> None:
        TerraformOutput(self, id_, value=value, description=description, sensitive=sensitive)

    def prepare_stack(self) -> None:
        """cdktf calls this on every stack before it invokes aspects and writes the JSON (App.synth),
        whatever synthesizes the app, and no IAM role is created in between: each role the aspect
        would visit is visited here."""
        if self._boundary is not None:
            for node in self.node.find_all():
                self._boundary.visit(node)
        super().prepare_stack()


class AwsStack(PlatformStack):
    """A stack whose only provider is aws: real Terraform can validate, plan and apply it here."""
