"""The state bucket's policy, judged by an IAM evaluator that is not this project's code.

The expectation comes from IAM semantics, not from the policy's text: each synthesized state bucket
policy is evaluated by ``@cloud-copilot/iam-simulate`` (``tests/iam``, ``npm ci --prefix tests/iam``)
for the writes the S3 backends really make and for the writes the policy exists to refuse:

- the S3 backends send no encryption header (the bucket default, SSE-KMS with the state key,
  applies), so a state file or lock file write has neither ``s3:x-amz-server-side-encryption`` nor
  ``s3:x-amz-server-side-encryption-aws-kms-key-id`` in its request context: it must be allowed;
- a write asking for the state key explicitly is allowed;
- AES256, ``aws:kms`` without a key ID (the ``aws/s3`` managed key) and ``aws:kms`` with another
  key are denied.

(moto cannot judge this: its S3 passes no condition context to the bucket policy and treats every
conditioned Deny as matching, so it returns 403 for a correct policy too.)
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.conftest import ROOT, Synth, require

IAM = ROOT / "tests" / "iam"
ACCOUNT = "123456789012"
STATE_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
OTHER_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/99999999-8888-7777-6666-555555555555"
APPLY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/github-apply"
ALLOW_ALL_S3 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
SSE = "s3:x-amz-server-side-encryption"
SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"

# (what the request is, its encryption context keys, the decision IAM must reach)
WRITES = [
    ("the S3 backend's state file write (no encryption header)", {}, "Allowed"),
    ("the S3 backend's lock file write (no encryption header)", {}, "Allowed"),
    ("SSE-KMS with the state key", {SSE: "aws:kms", SSE_KEY: STATE_KEY}, "Allowed"),
    ("SSE-S3 (AES256, what encrypt = true sends)", {SSE: "AES256"}, "ExplicitlyDenied"),
    ("SSE-KMS without a key ID (the aws/s3 key)", {SSE: "aws:kms"}, "ExplicitlyDenied"),
    ("SSE-KMS with another key", {SSE: "aws:kms", SSE_KEY: OTHER_KEY}, "ExplicitlyDenied"),
    ("DSSE-KMS", {SSE: "aws:kms:dsse", SSE_KEY: STATE_KEY}, "ExplicitlyDenied"),
]
OBJECT_KEYS = ["{env}/network.tfstate", "{env}/network.tfstate.tflock", "{env}/network.tfstate", "{env}/state.tfstate", "{env}/a", "{env}/b", "{env}/c"]


def evaluate(requests: list[dict]) -> list[dict]:
    node = shutil.which("node")
    require(node, "node", "apt-get install nodejs")
    require((IAM / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir(), "the IAM evaluator", "npm ci --prefix tests/iam")
    proc = subprocess.run([node, "evaluate.mjs"], cwd=IAM, input=json.dumps(requests), capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def concrete_policy(synth: Synth, stack: str, bucket: str) -> dict:
    """The synthesized bucket policy with its two references replaced by real-looking ARNs."""
    (bucket_id,) = synth.resources(stack, "aws_s3_bucket")
    (key_id,) = synth.resources(stack, "aws_kms_key")
    text = synth.one(stack, "aws_s3_bucket_policy")["policy"]
    text = text.replace(f"${{aws_s3_bucket.{bucket_id}.arn}}", f"arn:aws:s3:::{bucket}").replace(f"${{aws_kms_key.{key_id}.arn}}", STATE_KEY)
    assert not re.search(r"\$\{", text), f"unresolved reference left in {stack}'s bucket policy: {text}"
    return json.loads(text)


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "local"])
def test_state_bucket_policy_allows_the_backends_headerless_writes_and_denies_other_encryption(synth: Synth, env: str) -> None:
    stack = f"{env}-state"
    bucket = synth.one(stack, "aws_s3_bucket")["bucket"]
    policy = concrete_policy(synth, stack, bucket)
    requests = [
        {
            "principal": APPLY_ROLE,
            "action": "s3:PutObject",
            "resource": f"arn:aws:s3:::{bucket}/{key.format(env=env)}",
            "accountId": ACCOUNT,
            "context": {"aws:SecureTransport": "true", **context},
            "identityPolicy": ALLOW_ALL_S3,
            "resourcePolicy": policy,
        }
        for (_, context, _), key in zip(WRITES, OBJECT_KEYS, strict=True)
    ]
    results = evaluate(requests)
    assert all(r["errors"] is None for r in results), results
    got = {what: r["result"] for (what, _, _), r in zip(WRITES, results, strict=True)}
    assert got == {what: expected for what, _, expected in WRITES}


def test_the_evaluator_applies_iam_semantics_of_absent_keys() -> None:
    """The evaluator itself, on the rules the IAM User Guide states (condition operators): a key
    absent from the request makes ``...IfExists`` and a negated operator (``StringNotEquals``) true,
    and ``Null: false`` false."""

    def deny(condition: dict) -> dict:
        return {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*", "Condition": condition}],
        }

    conditions = [
        {"StringNotEqualsIfExists": {SSE: "aws:kms"}},
        {"StringNotEquals": {SSE: "aws:kms"}},
        {"StringNotEquals": {SSE: "aws:kms"}, "Null": {SSE: "false"}},
    ]
    requests = [
        {
            "principal": APPLY_ROLE,
            "action": "s3:PutObject",
            "resource": "arn:aws:s3:::b/k",
            "accountId": ACCOUNT,
            "context": {},
            "identityPolicy": ALLOW_ALL_S3,
            "resourcePolicy": deny(c),
        }
        for c in conditions
    ]
    assert [r["result"] for r in evaluate(requests)] == ["ExplicitlyDenied", "ExplicitlyDenied", "Allowed"]


def test_package_lock_pins_the_evaluator() -> None:
    lock = json.loads((IAM / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/@cloud-copilot/iam-simulate"]["version"] == "0.1.173"
    assert all("integrity" in body for name, body in lock["packages"].items() if name)
