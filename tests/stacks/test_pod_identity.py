"""EKS Pod Identity as synthesized: every association's role, judged by an IAM evaluator that is not
this project's code (``@cloud-copilot/iam-simulate``, ``tests/iam``).

What EKS does, from the EKS User Guide: Pod Identity calls ``sts:AssumeRole`` as the service
principal ``pods.eks.amazonaws.com`` and tags the session (``sts:TagSession``) with
``eks-cluster-name``, ``kubernetes-namespace`` and ``kubernetes-service-account`` among others
(pod-id-role.html, pod-id-abac.html). So for each ``aws_eks_pod_identity_association``:
- both calls, tagged with the association's own cluster, namespace and service account, must be
  allowed by its role's trust policy;
- the same calls tagged with another namespace or service account must not be;
and a role without an association (IRSA only) must not trust Pod Identity at all.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import Synth
from tests.stacks.test_state_bucket_policy_semantics import evaluate

ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
POD_IDENTITY = "pods.eks.amazonaws.com"
EMPTY = {"Version": "2012-10-17", "Statement": []}


def concrete_trust(text: str, account: str) -> dict:
    """The trust policy with its cross-stack references (issuer, provider ARN) made concrete."""
    text = re.sub(r'\$\{replace\([^}]*"https://", ""\)\}', ISSUER, text)
    text = re.sub(r"\$\{[^}]*openid_connect[^}]*\}", f"arn:aws:iam::{account}:oidc-provider/{ISSUER}", text)
    assert "${" not in text, text
    return json.loads(text)


def _roles(synth: Synth, stack: str) -> dict[str, dict]:
    return synth.resources(stack, "aws_iam_role") if stack in synth.stack_names else {}


def _associations(synth: Synth, stack: str) -> dict[str, dict]:
    return synth.resources(stack, "aws_eks_pod_identity_association") if stack in synth.stack_names else {}


def _request(action: str, role: dict, account: str, cluster: str, namespace: str, service_account: str) -> dict:
    return {
        "principal": POD_IDENTITY,
        "action": action,
        "resource": f"arn:aws:iam::{account}:role/{role['name']}",
        "accountId": account,
        "context": {
            "aws:RequestTag/eks-cluster-name": cluster,
            "aws:RequestTag/kubernetes-namespace": namespace,
            "aws:RequestTag/kubernetes-service-account": service_account,
        },
        "identityPolicy": EMPTY,
        "resourcePolicy": concrete_trust(role["assume_role_policy"], account),
    }


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "local"])
def test_each_association_role_trusts_pod_identity_for_exactly_its_service_account(synth: Synth, env: str) -> None:
    account = synth.stack(f"{env}-state")["provider"]["aws"][0]["allowed_account_ids"][0]
    cluster = f"{env}-eks"
    requests, expected = [], []
    associated = set()
    for stack in (f"{env}-addons-aws", f"{env}-teams-aws"):
        roles = _roles(synth, stack)
        for assoc in _associations(synth, stack).values():
            role_id = re.fullmatch(r"\$\{aws_iam_role\.([^.]+)\.arn\}", assoc["role_arn"]).group(1)
            associated.add(role_id)
            role, ns, sa = roles[role_id], assoc["namespace"], assoc["service_account"]
            for action in ("sts:AssumeRole", "sts:TagSession"):
                requests += [
                    _request(action, role, account, cluster, ns, sa),
                    _request(action, role, account, cluster, f"{ns}-other", sa),
                    _request(action, role, account, cluster, ns, f"{sa}-other"),
                    _request(action, role, account, "other-eks", ns, sa),
                ]
                expected += ["Allowed", "ImplicitlyDenied", "ImplicitlyDenied", "ImplicitlyDenied"]
        for role_id, role in roles.items():
            if role_id not in associated and POD_IDENTITY in role["assume_role_policy"]:
                pytest.fail(f"{stack}: role {role['name']} trusts {POD_IDENTITY} but has no association")
    assert requests, f"{env}: no Pod Identity association synthesized"
    results = [r["result"] for r in evaluate(requests)]
    wrong = [(q["action"], q["resource"], q["context"], got) for q, got, want in zip(requests, results, expected, strict=True) if got != want]
    assert not wrong, wrong


def test_a_service_account_fargate_reaches_gets_no_association_and_keeps_irsa(synth: Synth) -> None:
    """prod's ``payments-reports`` runs in ``payments-jobs``, a team Fargate namespace."""
    assocs = _associations(synth, "prod-teams-aws").values()
    assert ("payments", "payments-api") in {(a["namespace"], a["service_account"]) for a in assocs}
    assert all(a["service_account"] != "payments-reports" for a in assocs)
    [role] = [r for r in _roles(synth, "prod-teams-aws").values() if r["name"].endswith("-payments-reports")]
    trust = concrete_trust(role["assume_role_policy"], "333333333333")
    assert [s["Principal"] for s in trust["Statement"]] == [{"Federated": f"arn:aws:iam::333333333333:oidc-provider/{ISSUER}"}]


def test_the_migration_phase_keeps_every_irsa_annotation(synth: Synth) -> None:
    """``both``: the service accounts keep the role annotation, so pods that run keep their credentials."""
    sas = synth.resources("dev-teams", "kubernetes_service_account_v1")
    [web_api] = [s for s in sas.values() if s["metadata"]["name"] == "web-api"]
    assert "eks.amazonaws.com/role-arn" in web_api["metadata"]["annotations"]
