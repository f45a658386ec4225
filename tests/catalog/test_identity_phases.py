"""The migration from IRSA to EKS Pod Identity never removes, in one deploy, the credential path a
running pod uses.

Which path a pod uses, from sources outside this project:
- the EKS Pod Identity webhook gives a pod of an annotated service account the IRSA variables
  (``AWS_ROLE_ARN``, ``AWS_WEB_IDENTITY_TOKEN_FILE``) and, when an association exists, the container
  credential variables (``AWS_CONTAINER_CREDENTIALS_FULL_URI``, ``AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE``);
  both are set when the pod is created and kept until it is replaced (EKS User Guide,
  pod-id-how-it-works.html, iam-roles-for-service-accounts);
- with both sets present, the SDK's default credential chain takes the first that resolves:
  botocore's own resolver, asked here, and the EKS User Guide (pod-id-minimum-sdk.html: "If your
  workloads currently use credentials that are earlier in the chain of credentials, those credentials
  will continue to be used even if you configure an EKS Pod Identity association");
- the IRSA path needs the role to trust the OIDC provider, the Pod Identity path needs the role to
  trust ``pods.eks.amazonaws.com`` (EKS User Guide, pod-id-role.html).
A deploy applies the ``<env>-*-aws`` stacks (role trust, association) before ``<env>-addons`` /
``<env>-teams`` (annotation), and changes no running pod.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from catalog.identity import IDENTITIES, MIGRATION, annotated, associated
from modules.shared.irsa import workload_trust

botocore_session = pytest.importorskip("botocore.session")

TRUST_ARGS = {
    "oidc_provider_arn": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
    "oidc_issuer": "oidc.eks.eu-west-1.amazonaws.com/id/ABC",
    "cluster_name": "dev-eks",
    "namespace": "external-dns",
    "service_account": "external-dns",
}


class _Agent(BaseHTTPRequestHandler):
    """Stands in for the Pod Identity agent's credentials endpoint, on loopback (botocore accepts a
    loopback ``AWS_CONTAINER_CREDENTIALS_FULL_URI``), so the container provider resolves offline."""

    def do_GET(self) -> None:  # the handler name http.server calls
        expires = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = json.dumps({"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret", "Token": "token", "Expiration": expires}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def agent() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Agent)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/credentials"
    server.shutdown()


@pytest.fixture
def chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agent: str) -> object:
    return lambda **kw: chain_pick(tmp_path, monkeypatch, agent, **kw)


def chain_pick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, agent: str, *, irsa_env: bool, pod_identity_env: bool) -> str | None:
    """The credential provider botocore's default chain resolves in a pod with these variables."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    token = tmp_path / "token"
    token.write_text("token")
    if irsa_env:
        monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::111111111111:role/dev-eks-external-dns")
        monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    if pod_identity_env:
        monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent)
        monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token))
    credentials = botocore_session.get_session().get_credentials()  # resolves lazily: no call is made
    return None if credentials is None else credentials.method


def trusted_paths(identity: str) -> set[str]:
    statements = json.loads(workload_trust(identity=identity, **TRUST_ARGS))["Statement"]
    paths = set()
    for s in statements:
        if s["Effect"] == "Allow" and s["Action"] == "sts:AssumeRoleWithWebIdentity":
            paths.add("assume-role-with-web-identity")
        if s["Effect"] == "Allow" and s["Principal"] == {"Service": "pods.eks.amazonaws.com"} and {"sts:AssumeRole", "sts:TagSession"} <= set(s["Action"]):
            paths.add("container-role")
    return paths


def test_every_phase_is_a_choice_and_the_migration_ends_on_pod_identity() -> None:
    assert MIGRATION[0] == "irsa" and MIGRATION[-1] == "pod_identity" and set(MIGRATION) == set(IDENTITIES)


def test_a_pod_with_both_sets_of_variables_uses_irsa(chain: Any) -> None:
    assert chain(irsa_env=True, pod_identity_env=True) == "assume-role-with-web-identity"
    assert chain(irsa_env=False, pod_identity_env=True) == "container-role"
    assert chain(irsa_env=True, pod_identity_env=False) == "assume-role-with-web-identity"


@pytest.mark.parametrize("step", range(len(MIGRATION) - 1), ids=lambda i: f"{MIGRATION[i]}->{MIGRATION[i + 1]}")
def test_no_step_removes_the_path_a_running_pod_uses(chain: Any, step: int) -> None:
    """Pods started in the phase before a deploy, and pods started while it runs (after the role
    stack, before the annotation stack), keep a trusted path once the deploy is applied. The role's
    trust of the phase after must serve all of them."""
    before, after = MIGRATION[step], MIGRATION[step + 1]
    # (annotation, association) a pod can see: before the deploy, and between the two applies.
    seen = {(annotated(before), associated(before)), (annotated(before), associated(after))}
    for irsa_env, pod_identity_env in seen:
        used = chain(irsa_env=irsa_env, pod_identity_env=pod_identity_env)
        assert used in trusted_paths(after), f"{before} -> {after}: a pod started with {used} loses it"
    # And the phase after serves the pods it starts itself.
    used = chain(irsa_env=annotated(after), pod_identity_env=associated(after))
    assert used in trusted_paths(after)
