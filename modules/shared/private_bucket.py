"""The private-bucket baseline shared by the state bucket and the add-ons' data buckets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls, S3BucketOwnershipControlsRule
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA, S3BucketVersioningVersioningConfiguration
from constructs import Construct

from modules.shared.checkov import skip
from modules.shared.iam import document


def private_bucket(
    scope: Construct,
    *,
    bucket: str,
    kms_key_arn: str,
    versioned: bool,
    rule_id: str,
    abort_uploads_days: int,
    expire_days: int | None = None,
    noncurrent: tuple[int, int | None] | None = None,
    tls_only: bool = True,
    deny: Callable[[str], list[dict[str, Any]]] | None = None,
    expire_delete_markers: bool = False,
    skips: tuple[tuple[str, str], ...] = (),
) -> S3Bucket:
    """Add to ``scope`` a bucket that is SSE-KMS encrypted with ``kms_key_arn`` (bucket key on),
    private (public access blocked, ACLs disabled), TLS-only, with one bucket-wide lifecycle rule.

    ``noncurrent`` is (days, versions to keep) for expiring old versions of a versioned bucket;
    versions to keep ``None`` expires by age alone. ``tls_only=False`` leaves out the TLS-only
    bucket policy (an emulator reached over plain HTTP, docs/emulator.md). ``deny`` returns further
    Deny statements of the bucket policy given the bucket ARN. ``expire_delete_markers`` removes a
    delete marker once no older version is left behind it (a versioned bucket's deleted objects).
    ``skips`` are checkov exceptions for the bucket, each with its reason.
    """
    b = S3Bucket(scope, "bucket", bucket=bucket)
    for check_id, reason in skips:
        skip(b, check_id, reason)
    if versioned:
        S3BucketVersioningA(scope, "versioning", bucket=b.id, versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"))
    # Struct classes for nested blocks, never dicts: jsii drops snake_case keys of plain dicts.
    S3BucketServerSideEncryptionConfigurationA(
        scope,
        "sse",
        bucket=b.id,
        rule=[
            S3BucketServerSideEncryptionConfigurationRuleA(
                apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                    sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                ),
                bucket_key_enabled=True,
            )
        ],
    )
    block = S3BucketPublicAccessBlock(
        scope,
        "public-access-block",
        bucket=b.id,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
    )
    S3BucketOwnershipControls(scope, "ownership", bucket=b.id, rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"))
    statements = (
        [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [b.arn, f"{b.arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        if tls_only
        else []
    )
    statements += deny(b.arn) if deny else []
    if statements:
        # One policy per bucket: the construct ID stays "tls-only" so existing buckets keep theirs in place.
        S3BucketPolicy(scope, "tls-only", bucket=b.id, policy=document(*statements), depends_on=[block])
    S3BucketLifecycleConfiguration(
        scope,
        "lifecycle",
        bucket=b.id,
        rule=[
            S3BucketLifecycleConfigurationRule(
                id=rule_id,
                status="Enabled",
                filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                abort_incomplete_multipart_upload=[S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=abort_uploads_days)],
                # A bucket-wide expiration is either by age or of lone delete markers, never both (S3 API).
                expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)]
                if expire_days
                else [S3BucketLifecycleConfigurationRuleExpiration(expired_object_delete_marker=True)]
                if expire_delete_markers
                else None,
                noncurrent_version_expiration=[
                    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(noncurrent_days=noncurrent[0], newer_noncurrent_versions=noncurrent[1])
                ]
                if noncurrent
                else None,
            )
        ],
    )
    return b
