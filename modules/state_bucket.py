"""The S3 bucket that holds the environment's Terraform state."""

from __future__ import annotations

from constructs import Construct

from modules.kms import Key, account_root_statement
from modules.private_bucket import private_bucket


class StateBucket(Construct):
    """Versioned, KMS-encrypted (its own key), private, TLS-only bucket for Terraform state.

    Old state versions expire after ``noncurrent_days`` (the newest ``keep_versions`` are always
    kept), incomplete uploads after 7 days. ``prevent_destroy`` is not set so the emulator tests
    can tear down; deleting a non-empty versioned bucket fails anyway (no ``force_destroy``).
    """

    def __init__(
        self, scope: Construct, id_: str, *, bucket: str, account_id: str, noncurrent_days: int = 90, keep_versions: int | None = 10,
        tls_only: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        key = Key(
            self,
            "kms",
            name=f"{bucket}-state",
            description=f"Encrypts Terraform state in s3://{bucket}",
            statements=[account_root_statement(account_id)],
        )
        b = private_bucket(
            self,
            bucket=bucket,
            kms_key_arn=key.arn,
            versioned=True,
            rule_id="expire-old-state-versions",
            abort_uploads_days=7,
            noncurrent=(noncurrent_days, keep_versions),
            tls_only=tls_only,
            skips=(
                ("CKV_AWS_18", "access logs would need a second bucket per environment; CloudTrail data events are the audit trail for state reads"),
                ("CKV_AWS_144", "state is versioned and old versions kept; cross-region replication is an account-level DR decision, not per environment"),
                ("CKV2_AWS_62", "nothing consumes events from the state bucket"),
            ),
        )
        self.bucket = b.bucket
        self.bucket_arn = b.arn
        self.kms_key_arn = key.arn
