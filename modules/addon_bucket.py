"""S3 buckets add-ons keep data in (Loki chunks, Tempo traces)."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
)
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls, S3BucketOwnershipControlsRule
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from constructs import Construct

from modules.checkov import skip
from modules.iam import document


class AddonBucket(Construct):
    """Private, TLS-only bucket encrypted with the environment's key (S3 bucket key on).

    Incomplete multipart uploads are aborted after a day; with ``expire_days`` objects expire then
    (a backstop behind the add-on's own retention). Not versioned: the add-ons delete data on
    purpose (retention, compaction) and old versions would keep it forever.
    """

    def __init__(self, scope: Construct, id_: str, *, bucket: str, kms_key_arn: str, expire_days: int | None) -> None:
        super().__init__(scope, id_)
        b = S3Bucket(self, "bucket", bucket=bucket)
        for check_id, reason in (
            ("CKV_AWS_18", "telemetry data bucket; access is through one IRSA role and audited by CloudTrail data events, not S3 access logs"),
            ("CKV_AWS_144", "logs and traces are reproducible telemetry with short retention; cross-region replication would double cost for no recovery need"),
            ("CKV2_AWS_62", "nothing consumes events from a telemetry bucket"),
            ("CKV_AWS_21", "the add-on deletes objects on purpose (retention, compaction); versions would keep deleted telemetry forever"),
        ):
            skip(b, check_id, reason)
        S3BucketServerSideEncryptionConfigurationA(
            self,
            "sse",
            bucket=b.id,
            # Struct classes, not dicts: jsii drops nested dicts inside lists.
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
            self,
            "public-access-block",
            bucket=b.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
        )
        S3BucketOwnershipControls(self, "ownership", bucket=b.id, rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"))
        S3BucketPolicy(
            self,
            "tls-only",
            bucket=b.id,
            policy=document(
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [b.arn, f"{b.arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ),
            depends_on=[block],
        )
        rule = S3BucketLifecycleConfigurationRule(
            id="expire" if expire_days else "abort-incomplete-uploads",
            status="Enabled",
            filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
            abort_incomplete_multipart_upload=[S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(days_after_initiation=1)],
            expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=expire_days)] if expire_days else None,
        )
        S3BucketLifecycleConfiguration(self, "lifecycle", bucket=b.id, rule=[rule])
        self.name = b.bucket
        self.arn = b.arn
