"""IAM lint gate: every policy document of every synthesized stack through parliament (AWS's action
catalogue), failures accepted only with a reason on the resource (tools/gates/iam_lint.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import Synth
from tools.gates.iam_lint import evaluate, lint_document, resolve


@pytest.fixture(scope="module")
def findings(synth: Synth):  # type: ignore[no-untyped-def]
    return evaluate(synth.outdir / "stacks")


def test_every_policy_passes_parliament_or_carries_its_reason(findings) -> None:  # type: ignore[no-untyped-def]
    unaccepted = [f"{f.stack} {f.resource} {f.attribute}: {f.issue} {f.detail}" for f in findings if f.reason is None]
    assert not unaccepted, "\n".join(unaccepted)


def test_every_shipped_environment_and_every_kind_of_policy_is_linted(synth: Synth) -> None:
    from tools.gates.iam_lint import documents

    kinds = {(address.split(".")[0], attribute) for stack in synth.stack_names for address, attribute, _, _ in documents(synth.stack(stack))}
    for kind in [
        ("aws_iam_role", "assume_role_policy"),
        ("aws_iam_role_policy", "policy"),
        ("aws_iam_policy", "policy"),
        ("aws_s3_bucket_policy", "policy"),
        ("aws_kms_key", "policy"),
        ("aws_sqs_queue_policy", "policy"),
    ]:
        assert kind in kinds
    assert {s.split("-")[0] for s in synth.stack_names} >= {"dev", "staging", "prod", "local"}


def test_the_github_apply_role_lists_only_real_iam_actions() -> None:
    """Each action pattern of the apply role matches at least one action of AWS's catalogue."""
    from parliament import expand_action

    from modules.state.github_ci import APPLY_IAM, APPLY_READS

    empty = [p for p in (*APPLY_IAM, *APPLY_READS) if not expand_action(p, raise_exceptions=False)]
    assert not empty, f"patterns matching no action: {empty}"


def _apply_policy(doc: dict) -> dict:
    (body,) = [b for n, b in doc["resource"]["aws_iam_role_policy"].items() if n.startswith("github-ci_apply-policy")]
    return body


def test_an_unknown_action_fails_the_gate(synth: Synth, tmp_path: Path) -> None:
    stack = tmp_path / "stacks" / "dev-state"
    shutil.copytree(synth.outdir / "stacks" / "dev-state", stack)
    doc = json.loads((stack / "cdk.tf.json").read_text())
    body = _apply_policy(doc)
    policy = json.loads(body["policy"])
    policy["Statement"][1]["Action"].append("iam:*RolePolicyAttachment*")
    body["policy"] = json.dumps(policy)
    (stack / "cdk.tf.json").write_text(json.dumps(doc))
    unaccepted = [f for f in evaluate(tmp_path / "stacks") if f.reason is None]
    assert [(f.issue, "iam:*RolePolicyAttachment*" in f.detail) for f in unaccepted] == [("UNKNOWN_ACTION", True)]


def test_an_acceptance_without_its_finding_is_stale(synth: Synth, tmp_path: Path) -> None:
    stack = tmp_path / "stacks" / "dev-state"
    shutil.copytree(synth.outdir / "stacks" / "dev-state", stack)
    doc = json.loads((stack / "cdk.tf.json").read_text())
    _apply_policy(doc).setdefault("//", {})["iam_lint_accept"] = {"UNKNOWN_ACTION": "no longer needed"}
    (stack / "cdk.tf.json").write_text(json.dumps(doc))
    stale = [f for f in evaluate(tmp_path / "stacks") if f.issue == "STALE_ACCEPT:UNKNOWN_ACTION"]
    assert len(stale) == 1 and stale[0].reason is None


@pytest.mark.parametrize(
    ("statement", "issue"),
    [
        ({"Effect": "Allow", "Action": "s3:GetObjekt", "Resource": "*"}, "UNKNOWN_ACTION"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}, "RESOURCE_MISMATCH"),
        (
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", "Condition": {"StringEquals": {"ec2:Vpc": "x"}}},
            "UNKNOWN_CONDITION_FOR_ACTION",
        ),
        ({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "${aws_lambda_function.f.arn}"}, "UNRESOLVED_REFERENCE"),
    ],
    ids=["unknown-action", "malformed-arn-for-action", "condition-not-for-action", "unknown-reference"],
)
def test_each_class_of_finding_is_caught(statement: dict, issue: str) -> None:
    found = lint_document(json.dumps({"Version": "2012-10-17", "Statement": [statement]}), "eu-west-1")
    assert issue in {i for i, _ in found}


def test_references_resolve_to_arns_of_their_resource_type() -> None:
    text = '{"Resource": ["${aws_s3_bucket.b.arn}/*", "${data.terraform_remote_state.x.outputs.cross-stack-output-aws_kms_keyeks_kms_key_1B08AED4arn}"]}'
    resolved, unknown = resolve(text, "eu-west-1")
    assert not unknown
    assert json.loads(resolved)["Resource"] == ["arn:aws:s3:::example-bucket/*", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]


def test_an_oidc_trust_is_not_a_finding_but_another_federation_is() -> None:
    def trust(federated: str, key: str) -> str:
        return json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": federated},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {"StringEquals": {key: "x"}},
                    }
                ],
            }
        )

    ok = trust("arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com", "token.actions.githubusercontent.com:sub")
    assert lint_document(ok, "eu-west-1", trust_of="r") == []
    other = lint_document(trust("evil.example.com", "evil.example.com:sub"), "eu-west-1", trust_of="r")
    assert {i for i, _ in other} == {"UNKNOWN_FEDERATION_SOURCE", "UNKNOWN_CONDITION_FOR_ACTION"}
