"""Every state write is SSE-KMS with the state key; the state key's alias is
valid; released locks leave no delete markers behind. (The emulator proof is in
tests/e2e/test_deploy_and_review.py: every state and lock object reports aws:kms with the state key.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from environments import ConfigError, EnvironmentConfig, load_environments
from tests.conftest import ROOT, Synth


def _s3_backends(synth: Synth, env: EnvironmentConfig) -> list[tuple[str, dict]]:
    found = []
    for name in synth.stack_names:
        if not name.startswith(f"{env.name}-"):
            continue
        doc = synth.stack(name)
        if "s3" in doc["terraform"].get("backend", {}):
            found.append((name, doc["terraform"]["backend"]["s3"]))
        for ref, body in doc.get("data", {}).get("terraform_remote_state", {}).items():
            if body.get("backend") == "s3":
                found.append((f"{name}:{ref}", body["config"]))
    return found


def test_no_s3_backend_asks_for_its_own_encryption(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    """``encrypt = true`` without ``kms_key_id`` sends AES256 on every write, overriding the bucket's
    SSE-KMS default: no backend (nor remote-state read) may set it."""
    seen = 0
    for env in environments.values():
        for where, config in _s3_backends(synth, env):
            seen += 1
            assert "encrypt" not in config and "kms_key_id" not in config and "sse_customer_key" not in config, where
    assert seen >= 12


def _state_bucket_policy(synth: Synth, env: str) -> tuple[dict, str, str]:
    stack = f"{env}-state"
    (bucket_id,) = synth.resources(stack, "aws_s3_bucket")
    (key_id,) = synth.resources(stack, "aws_kms_key")
    policy = json.loads(synth.one(stack, "aws_s3_bucket_policy")["policy"])
    return policy, f"${{aws_s3_bucket.{bucket_id}.arn}}", f"${{aws_kms_key.{key_id}.arn}}"


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_state_bucket_defaults_to_the_state_key_and_denies_any_other_encryption(synth: Synth, env: str) -> None:
    policy, bucket_arn, key_arn = _state_bucket_policy(synth, env)
    sse = synth.one(f"{env}-state", "aws_s3_bucket_server_side_encryption_configuration")
    assert sse["rule"][0]["apply_server_side_encryption_by_default"] == {"sse_algorithm": "aws:kms", "kms_master_key_id": key_arn}
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    for sid in ("DenyNonKmsEncryption", "DenyOtherKmsKeys", "DenyKmsWithoutTheStateKey"):
        statement = by_sid[sid]
        assert (statement["Effect"], statement["Principal"], statement["Action"], statement["Resource"]) == ("Deny", "*", "s3:PutObject", f"{bucket_arn}/*")
    # What each condition decides is judged by an IAM evaluator in test_state_bucket_policy_semantics.py.
    assert key_arn in json.dumps(by_sid["DenyOtherKmsKeys"]["Condition"])
    assert "DenyInsecureTransport" in by_sid


def test_the_emulator_environment_keeps_the_state_key_policy(synth: Synth) -> None:
    """local.yaml runs the production default: the state-key Denies (the TLS-only one is off: plain HTTP)."""
    policy = json.loads(synth.one("local-state", "aws_s3_bucket_policy")["policy"])
    assert {s["Sid"] for s in policy["Statement"]} == {"DenyNonKmsEncryption", "DenyOtherKmsKeys", "DenyKmsWithoutTheStateKey"}


@pytest.mark.parametrize("env", ["dev", "prod", "local"])
def test_state_bucket_expires_delete_markers_of_released_locks(synth: Synth, env: str) -> None:
    (rule,) = synth.one(f"{env}-state", "aws_s3_bucket_lifecycle_configuration")["rule"]
    assert rule["expiration"] == [{"expired_object_delete_marker": True}]
    assert rule["noncurrent_version_expiration"][0]["noncurrent_days"] == 90
    # The add-on buckets are not versioned and expire by age: unchanged.
    for body in synth.resources(f"{env}-addons-aws", "aws_s3_bucket_lifecycle_configuration").values():
        assert all("expired_object_delete_marker" not in e for r in body["rule"] for e in r.get("expiration") or [])


def test_a_bucket_name_with_dots_is_refused_naming_file_and_field(tmp_path: Path) -> None:
    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    raw["state_backend"]["bucket"] = "acme.platform.dev-tfstate"
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as info:
        load_environments(tmp_path)
    (problem,) = info.value.problems
    assert problem.endswith(
        "dev.yaml: state_backend.s3.bucket: 'acme.platform.dev-tfstate' contains '.', which the state key's alias "
        "(alias/<bucket>-state) cannot hold; use '-' instead"
    ), problem
