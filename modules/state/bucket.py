"""The S3 bucket that holds the environment's Terraform state."""

from __future__ import annotations

from typing import Any

from cdktf import TerraformResource
from constructs import Construct

from catalog import names
from modules.shared.iam_lint import accept
from modules.shared.kms import Key, account_root_statement
from modules.shared.private_bucket import private_bucket


def state_key_alias(bucket: str) -> str:
    """``alias/<bucket>-state`` (catalog/names.py)."""
    return f"alias/{names.state_key(bucket)}"


def deny_other_encryption(bucket_arn: str, key_arn: str) -> list[dict[str, Any]]:
    """Bucket policy statements refusing any state write that asks for an encryption other than
    SSE-KMS with ``key_arn``.

    The S3 backends send no encryption header of their own (``stacks/base.py``), so the bucket's
    default (SSE-KMS, this key) applies; a write asking for anything else is denied: AES256 (what
    the backend's ``encrypt = true`` sends without ``kms_key_id``), another KMS key, or ``aws:kms``
    without a key ID (S3 would use the ``aws/s3`` managed key).

    A headerless write must not match any Deny. IAM User Guide, "IAM JSON policy elements:
    Condition operators": a key absent from the request makes ``...IfExists`` true, and makes a
    negated operator (``StringNotEquals``) true as well; only the ``Null`` check tests presence.
    So each "other value" Deny pairs ``StringNotEquals`` with ``Null: false`` (same page, "Condition
    operator to check existence of condition keys": the header is present).
    ``tests/stacks/test_state_bucket_policy_semantics.py`` checks this with an independent IAM evaluator.
    """
    objects = f"{bucket_arn}/*"
    base = {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": objects}
    sse, sse_key = "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"
    return [
        {**base, "Sid": "DenyNonKmsEncryption", "Condition": {"StringNotEquals": {sse: "aws:kms"}, "Null": {sse: "false"}}},
        {**base, "Sid": "DenyOtherKmsKeys", "Condition": {"StringNotEquals": {sse_key: key_arn}, "Null": {sse_key: "false"}}},
        {
            **base,
            "Sid": "DenyKmsWithoutTheStateKey",
            "Condition": {
                "StringEquals": {sse: "aws:kms"},
                "Null": {sse_key: "true"},
            },
        },
    ]


class StateBucket(Construct):
    """Versioned, KMS-encrypted (its own key), private, TLS-only bucket for Terraform state.

    Every state and lock object is encrypted with the bucket's key: the bucket policy denies writes
    that ask for another encryption (``enforce_state_key``). Old state versions expire after
    ``noncurrent_days`` (the newest ``keep_versions`` are always kept), incomplete uploads after 7
    days, and the delete markers each released lock (``.tflock``) leaves once nothing is behind
    them. Deleting a non-empty versioned bucket fails anyway (no ``force_destroy``); ``protect``
    (``prevent_destroy``) is set by the stack.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        bucket: str,
        account_id: str,
        noncurrent_days: int = 90,
        keep_versions: int | None = 10,
        tls_only: bool = True,
        enforce_state_key: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        key = Key(
            self,
            "kms",
            name=state_key_alias(bucket).removeprefix("alias/"),
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
            deny=(lambda arn: deny_other_encryption(arn, key.arn)) if enforce_state_key else None,
            expire_delete_markers=True,
            skips=(
                ("CKV_AWS_18", "access logs would need a second bucket per environment; CloudTrail data events are the audit trail for state reads"),
                ("CKV_AWS_144", "state is versioned and old versions kept; cross-region replication is an account-level DR decision, not per environment"),
                ("CKV2_AWS_62", "nothing consumes events from the state bucket"),
            ),
        )
        policy = self.node.try_find_child("tls-only")
        if enforce_state_key and isinstance(policy, TerraformResource):
            accept(
                policy,
                "MISMATCHED_TYPE_BUT_USABLE",
                "s3:x-amz-server-side-encryption-aws-kms-key-id is String-typed in the Service Authorization Reference and its "
                "value is the key ARN; S3's own examples compare it with String operators",
            )
        self.bucket = b.bucket
        self.bucket_arn = b.arn
        self.kms_key_arn = key.arn
        self.key = key
        self.resource = b
