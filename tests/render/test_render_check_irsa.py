"""The IRSA check (tools/render/checks/irsa.py) on hand-built ServiceAccounts, pods and a small
synthesized ``<env>-addons-aws`` stack: no synth, no Helm.

The rule is EKS's (IAM roles for service accounts): the role's trust policy names the subject
``system:serviceaccount:<namespace>:<name>`` under ``<issuer>:sub``, the ServiceAccount carries the
role ARN in ``eks.amazonaws.com/role-arn``, and only pods running as that ServiceAccount get the
role's credentials.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.render_check_support import context, environment, located, messages, release, workload
from tools.render.checks import irsa
from tools.render.releases import Synthesized

ENV = environment("dev")
STACK = "dev-addons-aws"
ISSUER = '${replace(aws_eks_cluster.cluster.identity[0].oidc[0].issuer, "https://", "")}'
ROLE = "dev-eks-external-dns"


def trust(subject: str | list[str], operator: str = "StringEquals") -> str:
    """A trust policy as CDKTF writes it: JSON text whose condition keys hold a Terraform
    interpolation with unescaped quotes (Terraform resolves it before the text is JSON)."""
    text = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": "${aws_iam_openid_connect_provider.oidc.arn}"},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {operator: {"ISSUER_KEY:sub": subject, "ISSUER_KEY:aud": "sts.amazonaws.com"}},
                }
            ],
        }
    )
    return text.replace("ISSUER_KEY", ISSUER)


@pytest.fixture
def synth(tmp_path: Path) -> Synthesized:
    """``dev-addons-aws`` with external-dns's role, trusting external-dns/external-dns, and an output of its ARN."""
    doc = {
        "output": {"external-dns_role_arn": {"value": "${aws_iam_role.external-dns.arn}"}, "queue_url": {"value": "${aws_sqs_queue.q.url}"}},
        "resource": {
            "aws_iam_role": {"external-dns": {"name": ROLE, "assume_role_policy": trust("system:serviceaccount:external-dns:external-dns")}},
            "aws_sqs_queue": {"q": {"name": "q"}},
        },
    }
    (tmp_path / "stacks" / STACK).mkdir(parents=True)
    (tmp_path / "stacks" / STACK / "cdk.tf.json").write_text(json.dumps(doc))
    return Synthesized(tmp_path)


def service_account(name: str, arn: str | None, namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if arn is not None:
        metadata["annotations"] = {"eks.amazonaws.com/role-arn": arn}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata}


PLACEHOLDER_ARN = f"APPLY-TIME({STACK}:external-dns_role_arn)"
REAL_ARN = f"arn:aws:iam::111111111111:role/{ROLE}"


def run(synth: Synthesized | None, *objects: dict[str, Any], namespace: str = "external-dns") -> list[str]:
    return messages(irsa.check(context(ENV, release("external-dns", namespace, *objects), synth=synth)))


@pytest.mark.parametrize("arn", [PLACEHOLDER_ARN, REAL_ARN], ids=["placeholder", "real-arn"])
def test_the_trusted_service_account_with_its_pods_passes(synth: Synthesized, arn: str) -> None:
    assert run(synth, service_account("external-dns", arn), workload("Deployment", "external-dns", serviceAccountName="external-dns")) == []


def test_a_service_account_the_role_does_not_trust_is_reported(synth: Synthesized) -> None:
    found = run(synth, service_account("dns", PLACEHOLDER_ARN), workload("Deployment", "external-dns", serviceAccountName="dns"))
    assert found == [
        f"role {ROLE} trusts sub ['system:serviceaccount:external-dns:external-dns'], but the annotated ServiceAccount is system:serviceaccount:external-dns:dns"
    ]
    # The same name in another namespace is another subject.
    found = run(
        synth,
        service_account("external-dns", PLACEHOLDER_ARN, "kube-system"),
        workload("Deployment", "external-dns", "kube-system", serviceAccountName="external-dns"),
    )
    assert found == [
        f"role {ROLE} trusts sub ['system:serviceaccount:external-dns:external-dns'], but the annotated ServiceAccount is system:serviceaccount:kube-system:external-dns"
    ]


