"""The resource types ``protect: true`` guards with ``prevent_destroy`` (modules/shared/protect.py),
each with what its loss means in plain words (the plan report quotes it)."""

PROTECTED_TYPES: dict[str, str] = {
    "aws_s3_bucket": "an S3 bucket (the Terraform state or an add-on's data)",
    "aws_kms_key": "a KMS key (what it encrypts becomes unreadable once it is deleted)",
    "aws_efs_file_system": "the EFS file system (its data)",
}
