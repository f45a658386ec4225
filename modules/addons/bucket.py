"""S3 buckets add-ons keep data in (Loki chunks, Tempo traces)."""

from __future__ import annotations

from constructs import Construct

from modules.shared.private_bucket import private_bucket


class AddonBucket(Construct):
    """Private, TLS-only bucket encrypted with the environment's key (S3 bucket key on).

    Incomplete multipart uploads are aborted after a day; with ``expire_days`` objects expire then
    (a backstop behind the add-on's own retention). Not versioned: the add-ons delete data on
    purpose (retention, compaction) and old versions would keep it forever.
    """

    def __init__(self, scope: Construct, id_: str, *, bucket: str, kms_key_arn: str, expire_days: int | None) -> None:
        super().__init__(scope, id_)
        b = private_bucket(
            self,
            bucket=bucket,
            kms_key_arn=kms_key_arn,
            versioned=False,
            rule_id="expire" if expire_days else "abort-incomplete-uploads",
            abort_uploads_days=1,
            expire_days=expire_days,
            skips=(
                ("CKV_AWS_18", "telemetry data bucket; access is through one IRSA role and audited by CloudTrail data events, not S3 access logs"),
                (
                    "CKV_AWS_144",
                    "logs and traces are reproducible telemetry with short retention; cross-region replication would double cost for no recovery need",
                ),
                ("CKV2_AWS_62", "nothing consumes events from a telemetry bucket"),
                ("CKV_AWS_21", "the add-on deletes objects on purpose (retention, compaction); versions would keep deleted telemetry forever"),
            ),
        )
        self.name = b.bucket
        self.arn = b.arn
