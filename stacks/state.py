"""``<env>-state``: what every other stack of the environment needs before it can run.

With the S3 backend, the bucket they keep their state in. With Terraform Cloud, the OIDC trust
that lets their workspaces' runs reach AWS without static keys.
"""

from __future__ import annotations

from constructs import Construct

from environments.schema import EnvironmentConfig
from environments.state_backend import CloudStateBackend
from modules.state.bucket import StateBucket
from modules.state.github_ci import GithubCi
from modules.state.tfc_trust import TfcTrust
from stacks.base import AwsStack, workspace_name


class StateStack(AwsStack):
    def __init__(self, scope: Construct, env: EnvironmentConfig) -> None:
        super().__init__(scope, env, "state", local_state=not env.state_backend.state_stack_remote)
        backend = env.state_backend
        if isinstance(backend, CloudStateBackend):
            return  # the trust names every workspace: added by trust_layers once all stacks exist
        bucket = StateBucket(
            self,
            "state-bucket",
            bucket=backend.bucket,
            account_id=env.account_id,
            keep_versions=backend.keep_state_versions,
            tls_only=backend.tls_only_policy,
            enforce_state_key=backend.enforce_state_key,
        )
        self.output("state_bucket", bucket.bucket, "S3 bucket holding this environment's Terraform state")
        self.output("state_kms_key_arn", bucket.kms_key_arn, "KMS key encrypting the state objects")
        if env.ci is not None:
            ci = GithubCi(
                self,
                "github-ci",
                config=env.ci,
                env_name=env.name,
                account_id=env.account_id,
                state_bucket_arn=bucket.bucket_arn,
                state_key_arn=bucket.kms_key_arn,
            )
            self.output("github_plan_role_arn", ci.outputs.plan_role_arn, "Role GitHub Actions assumes to plan (read-only)")
            self.output(
                "github_pr_plan_role_arn", ci.outputs.pr_plan_role_arn, "Role GitHub Actions assumes to plan pull requests (read-only, no cluster access)"
            )
            self.output("github_apply_role_arn", ci.outputs.apply_role_arn, "Role GitHub Actions assumes to apply, in the GitHub environment of this name")

    def trust_layers(self, layers: list[str]) -> None:
        """With Terraform Cloud, the run role trusted by exactly the workspaces of ``layers`` (the
        environment's stacks, this one included). Nothing to do for the S3 backend."""
        env, backend = self.env, self.env.state_backend
        if not isinstance(backend, CloudStateBackend):
            return
        trust = TfcTrust(
            self,
            "tfc-trust",
            config=backend.dynamic_credentials,
            hostname=backend.hostname,
            organization=backend.organization,
            project=backend.project,
            workspaces=[workspace_name(env, layer) for layer in layers],
            account_id=env.account_id,
        )
        self.output("tfc_plan_role_arn", trust.outputs.plan_role_arn, "Set as TFC_AWS_PLAN_ROLE_ARN in this environment's workspaces")
        self.output("tfc_apply_role_arn", trust.outputs.apply_role_arn, "Set as TFC_AWS_APPLY_ROLE_ARN in this environment's workspaces")
        self.output("tfc_oidc_provider_arn", trust.outputs.oidc_provider_arn, "IAM OIDC provider trusted for Terraform Cloud")
