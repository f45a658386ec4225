"""``<env>-state``: the bucket every other stack of the environment keeps its state in."""

from __future__ import annotations

from constructs import Construct

from environments.schema import EnvironmentConfig
from modules.state_bucket import StateBucket
from stacks.base import AwsStack


class StateStack(AwsStack):
    def __init__(self, scope: Construct, env: EnvironmentConfig) -> None:
        super().__init__(scope, env, "state", local_state=not env.state_backend.state_stack_in_s3)
        bucket = StateBucket(self, "state-bucket", bucket=env.state_backend.bucket, account_id=env.account_id)
        self.output("state_bucket", bucket.bucket, "S3 bucket holding this environment's Terraform state")
        self.output("state_kms_key_arn", bucket.kms_key_arn, "KMS key encrypting the state objects")
