"""Customer-managed KMS keys with explicit key policies and rotation on."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from modules.shared.iam import document


def account_root_statement(account_id: str) -> dict[str, Any]:
    # Delegates key administration to IAM in the owning account; without it the key can become
    # unmanageable (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html).
    return {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }


def logs_statement(account_id: str, region: str, log_group_names: list[str]) -> dict[str, Any]:
    return {
        "Sid": "CloudWatchLogsEncrypt",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.amazonaws.com"},
        "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {
            "ArnEquals": {
                "kms:EncryptionContext:aws:logs:arn": [
                    f"arn:aws:logs:{region}:{account_id}:log-group:{n}" for n in log_group_names
                ]
            }
        },
    }


class Key(Construct):
    """A symmetric key with rotation, a 30-day deletion window, an alias and an explicit policy."""

    def __init__(self, scope: Construct, id_: str, *, name: str, description: str, statements: list[dict[str, Any]]) -> None:
        super().__init__(scope, id_)
        key = KmsKey(
            self,
            "key",
            description=description,
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=document(*statements),
        )
        KmsAlias(self, "alias", name=f"alias/{name}", target_key_id=key.key_id)
        self.arn = key.arn
        self.key_id = key.key_id


class LogsKey(Key):
    """A key CloudWatch Logs may use for the named log group(s) only."""

    def __init__(self, scope: Construct, id_: str, *, name: str, account_id: str, region: str, log_group_name: str) -> None:
        super().__init__(
            scope,
            id_,
            name=name,
            description=f"Encrypts CloudWatch log group {log_group_name}",
            statements=[account_root_statement(account_id), logs_statement(account_id, region, [log_group_name])],
        )

