"""The GitHub apply role cannot make itself, or a role it creates, more powerful than its boundary.

Judged by ``@cloud-copilot/iam-simulate`` (tests/iam), an IAM evaluator that shares nothing with
this project, over the synthesized apply role policy and permissions boundary of each environment.
Not on the emulator: moto authorizes every IAM call against the resource ``*`` and reads no
permissions boundary (moto/core/authorization.py, moto/iam/access_control.py: "TODO add support for
the Resource and Condition parts of IAM policies"), so it cannot tell a scoped deny from none.

The attempts are the IAM escalation paths AWS documents for delegated role administration
("Permissions boundaries for IAM entities", the example "delegating responsibility to others";
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html): attaching or
writing a policy on one's own role, removing or replacing one's boundary, creating a role
without the boundary (then passing it to EC2), widening an existing role without the boundary, and
rewriting the boundary policy itself. The platform's ordinary writes must still be allowed.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import Synth
from tests.stacks.test_state_bucket_policy_semantics import evaluate

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
CI_ENVIRONMENTS = ["dev", "staging", "prod", "local"]


def apply_role(synth: Synth, env: str) -> tuple[str, dict, dict | None, str | None]:
    """(role ARN, identity policy, boundary document, boundary ARN) as synthesized in ``<env>-state``."""
    stack = f"{env}-state"
    account = synth.stack(stack)["provider"]["aws"][0]["allowed_account_ids"][0]
    [(rid, role)] = [(k, r) for k, r in synth.resources(stack, "aws_iam_role").items() if r["name"].endswith("-github-apply")]
    [policy] = [p for p in synth.resources(stack, "aws_iam_role_policy").values() if p["role"] == f"${{aws_iam_role.{rid}.id}}"]
    boundary = boundary_arn = None
    if "permissions_boundary" in role:
        match = re.fullmatch(r"\$\{aws_iam_policy\.([^.]+)\.arn\}", role["permissions_boundary"])
        assert match, role["permissions_boundary"]
        body = synth.resources(stack, "aws_iam_policy")[match.group(1)]
        boundary_arn = f"arn:aws:iam::{account}:policy{body.get('path', '/')}{body['name']}"
        boundary = json.loads(body["policy"])
    return f"arn:aws:iam::{account}:role/{role['name']}", json.loads(policy["policy"]), boundary, boundary_arn


@pytest.mark.parametrize("env", CI_ENVIRONMENTS)
def test_the_apply_role_cannot_escalate(env: str, synth: Synth) -> None:
    own, identity, boundary, boundary_arn = apply_role(synth, env)
    account = own.split(":")[4]
    other = f"arn:aws:iam::{account}:role/{env}-eks-node"
    new = f"arn:aws:iam::{account}:role/{env}-escalator"
    b = {"iam:PermissionsBoundary": boundary_arn} if boundary_arn else {}
    foreign_boundary = f"arn:aws:iam::{account}:policy/wide-open"
    # (what, action, resource, request context, decision AWS must reach)
    attempts = [
        ("attach AdministratorAccess to its own role", "iam:AttachRolePolicy", own, {"iam:PolicyARN": ADMIN, **b}, False),
        ("write an inline policy on its own role", "iam:PutRolePolicy", own, b, False),
        ("let anyone assume its own role", "iam:UpdateAssumeRolePolicy", own, b, False),
        ("remove its own boundary", "iam:DeleteRolePermissionsBoundary", own, b, False),
        ("replace its own boundary", "iam:PutRolePermissionsBoundary", own, {"iam:PermissionsBoundary": foreign_boundary}, False),
        ("create a role without the boundary", "iam:CreateRole", new, {}, False),
        ("create a role with another boundary", "iam:CreateRole", new, {"iam:PermissionsBoundary": foreign_boundary}, False),
        ("attach AdministratorAccess to a role without the boundary", "iam:AttachRolePolicy", other, {"iam:PolicyARN": ADMIN}, False),
        ("write an inline policy on a role without the boundary", "iam:PutRolePolicy", other, {}, False),
        ("remove another role's boundary", "iam:DeleteRolePermissionsBoundary", other, b, False),
        ("create an IAM user", "iam:CreateUser", f"arn:aws:iam::{account}:user/x", {}, False),
        ("create an access key", "iam:CreateAccessKey", f"arn:aws:iam::{account}:user/x", {}, False),
    ]
    if boundary_arn:
        attempts += [
            ("rewrite the boundary", "iam:CreatePolicyVersion", boundary_arn, {}, False),
            ("switch the boundary's version", "iam:SetDefaultPolicyVersion", boundary_arn, {}, False),
            ("delete the boundary", "iam:DeletePolicy", boundary_arn, {}, False),
            # what the platform's stacks do, which must keep working
            ("create a role with the boundary", "iam:CreateRole", new, b, True),
            ("attach a policy to a role with the boundary", "iam:AttachRolePolicy", other, {"iam:PolicyARN": ADMIN, **b}, True),
            ("write an inline policy on a role with the boundary", "iam:PutRolePolicy", other, b, True),
        ]
    attempts += [
        ("create a VPC", "ec2:CreateVpc", f"arn:aws:ec2:eu-west-1:{account}:vpc/*", {}, True),
        ("create EKS's service-linked role", "iam:CreateServiceLinkedRole", f"arn:aws:iam::{account}:role/aws-service-role/eks.amazonaws.com/x", {}, True),
    ]
    requests = [
        {
            "principal": f"arn:aws:sts::{account}:assumed-role/{own.rsplit('/', 1)[1]}/github",
            "action": action,
            "resource": resource,
            "accountId": account,
            "context": context,
            "identityPolicy": identity,
            "permissionBoundary": boundary,
        }
        for _, action, resource, context, _ in attempts
    ]
    wrong = [
        f"{what}: {result['result']} {result['errors'] or ''}"
        for (what, *_, allowed), result in zip(attempts, evaluate(requests), strict=True)
        if (result["result"] == "Allowed") is not allowed
    ]
    assert not wrong, f"{env}:\n" + "\n".join(wrong)