def test_an_annotation_naming_no_role_of_the_environment_is_reported(synth: Synthesized) -> None:
    pods = workload("Deployment", "external-dns", serviceAccountName="external-dns")
    for arn in (f"APPLY-TIME({STACK}:missing)", f"APPLY-TIME({STACK}:queue_url)", "arn:aws:iam::111111111111:role/someone-else", "not-an-arn"):
        found = run(synth, service_account("external-dns", arn), pods)
        assert f"eks.amazonaws.com/role-arn {arn} is no IRSA role of this environment" in found, (arn, found)
    # Without the synthesized stacks no role can be followed.
    assert run(None, service_account("external-dns", REAL_ARN), pods) == [f"eks.amazonaws.com/role-arn {REAL_ARN} is no IRSA role of this environment"]


def test_a_role_carrying_service_account_no_pod_runs_as_is_reported(synth: Synthesized) -> None:
    found = run(
        synth,
        service_account("external-dns", PLACEHOLDER_ARN),
        service_account("other", None),
        workload("Deployment", "external-dns", serviceAccountName="other"),
    )
    assert found == ["carries an IAM role, but no pod template of the release runs as it"]
    # Pods without serviceAccountName run as "default".
    assert run(synth, service_account("external-dns", PLACEHOLDER_ARN), workload("Deployment", "external-dns")) == [
        "carries an IAM role, but no pod template of the release runs as it"
    ]
    # A pod of that name in another namespace is not the ServiceAccount's.
    found = run(synth, service_account("external-dns", PLACEHOLDER_ARN), workload("Deployment", "x", "kube-system", serviceAccountName="external-dns"))
    assert "carries an IAM role, but no pod template of the release runs as it" in found


def test_a_pod_running_as_a_service_account_the_release_does_not_render_is_reported(synth: Synthesized) -> None:
    found = run(
        synth,
        service_account("external-dns", PLACEHOLDER_ARN),
        workload("Deployment", "external-dns", serviceAccountName="external-dns"),
        workload("Job", "cleanup", serviceAccountName="cleaner"),
    )
    assert found == ["runs as ServiceAccount external-dns/cleaner, which the release does not render"]
    # A release without any role-carrying ServiceAccount is not judged for it (its pods call no AWS API).
    assert run(synth, workload("Job", "cleanup", serviceAccountName="cleaner"), namespace="apps") == [
        "IRSA role dev-eks-external-dns exists, but no rendered ServiceAccount carries it"
    ]


def test_a_role_no_rendered_service_account_carries_is_reported_under_its_addon(synth: Synthesized) -> None:
    [found] = irsa.check(context(ENV, release("external-dns", "external-dns", service_account("external-dns", None)), synth=synth))
    assert (found.release, found.kind, found.namespace, found.name) == ("external-dns", "ServiceAccount", "external-dns", "external-dns")
    assert found.message == f"IRSA role {ROLE} exists, but no rendered ServiceAccount carries it"


def test_trusted_subjects_reads_every_sub_condition() -> None:
    assert irsa.trusted_subjects(trust("system:serviceaccount:a:b")) == ["system:serviceaccount:a:b"]
    assert irsa.trusted_subjects(trust(["system:serviceaccount:a:b", "system:serviceaccount:a:c"], "StringLike")) == [
        "system:serviceaccount:a:b",
        "system:serviceaccount:a:c",
    ]
    assert irsa.trusted_subjects(json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}]})) == []
    assert irsa.trusted_subjects("{not json") == []
    assert irsa.trusted_subjects("") == []


