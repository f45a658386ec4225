"""Pull requests plan with their own identity, which reaches no Kubernetes object: the code of a
pull request is untrusted, and refreshing a Helm release lists every Secret of its namespace
(kube-system's Sealed Secrets key among them).

Sources: GitHub's OIDC subject of a pull_request job, ``repo:<owner>/<repo>:pull_request``, with
the ``ref`` claim ``refs/pull/<n>/merge`` when the subject template includes it
(https://docs.github.com/actions/reference/security/oidc); IAM ``StringLike``: ``*`` matches any
run of characters (IAM JSON policy reference, condition operators); an EKS cluster whose
``authentication_mode`` is ``API`` authenticates IAM principals by access entries only
(https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html)."""

from __future__ import annotations

import fnmatch
import json

import pytest

from environments import load_environments
from environments.ci import pr_plan_role_arn, role_arns
from tests.conftest import Synth

HOST = "token.actions.githubusercontent.com"
SHIPPED = [e.name for e in load_environments() if e.ci is not None]


def admits(trust: dict[str, object], sub: str) -> bool:
    statement = trust["Statement"][0]  # type: ignore[index]
    condition = statement["Condition"]
    if condition["StringEquals"].get(f"{HOST}:aud") != "sts.amazonaws.com":
        return False
    exact = condition["StringEquals"].get(f"{HOST}:sub")
    if exact is not None and exact != sub:
        return False
    like = condition.get("StringLike", {}).get(f"{HOST}:sub")
    return like is None or any(fnmatch.fnmatchcase(sub, pattern) for pattern in like)


@pytest.mark.parametrize("env", SHIPPED)
def test_only_the_pull_request_role_admits_a_pull_request(synth: Synth, env: str) -> None:
    roles = {body["name"]: json.loads(body["assume_role_policy"]) for body in synth.resources(f"{env}-state", "aws_iam_role").values()}
    pr = "repo:acme/eks-platform:pull_request:ref:refs/pull/42/merge"
    assert {name for name, trust in roles.items() if admits(trust, pr)} == {f"{env}-github-pr-plan"}
    push = "repo:acme/eks-platform:ref:refs/heads/main:ref:refs/heads/main"
    assert admits(roles[f"{env}-github-plan"], push) and not admits(roles[f"{env}-github-pr-plan"], push)


@pytest.mark.parametrize("env", SHIPPED)
def test_the_pull_request_role_has_no_way_into_the_cluster(synth: Synth, env: str) -> None:
    config = next(e for e in load_environments() if e.name == env)
    cluster = synth.one(f"{env}-cluster", "aws_eks_cluster")
    assert cluster["access_config"]["authentication_mode"] == "API"
    principals = {entry["principal_arn"] for entry in synth.resources(f"{env}-cluster", "aws_eks_access_entry").values()}
    plan, _ = role_arns(config)  # type: ignore[misc]
    assert plan in principals  # the deploy's plan refreshes the releases
    assert pr_plan_role_arn(config) not in principals
