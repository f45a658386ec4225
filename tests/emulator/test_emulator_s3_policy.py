"""The emulator's bucket policy evaluation (tools/emulator/s3_policy.py) agrees with an independent
IAM evaluator (@cloud-copilot/iam-simulate, tests/iam), and moto's own does not.

Every (policy, request) pair below is decided by both; the emulator must reach the same Deny /
no-Deny answer. Then a real moto server with the correction answers a headerless PutObject to a
bucket carrying the state bucket's policy as AWS would (allowed), and one asking for AES256 with 403.
"""

from __future__ import annotations

import itertools

import pytest

from modules.state.bucket import deny_other_encryption
from tests.stacks.test_state_bucket_policy_semantics import ACCOUNT, ALLOW_ALL_S3, APPLY_ROLE, OTHER_KEY, SSE, SSE_KEY, STATE_KEY, evaluate
from tools.emulator import Emulator
from tools.emulator.s3_policy import decide

BUCKET = "arn:aws:s3:::b"
TLS_ONLY = {
    "Sid": "TlsOnly",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [BUCKET, f"{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def _deny(condition: dict) -> dict:
    return {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{BUCKET}/*", "Condition": condition}


POLICIES = {
    "state bucket": deny_other_encryption(BUCKET, STATE_KEY),
    "tls only": [TLS_ONLY],
    "StringNotEqualsIfExists": [_deny({"StringNotEqualsIfExists": {SSE: "aws:kms"}})],
    "StringNotEquals": [_deny({"StringNotEquals": {SSE: "aws:kms"}})],
    "StringEquals": [_deny({"StringEquals": {SSE: "AES256"}})],
    "StringEqualsIfExists": [_deny({"StringEqualsIfExists": {SSE: "AES256"}})],
    "Null true": [_deny({"Null": {SSE: "true"}})],
    "StringLike": [_deny({"StringLike": {SSE_KEY: "arn:aws:kms:*:key/9*"}})],
    "BoolIfExists": [_deny({"BoolIfExists": {"aws:SecureTransport": "false"}})],
}
CONTEXTS = [
    {},
    {SSE: "AES256"},
    {SSE: "aws:kms"},
    {SSE: "aws:kms", SSE_KEY: STATE_KEY},
    {SSE: "aws:kms", SSE_KEY: OTHER_KEY},
]
TRANSPORT = [{"aws:SecureTransport": "true"}, {"aws:SecureTransport": "false"}]


def test_emulator_policy_decisions_match_an_independent_iam_evaluator() -> None:
    cases = [(name, {**t, **c}) for name, c, t in itertools.product(POLICIES, CONTEXTS, TRANSPORT)]
    requests = [
        {
            "principal": APPLY_ROLE,
            "action": "s3:PutObject",
            "resource": f"{BUCKET}/state.tfstate",
            "accountId": ACCOUNT,
            "context": context,
            "identityPolicy": ALLOW_ALL_S3,
            "resourcePolicy": {"Version": "2012-10-17", "Statement": POLICIES[name]},
        }
        for name, context in cases
    ]
    results = evaluate(requests)
    assert all(r["errors"] is None for r in results), results
    disagreements = []
    for (name, context), result in zip(cases, results, strict=True):
        independent = result["result"] == "ExplicitlyDenied"
        emulator = decide({"Statement": POLICIES[name]}, "s3:PutObject", f"{BUCKET}/state.tfstate", context) == "DENIED"
        if independent != emulator:
            disagreements.append((name, context, result["result"], emulator))
    assert not disagreements


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory):
    with Emulator(log_path=tmp_path_factory.mktemp("s3policy") / "emulator.log") as running:
        yield running


def test_emulator_allows_a_headerless_write_under_the_state_bucket_policy(emulator: Emulator) -> None:
    s3 = emulator.client("s3", "eu-west-1")
    emulator.create_bucket("policy-check", "eu-west-1")
    import json

    policy = {"Version": "2012-10-17", "Statement": deny_other_encryption("arn:aws:s3:::policy-check", STATE_KEY)}
    s3.put_bucket_policy(Bucket="policy-check", Policy=json.dumps(policy))
    s3.put_object(Bucket="policy-check", Key="local/network.tfstate.tflock", Body=b"{}")  # what the S3 backend sends
    s3.put_object(Bucket="policy-check", Key="local/network.tfstate", Body=b"{}", ServerSideEncryption="aws:kms", SSEKMSKeyId=STATE_KEY)
    with pytest.raises(s3.exceptions.ClientError) as denied:
        s3.put_object(Bucket="policy-check", Key="local/other.tfstate", Body=b"{}", ServerSideEncryption="AES256")
    assert denied.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
