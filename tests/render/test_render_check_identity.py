"""The identity check (tools/render/checks/identity.py) on hand-built ServiceAccounts and pods and a
small synthesized ``<env>-addons-aws`` stack: no synth, no Helm.

What each path is, from EKS: IRSA is the ``eks.amazonaws.com/role-arn`` annotation on the
ServiceAccount (EKS User Guide, associate-service-account-role.html); EKS Pod Identity is an
association of (namespace, service account) with a role that trusts ``pods.eks.amazonaws.com`` for
``sts:AssumeRole`` and ``sts:TagSession`` (pod-id-association.html, pod-id-role.html), and needs no
annotation. The expectation of each phase is the table of docs/upgrades.md, written by hand here:
irsa = annotation only; both = annotation and association; handover and pod_identity = association
only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.render_check_support import context, environment, messages, release, workload
from tools.render.checks import CHECKS, identity
from tools.render.releases import Synthesized

STACK = "dev-addons-aws"
ROLE = "dev-eks-external-dns"
ARN = f"arn:aws:iam::111111111111:role/{ROLE}"
PODS = {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}
OIDC = {"Effect": "Allow", "Principal": {"Federated": "${aws_iam_openid_connect_provider.oidc.arn}"}, "Action": "sts:AssumeRoleWithWebIdentity"}

# identity -> (annotation, association), from docs/upgrades.md's table
EXPECTED = {"irsa": (True, False), "both": (True, True), "handover": (False, True), "pod_identity": (False, True)}


def synthesized(tmp_path: Path, *, association: bool, trust: list[dict[str, Any]]) -> Synthesized:
    resources: dict[str, Any] = {
        "aws_iam_role": {"external-dns": {"name": ROLE, "assume_role_policy": json.dumps({"Version": "2012-10-17", "Statement": trust})}}
    }
    if association:
        resources["aws_eks_pod_identity_association"] = {
            "external-dns_pod-identity": {
                "cluster_name": "${aws_eks_cluster.cluster.name}",
                "namespace": "external-dns",
                "service_account": "external-dns",
                "role_arn": "${aws_iam_role.external-dns.arn}",
            }
        }
    (tmp_path / "stacks" / STACK).mkdir(parents=True, exist_ok=True)
    (tmp_path / "stacks" / STACK / "cdk.tf.json").write_text(json.dumps({"resource": resources}))
    return Synthesized(tmp_path)


def service_account(annotated: bool) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "external-dns"}
    if annotated:
        metadata["annotations"] = {"eks.amazonaws.com/role-arn": ARN}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata}


def run(
    tmp_path: Path, mode: str, *, annotated: bool, association: bool, trust: list[dict[str, Any]] | None = None, runs_as: str = "external-dns"
) -> list[str]:
    env = environment("dev", lambda d: d.update(identity_default=mode))
    synth = synthesized(tmp_path, association=association, trust=trust if trust is not None else [OIDC, PODS])
    objects = (service_account(annotated), workload("Deployment", "external-dns", serviceAccountName=runs_as))
    return messages(identity.check(context(env, release("external-dns", "external-dns", *objects), synth=synth)))


def test_the_check_is_registered() -> None:
    assert CHECKS["identity"] is identity.check


@pytest.mark.parametrize("mode", sorted(EXPECTED))
def test_each_mode_passes_with_exactly_its_paths(tmp_path: Path, mode: str) -> None:
    annotated, association = EXPECTED[mode]
    assert run(tmp_path, mode, annotated=annotated, association=association) == []


OTHERS = [(mode, a, b) for mode in sorted(EXPECTED) for a in (True, False) for b in (True, False) if (a, b) != EXPECTED[mode]]


@pytest.mark.parametrize(("mode", "annotated", "association"), OTHERS)
def test_any_other_combination_is_a_finding_naming_the_mode(tmp_path: Path, mode: str, annotated: bool, association: bool) -> None:
    found = run(tmp_path, mode, annotated=annotated, association=association)
    assert len(found) == 1 and found[0].startswith(f"identity {mode} (addons.external-dns): "), found


def test_an_association_whose_role_does_not_trust_pod_identity_is_a_finding(tmp_path: Path) -> None:
    found = run(tmp_path, "pod_identity", annotated=False, association=True, trust=[OIDC])
    assert found == [f"its EKS Pod Identity association's role {ROLE} does not trust pods.eks.amazonaws.com for sts:AssumeRole and sts:TagSession"]


def test_a_service_account_no_workload_runs_as_is_not_judged(tmp_path: Path) -> None:
    assert run(tmp_path, "pod_identity", annotated=True, association=False, runs_as="other") == []
