"""Customer-managed KMS keys with explicit key policies and rotation on."""

from __future__ import annotations

from typing import Any

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

from modules.shared.iam import document
from modules.shared.iam_lint import accept_all

# parliament's findings on ``logs_statement``, which is AWS's documented key policy statement for
# CloudWatch Logs ("Encrypt log data in CloudWatch Logs using AWS KMS", step 2:
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
LOGS_STATEMENT_LINT = {
    "MISMATCHED_TYPE": (
        "ArnEquals on kms:EncryptionContext:aws:logs:arn is the operator AWS's CloudWatch Logs key policy uses; the context value is the log group ARN"
    ),
    "UNKNOWN_CONDITION_FOR_ACTION": (
        "kms:Describe* under the encryption-context condition is AWS's documented CloudWatch Logs statement; "
        "DescribeKey carries no encryption context, so this statement grants it nothing and Logs does not need it"
    ),
}


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
        "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": [f"arn:aws:logs:{region}:{account_id}:log-group:{n}" for n in log_group_names]}},
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
        if any(s.get("Sid") == "CloudWatchLogsEncrypt" for s in statements):
            accept_all(key, LOGS_STATEMENT_LINT)
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
