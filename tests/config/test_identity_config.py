"""Each workload service account's identity, chosen from where its pods can run.

The expectations come from EKS, not from environments/identity.py:
- EKS Pod Identity does not work on Fargate (it needs the eks-pod-identity-agent DaemonSet; EKS User
  Guide, "Learn how EKS Pod Identity grants pods access to AWS services", considerations; Fargate
  runs no DaemonSets, "AWS Fargate considerations");
- a Fargate profile selector matches the pods of its namespace that carry *all* its labels (EKS API
  reference, FargateProfileSelector), so a selector with labels still sends to Fargate any pod of
  the namespace that carries them: the config cannot know a workload's pod labels, so such a
  namespace counts as Fargate-reachable.
The tables below are written by hand from those rules and the shipped files' Fargate profiles.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from environments import load_environments
from environments.identity import workload_service_accounts
from environments.loader import parse_environment
from tests.config.test_config import problems_for, write_env


def _addon(name: str, **options: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["addons"].__setitem__(name, {**(d["addons"].get(name) or {}), **options})


def _fargate_external_dns(labels: dict[str, str]) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        d["cluster"]["fargate_profiles"]["dns"] = {"selectors": [{"namespace": "external-dns", **({"labels": labels} if labels else {})}]}
        d["addons"]["external-dns"] = {"policy": "sync", "identity": "pod_identity"}

    return mutate


def _team_sa_on_fargate(identity: str) -> Callable[[dict[str, Any]], None]:
    def mutate(d: dict[str, Any]) -> None:
        d["teams"]["web"]["namespaces"]["web-jobs"] = {"fargate": True}
        d["teams"]["web"]["service_accounts"]["web-batch"] = {"namespace": "web-jobs", "identity": identity}

    return mutate


CASES = [
    (
        "addon-pod-identity-on-a-fargate-namespace",
        _fargate_external_dns({}),
        "addons.external-dns.identity",
        "cluster.fargate_profiles.dns.selectors.0 puts pods of namespace 'external-dns' on Fargate",
    ),
    (
        "addon-pod-identity-on-a-labelled-fargate-selector",
        _fargate_external_dns({"compute": "fargate"}),
        "addons.external-dns.identity",
        "cluster.fargate_profiles.dns.selectors.0",
    ),
    (
        "team-pod-identity-on-a-team-fargate-namespace",
        _team_sa_on_fargate("pod_identity"),
        "teams.web.service_accounts.web-batch.identity",
        "teams.web.namespaces.web-jobs.fargate puts pods of namespace 'web-jobs' on Fargate",
    ),
    (
        "team-handover-on-a-team-fargate-namespace",
        _team_sa_on_fargate("handover"),
        "teams.web.service_accounts.web-batch.identity",
        "handover, but teams.web.namespaces.web-jobs.fargate puts pods of namespace 'web-jobs' on Fargate",
    ),
    ("identity-on-an-addon-without-a-role", _addon("metrics-server", identity="irsa"), "addons.metrics-server.identity", "has no AWS role"),
    ("identity-not-a-choice", _addon("external-dns", identity="oidc"), "addons.external-dns.identity", "'pod_identity', 'irsa', 'both' or 'handover'"),
    ("identity-default-not-a-choice", lambda d: d.update(identity_default="kiam"), "identity_default", "'pod_identity', 'irsa', 'both' or 'handover'"),
]


@pytest.mark.parametrize(("mutate", "field", "expected"), [pytest.param(m, f, e, id=i) for i, m, f, e in CASES])
def test_each_identity_rule_rejects_its_bad_input_at_its_field(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], field: str, expected: str) -> None:
    problems = problems_for(tmp_path, mutate)
    assert any(p.startswith(f"environments/dev.yaml: {field}: ") and expected in p for p in problems), problems


def _identities(tmp_path: Path, mutate: Callable[[dict[str, Any]], None]) -> dict[str, str]:
    env = parse_environment(write_env(tmp_path, mutate), "environments/dev.yaml")
    return {sa.field: sa.identity for sa in workload_service_accounts(env)}


def test_a_new_environment_runs_every_service_account_fargate_cannot_reach_on_pod_identity(tmp_path: Path) -> None:
    """Without ``identity_default``: Pod Identity everywhere the pods run on EC2 nodes; IRSA where a
    Fargate profile (cluster-wide, with labels, or a team's) selects the namespace; an explicit
    ``both`` on a reachable service account is kept (IRSA keeps working there)."""

    def mutate(d: dict[str, Any]) -> None:
        d.pop("identity_default", None)
        _team_sa_on_fargate("both")(d)
        d["teams"]["web"]["service_accounts"]["web-reports"] = {"namespace": "web-jobs"}
        d["cluster"]["fargate_profiles"]["dns"] = {"selectors": [{"namespace": "external-dns", "labels": {"compute": "fargate"}}]}

    got = _identities(tmp_path, mutate)
    assert got == {
        "addons.aws-load-balancer-controller": "pod_identity",
        "addons.external-secrets": "pod_identity",
        "addons.external-dns": "irsa",  # a labelled selector still selects pods carrying the labels
        "addons.cluster-autoscaler": "pod_identity",
        "addons.aws-ebs-csi-driver": "pod_identity",
        "addons.aws-efs-csi-driver": "pod_identity",
        "addons.loki": "pod_identity",
        "teams.web.service_accounts.web-api": "pod_identity",
        "teams.web.service_accounts.web-batch": "both",
        "teams.web.service_accounts.web-reports": "irsa",  # team Fargate namespace
    }


def test_an_explicit_irsa_stays_irsa_where_pod_identity_would_be_the_default(tmp_path: Path) -> None:
    got = _identities(tmp_path, lambda d: (d.pop("identity_default", None), _addon("loki", identity="irsa")(d)))
    assert got["addons.loki"] == "irsa" and got["addons.external-dns"] == "pod_identity"


# The shipped environments ran on IRSA: each is in the migration phase (``identity_default: both``),
# except what Fargate can reach (prod's payments-jobs namespace is a team Fargate namespace).
SHIPPED = {
    "dev": {"both": 8, "irsa": []},
    "staging": {"both": 8, "irsa": []},
    "prod": {"both": 11, "irsa": ["teams.payments.service_accounts.payments-reports"]},
    "local": {"both": 8, "irsa": []},
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_the_shipped_environments_are_in_the_migration_phase_except_what_fargate_reaches(name: str) -> None:
    [env] = load_environments(only=[name])
    got = {sa.field: sa.identity for sa in workload_service_accounts(env)}
    assert sorted(f for f, i in got.items() if i == "irsa") == SHIPPED[name]["irsa"]
    assert sum(1 for i in got.values() if i == "both") == SHIPPED[name]["both"]
    assert "pod_identity" not in got.values()
