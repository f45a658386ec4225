"""The synthesized admission policies, their CEL evaluated by cel-python on objects a team could send.

Expectations come from External Secrets' AWS provider documentation (a store without ``auth`` uses
the controller's credentials; ``role`` assumes another role;
https://external-secrets.io/latest/provider/aws-access/) and ExternalDNS's sources (the hostname
annotations of Services and Ingresses, an Ingress's rule and TLS hosts;
https://kubernetes-sigs.github.io/external-dns/latest/docs/annotations/annotations/): a team
publishes names under ``<team>.<dns.domain>`` only.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Synth
from tests.teams.tenancy_support import admission_manifests, admits

HOSTNAME = "external-dns.alpha.kubernetes.io/hostname"


def store(auth: dict[str, Any] | None = None, **aws: Any) -> dict[str, Any]:
    provider = {"service": "ParameterStore", "region": "eu-west-1", **aws, **({"auth": auth} if auth else {})}
    return {"kind": "SecretStore", "metadata": {"name": "s", "namespace": "payments"}, "spec": {"provider": {"aws": provider}}}


OWN_SA = {"jwt": {"serviceAccountRef": {"name": "secret-store"}}}
STORES = [
    ("own service account", store(OWN_SA), True),
    ("no auth (the controller's credentials)", store(), False),
    ("another namespace's service account", store({"jwt": {"serviceAccountRef": {"name": "external-secrets", "namespace": "external-secrets"}}}), False),
    ("own service account chaining a role", store(OWN_SA, role="arn:aws:iam::333333333333:role/x"), False),
    ("own service account with additional roles", store(OWN_SA, additionalRoles=["arn:aws:iam::333333333333:role/x"]), False),
    ("static keys", store({"secretRef": {"accessKeyIDSecretRef": {"name": "k", "key": "id"}}}), False),
    ("another provider", {"kind": "SecretStore", "metadata": {"name": "s", "namespace": "payments"}, "spec": {"provider": {"vault": {"server": "x"}}}}, False),
]


@pytest.mark.parametrize(("what", "obj", "allowed"), STORES, ids=[s[0] for s in STORES])
def test_team_secret_stores(what: str, obj: dict[str, Any], allowed: bool, synth: Synth) -> None:
    failures = admits(admission_manifests(synth, "prod"), "secretstores", obj, "payments")
    assert (not failures) is allowed, f"{what}: {failures}"


def test_the_platforms_own_team_stores_are_admitted(synth: Synth) -> None:
    releases = [r for r in synth.resources("prod-teams", "helm_release").values() if r["name"].endswith("-secret-stores")]
    stores = [(m, r["name"].split("-")[1]) for r in releases for m in json.loads(r["values"][0])["manifests"]]
    assert stores
    for manifest, team in stores:
        assert not admits(admission_manifests(synth, "prod"), "secretstores", manifest, team), manifest


def service(hostnames: str) -> dict[str, Any]:
    return {"kind": "Service", "metadata": {"name": "s", "namespace": "payments", "annotations": {HOSTNAME: hostnames}}, "spec": {"type": "LoadBalancer"}}


def ingress(host: str, tls: str | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": [{"host": host}]}
    if tls:
        spec["tls"] = [{"hosts": [tls]}]
    return {"kind": "Ingress", "metadata": {"name": "i", "namespace": "payments"}, "spec": spec}


NAMES = [
    ("services", service("api.payments.example.com"), True),
    ("services", service("payments.example.com"), True),
    ("services", service("a.payments.example.com, b.payments.example.com"), True),
    ("services", service("*.payments.example.com"), True),
    ("services", {"kind": "Service", "metadata": {"name": "s", "namespace": "payments"}, "spec": {}}, True),
    ("services", service("example.com"), False),
    ("services", service("api.search.example.com"), False),
    ("services", service("xpayments.example.com"), False),
    ("services", service("payments.example.com.evil.org"), False),
    ("services", service("a.payments.example.com,www.example.com"), False),
    ("ingresses", ingress("api.payments.example.com", tls="api.payments.example.com"), True),
    ("ingresses", ingress("www.example.com"), False),
    ("ingresses", ingress("api.payments.example.com", tls="www.example.com"), False),
]


@pytest.mark.parametrize(("resource", "obj", "allowed"), NAMES, ids=[f"{r}-{i}" for i, (r, _, _) in enumerate(NAMES)])
def test_team_hostnames_stay_under_the_team_subdomain(resource: str, obj: dict[str, Any], allowed: bool, synth: Synth) -> None:
    failures = admits(admission_manifests(synth, "prod"), resource, obj, "payments")
    assert (not failures) is allowed, f"{obj}: {failures}"


def test_policies_are_bound_to_team_namespaces_only(synth: Synth) -> None:
    bindings = [m for m in admission_manifests(synth, "prod") if m["kind"] == "ValidatingAdmissionPolicyBinding"]
    assert {b["spec"]["policyName"] for b in bindings} == {"team-secret-stores", "team-hostnames"}
    for binding in bindings:
        assert binding["spec"]["matchResources"]["namespaceSelector"] == {"matchExpressions": [{"key": "platform.example.com/team", "operator": "Exists"}]}