def test_a_role_trusting_two_subjects_does_not_match_one_service_account(tmp_path: Path) -> None:
    """A wider trust than the one ServiceAccount (here two subjects) is reported too."""
    doc = {
        "output": {"arn": {"value": "${aws_iam_role.r.arn}"}},
        "resource": {
            "aws_iam_role": {
                "r": {
                    "name": ROLE,
                    "assume_role_policy": trust(["system:serviceaccount:external-dns:external-dns", "system:serviceaccount:apps:x"], "StringLike"),
                }
            }
        },
    }
    (tmp_path / "stacks" / STACK).mkdir(parents=True)
    (tmp_path / "stacks" / STACK / "cdk.tf.json").write_text(json.dumps(doc))
    found = run(
        Synthesized(tmp_path),
        service_account("external-dns", f"APPLY-TIME({STACK}:arn)"),
        workload("Deployment", "external-dns", serviceAccountName="external-dns"),
    )
    assert found == [
        f"role {ROLE} trusts sub ['system:serviceaccount:external-dns:external-dns', 'system:serviceaccount:apps:x'], "
        "but the annotated ServiceAccount is system:serviceaccount:external-dns:external-dns"
    ]


def test_each_finding_names_the_service_account_or_workload_it_is_about(synth: Synthesized) -> None:
    objects = [
        service_account("unknown", "arn:aws:iam::111111111111:role/someone-else"),
        service_account("dns", PLACEHOLDER_ARN),
        workload("Deployment", "external-dns", serviceAccountName="dns"),
        workload("Job", "cleanup", serviceAccountName="cleaner"),
    ]
    assert located(irsa.check(context(ENV, release("external-dns", "external-dns", *objects), synth=synth))) == [
        (
            "external-dns",
            "ServiceAccount",
            "external-dns",
            "unknown",
            "eks.amazonaws.com/role-arn arn:aws:iam::111111111111:role/someone-else is no IRSA role of this environment",
        ),
        (
            "external-dns",
            "ServiceAccount",
            "external-dns",
            "dns",
            f"role {ROLE} trusts sub ['system:serviceaccount:external-dns:external-dns'], but the annotated ServiceAccount is system:serviceaccount:external-dns:dns",
        ),
        ("external-dns", "ServiceAccount", "external-dns", "unknown", "carries an IAM role, but no pod template of the release runs as it"),
        ("external-dns", "Job", "external-dns", "cleanup", "runs as ServiceAccount external-dns/cleaner, which the release does not render"),
    ]
    [unused] = irsa.check(context(ENV, release("other", "apps"), synth=synth))
    assert (unused.environment, unused.release, unused.kind, unused.namespace, unused.name) == (
        "dev",
        "external-dns",
        "ServiceAccount",
        "external-dns",
        "external-dns",
    )


def test_the_default_service_account_is_what_pods_without_one_run_as(tmp_path: Path) -> None:
    doc = {
        "output": {"arn": {"value": "${aws_iam_role.r.arn}"}},
        "resource": {"aws_iam_role": {"r": {"name": ROLE, "assume_role_policy": trust("system:serviceaccount:external-dns:default")}}},
    }
    (tmp_path / "stacks" / STACK).mkdir(parents=True)
    (tmp_path / "stacks" / STACK / "cdk.tf.json").write_text(json.dumps(doc))
    assert run(Synthesized(tmp_path), service_account("default", f"APPLY-TIME({STACK}:arn)"), workload("Deployment", "external-dns")) == []


def test_a_role_without_a_name_attribute_is_named_by_its_logical_id(tmp_path: Path) -> None:
    doc = {
        "output": {"arn": {"value": "${aws_iam_role.generated.arn}"}},
        "resource": {"aws_iam_role": {"generated": {"name_prefix": "dns-", "assume_role_policy": trust("system:serviceaccount:apps:x")}}},
    }
    (tmp_path / "stacks" / STACK).mkdir(parents=True)
    (tmp_path / "stacks" / STACK / "cdk.tf.json").write_text(json.dumps(doc))
    found = run(
        Synthesized(tmp_path),
        service_account("external-dns", f"APPLY-TIME({STACK}:arn)"),
        workload("Deployment", "external-dns", serviceAccountName="external-dns"),
    )
    assert (
        "role generated trusts sub ['system:serviceaccount:apps:x'], but the annotated ServiceAccount is system:serviceaccount:external-dns:external-dns"
        in found
    )


