"""Admission rules that keep a team in its lane, as ValidatingAdmissionPolicies (built into
Kubernetes, ``admissionregistration.k8s.io/v1``, GA in 1.30:
https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/).

They apply in every namespace labelled ``platform.example.com/team`` (a label a team cannot change:
its RoleBindings grant nothing on Namespace objects) and read the team from that label
(``namespaceObject``):

* **SecretStores use the team's own identity.** External Secrets' ``edit``/``admin`` aggregation
  lets a team create SecretStores; an AWS store without ``auth`` uses the controller's own
  credentials ("AWS Access", https://external-secrets.io/latest/provider/aws-access/), which read
  the platform's parameters. A team store must be an AWS store authenticating as a service account
  of its own namespace (``auth.jwt.serviceAccountRef`` without ``namespace``: IRSA, and a role
  trusts only service accounts of the team's namespaces), with no ``role``/``additionalRoles`` to
  chain into. Other providers and static keys (``secretRef``) are refused: none is needed here.
* **Hostnames under the team's subdomain.** ExternalDNS publishes the
  ``external-dns.alpha.kubernetes.io/hostname`` (and ``internal-hostname``) annotations of Services
  and Ingresses, and an Ingress's ``spec.rules[].host`` and ``spec.tls[].hosts``
  (https://kubernetes-sigs.github.io/external-dns/latest/docs/annotations/annotations/). Each must
  be ``<team>.<dns.domain>`` or a name under it.
"""

from __future__ import annotations

from typing import Any

from environments.schema import EnvironmentConfig
from environments.teams import TEAM_LABEL

API = "admissionregistration.k8s.io/v1"
SECRET_STORE_POLICY = "team-secret-stores"
HOSTNAME_POLICY = "team-hostnames"
HOSTNAME_ANNOTATIONS = ("external-dns.alpha.kubernetes.io/hostname", "external-dns.alpha.kubernetes.io/internal-hostname")
TEAM_NAMESPACES = {"matchExpressions": [{"key": TEAM_LABEL, "operator": "Exists"}]}

_AWS = "object.spec.provider.aws"
_JWT = f"{_AWS}.auth.jwt"
SECRET_STORE_RULES = (
    # "Only one provider may be set" (External Secrets, SecretStoreProvider), so requiring ``aws``
    # excludes the others;
    # no size() over objects: with the CRD's schema they are typed objects, not maps.
    (
        f"has(object.spec.provider) && has({_AWS})",
        "a team SecretStore uses the AWS provider only (spec.provider.aws)",
    ),
    (
        f"has({_AWS}.auth) && has({_JWT}) && has({_JWT}.serviceAccountRef) && !has({_AWS}.auth.secretRef)",
        "a team SecretStore authenticates as a service account of its namespace (spec.provider.aws.auth.jwt.serviceAccountRef); "
        "without auth it would use the External Secrets controller's own credentials",
    ),
    (
        f"!has({_JWT}.serviceAccountRef.namespace)",
        "spec.provider.aws.auth.jwt.serviceAccountRef.namespace: a team store uses its own namespace's service account",
    ),
    (
        f"!has({_AWS}.role) && !has({_AWS}.additionalRoles)",
        "spec.provider.aws.role/additionalRoles: a team store reads as its service account's role, no other",
    ),
)


def _host_pattern(domain: str) -> str:
    """RE2 (CEL ``matches``): one hostname, ``<team>.<domain>`` or any name under it (``*.`` too),
    the team spliced in by CEL. ``[.]`` instead of ``\\.``: no escape to get through two languages."""
    return "([*][.])?([a-z0-9]([-a-z0-9]*[a-z0-9])?[.])*' + variables.team + '[.]" + domain.lower().rstrip(".").replace(".", "[.]") + "[.]?"


def _hostname_rules(domain: str) -> list[tuple[str, str]]:
    one = _host_pattern(domain)
    many = f"'^ *{one} *(, *{one} *)*$'"
    rules = []
    for annotation in HOSTNAME_ANNOTATIONS:
        rules.append(
            (
                f"!has(object.metadata.annotations) || !('{annotation}' in object.metadata.annotations) || "
                f"object.metadata.annotations['{annotation}'].matches({many})",
                f"metadata.annotations[{annotation}]: every name must be under the team's subdomain <team>.{domain}",
            )
        )
    ingress = "object.kind != 'Ingress' || !has(object.spec)"
    rules.append(
        (
            f"{ingress} || !has(object.spec.rules) || object.spec.rules.all(r, !has(r.host) || r.host.matches('^{one}$'))",
            f"spec.rules[].host: an Ingress host must be under the team's subdomain <team>.{domain}",
        )
    )
    rules.append(
        (
            f"{ingress} || !has(object.spec.tls) || object.spec.tls.all(t, !has(t.hosts) || t.hosts.all(h, h.matches('^{one}$')))",
            f"spec.tls[].hosts: an Ingress TLS host must be under the team's subdomain <team>.{domain}",
        )
    )
    return rules


def _policy(name: str, resources: list[dict[str, Any]], rules: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> list[dict[str, Any]]:
    policy = {
        "apiVersion": API,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{**r, "operations": ["CREATE", "UPDATE"]} for r in resources]},
            "variables": [{"name": "team", "expression": f"namespaceObject.metadata.labels['{TEAM_LABEL}']"}],
            "validations": [{"expression": expression, "message": message} for expression, message in rules],
        },
    }
    binding = {
        "apiVersion": API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {"policyName": name, "validationActions": ["Deny"], "matchResources": {"namespaceSelector": TEAM_NAMESPACES}},
    }
    return [policy, binding]


def tenancy_policies(env: EnvironmentConfig) -> list[dict[str, Any]]:
    """The policies and their bindings: SecretStores always, hostnames when the environment has DNS."""
    stores = [{"apiGroups": ["external-secrets.io"], "apiVersions": ["*"], "resources": ["secretstores"]}]
    manifests = _policy(SECRET_STORE_POLICY, stores, SECRET_STORE_RULES)
    if env.dns is not None:
        hosts = [
            {"apiGroups": [""], "apiVersions": ["v1"], "resources": ["services"]},
            {"apiGroups": ["networking.k8s.io"], "apiVersions": ["v1"], "resources": ["ingresses"]},
        ]
        manifests += _policy(HOSTNAME_POLICY, hosts, _hostname_rules(env.dns.domain))
    return manifests
