"""Each admission catches what it exists for, on a deliberately broken example
(tests/examples/broken/broken) and, for the IRSA trust, a role trust naming another account."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Synth
from tools.examples.__main__ import build_context
from tools.examples.catalog import EXAMPLES_DIR
from tools.examples.checks import ADMISSIONS, ExampleContext, run_admissions
from tools.examples.checks.irsa import check as irsa_check

BROKEN = Path(__file__).resolve().parents[1] / "broken"

# admission -> (object, the rule its finding must name)
EXPECTED = {
    "pod-security": ("Deployment payments/root-app", "pod-security restricted:v1.35 runAsNonRoot"),
    "quota": ("Deployment payments/db", "limit-range"),
    "network": ("Deployment payments/db", "network-policy: promise not kept: the pod is reachable from app.kubernetes.io/name=root-app on 5432"),
    "cel": ("SecretStore payments/tagged", "crd-validation .spec.provider.aws.customSessionTags"),
    "efs": ("PersistentVolume payments/efs-root", "efs-policy elasticfilesystem:ClientMount"),
    "irsa": ("Deployment payments/db", "service-account: 'not-a-team-account' does not exist"),
}


@pytest.fixture(scope="module")
def broken(synth: Synth) -> ExampleContext:
    ctx, _ = build_context("prod", synth.outdir, BROKEN, None)
    return ctx


def test_one_check_per_admission_is_expected() -> None:
    assert set(EXPECTED) == set(ADMISSIONS)


@pytest.mark.parametrize("admission", sorted(EXPECTED))
def test_admission_catches_the_broken_example(broken: ExampleContext, admission: str) -> None:
    where, rule = EXPECTED[admission]
    findings = [str(f) for f in run_admissions(broken, [admission])[admission]]
    assert any(f"prod: broken: {where}: {rule}" in f for f in findings), findings


def test_irsa_trust_of_another_account_is_refused(synth: Synth) -> None:
    ctx, _ = build_context("prod", synth.outdir, EXAMPLES_DIR, None)
    assert irsa_check(ctx) == []
    role = ctx.platform.service_accounts[("payments", "payments-api")]
    name, trust = ctx.platform.role_trust[role]
    condition = trust["Statement"][0]["Condition"]["StringEquals"]
    key = next(k for k in condition if k.endswith(":sub"))
    ctx.platform.role_trust[role] = (
        name,
        {**trust, "Statement": [{**trust["Statement"][0], "Condition": {"StringEquals": {**condition, key: "system:serviceaccount:payments:someone-else"}}}]},
    )
    found = [str(f) for f in irsa_check(ctx)]
    assert any("aws-identity: Job payments/aws-identity: irsa-trust prod-eks-payments-payments-api" in f and "ImplicitlyDenied" in f for f in found), found