def test_an_environment_without_an_addons_aws_stack_has_no_roles_to_follow(tmp_path: Path) -> None:
    (tmp_path / "stacks" / STACK).mkdir(parents=True)
    (tmp_path / "stacks" / STACK / "cdk.tf.json").write_text(json.dumps({"output": {}}))
    pods = workload("Deployment", "external-dns", serviceAccountName="external-dns")
    assert run(Synthesized(tmp_path), service_account("external-dns", REAL_ARN), pods) == [
        f"eks.amazonaws.com/role-arn {REAL_ARN} is no IRSA role of this environment"
    ]
    assert run(Synthesized(tmp_path / "nowhere"), service_account("external-dns", None), pods) == []


def test_subjects_of_every_statement_and_operator_are_read() -> None:
    doc = json.loads(trust("system:serviceaccount:a:b").replace(ISSUER, "ISSUER"))
    doc["Statement"].append(
        {"Effect": "Allow", "Condition": {"StringLike": {"x:sub": ["system:serviceaccount:a:c"]}, "StringEquals": {"y:sub": "system:serviceaccount:a:d"}}}
    )
    assert irsa.trusted_subjects(json.dumps(doc)) == ["system:serviceaccount:a:b", "system:serviceaccount:a:c", "system:serviceaccount:a:d"]


def test_a_used_role_without_a_name_attribute_is_not_reported_as_unused(tmp_path: Path) -> None:
    """A role Terraform names itself (no ``name``) is the same role to both halves of the check:
    the one an annotation leads to, and the one listed from ``<env>-addons-aws``."""
    doc = {
        "output": {"arn": {"value": "${aws_iam_role.generated.arn}"}},
        "resource": {"aws_iam_role": {"generated": {"name_prefix": "dns-", "assume_role_policy": trust("system:serviceaccount:external-dns:external-dns")}}},
    }
    (tmp_path / "stacks" / STACK).mkdir(parents=True)
    (tmp_path / "stacks" / STACK / "cdk.tf.json").write_text(json.dumps(doc))
    pods = workload("Deployment", "external-dns", serviceAccountName="external-dns")
    assert run(Synthesized(tmp_path), service_account("external-dns", f"APPLY-TIME({STACK}:arn)"), pods) == []
    [unused] = irsa.check(context(ENV, release("other", "apps"), synth=Synthesized(tmp_path)))
    assert unused.message == "IRSA role generated exists, but no rendered ServiceAccount carries it"


def test_a_role_its_service_account_reaches_through_pod_identity_alone_is_not_unused(tmp_path: Path) -> None:
    """In phase ``handover`` the role still trusts the OIDC subject (pods started before keep IRSA)
    while the ServiceAccount has lost its annotation: its association is the path in use, which the
    identity check judges."""
    doc = {
        "resource": {
            "aws_iam_role": {"external-dns": {"name": ROLE, "assume_role_policy": trust("system:serviceaccount:external-dns:external-dns")}},
            "aws_eks_pod_identity_association": {
                "external-dns_pod-identity": {"namespace": "external-dns", "service_account": "external-dns", "role_arn": "${aws_iam_role.external-dns.arn}"}
            },
        }
    }
    (tmp_path / "stacks" / STACK).mkdir(parents=True)
    (tmp_path / "stacks" / STACK / "cdk.tf.json").write_text(json.dumps(doc))
    objects = (service_account("external-dns", None), workload("Deployment", "external-dns", serviceAccountName="external-dns"))
    assert run(Synthesized(tmp_path), *objects) == []
