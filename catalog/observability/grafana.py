"""Grafana's admin credential and its optional ingress.

The credential is a SecureString SSM parameter under ``/<env>/`` holding the JSON
``{"admin-user": "...", "admin-password": "..."}``; External Secrets extracts both keys
(``dataFrom.extract``, External Secrets docs "AWS Parameter Store": a JSON value is split into
keys) into a Secret in ``monitoring`` that the grafana subchart reads through
``admin.existingSecret`` (``userKey``/``passwordKey``, chart values.yaml). The subchart then renders
no Secret of its own (its templates/secret.yaml is skipped when ``admin.existingSecret`` is set), so
the password is in no values, no Terraform state and no rendered object.

The ExternalSecret ships inside the chart's own release (``extraManifests``): Helm waits for
the Grafana Deployment, which cannot start before its Secret exists; a release applied after it
would never come.

``ingress: true`` puts Grafana behind an internal ALB on ``grafana.<dns.domain>`` (or ``host``),
HTTPS only with ``certificate_arn``, as Headlamp does.
"""

from __future__ import annotations

from typing import Any

ADMIN_SECRET = "grafana-admin"
USER_KEY = "admin-user"
PASSWORD_KEY = "admin-password"
NAMESPACE = "monitoring"
PARAMETER_PATTERN = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$"


def admin_values() -> dict[str, Any]:
    """``grafana.admin``: read the user and password from the ExternalSecret's target."""
    return {"existingSecret": ADMIN_SECRET, "userKey": USER_KEY, "passwordKey": PASSWORD_KEY}


def admin_external_secret(env_name: str, store: str, parameter: str) -> dict[str, Any]:
    """The Secret Grafana reads: both keys extracted from the parameter's JSON. No Go template
    anywhere (``extraManifests`` goes through Helm's ``tpl``)."""
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": ADMIN_SECRET, "namespace": NAMESPACE},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
            "target": {"name": ADMIN_SECRET, "creationPolicy": "Owner"},
            "dataFrom": [{"extract": {"key": f"/{env_name}/{parameter}"}}],
        },
    }


def ingress_values(host: str, certificate_arn: str) -> dict[str, Any]:
    """``grafana.ingress`` (grafana chart templates/ingress.yaml: ``hosts`` is a list of names)."""
    return {
        "enabled": True,
        "ingressClassName": "alb",
        "annotations": {
            "alb.ingress.kubernetes.io/scheme": "internal",
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
            "alb.ingress.kubernetes.io/certificate-arn": certificate_arn,
            "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        },
        "hosts": [host],
        "path": "/",
        "pathType": "Prefix",
    }
