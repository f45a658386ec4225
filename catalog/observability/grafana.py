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

from catalog.external_secret import cluster_store_secret
from catalog.ingress import internal_alb_annotations

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
    return cluster_store_secret(ADMIN_SECRET, NAMESPACE, store, {"dataFrom": [{"extract": {"key": f"/{env_name}/{parameter}"}}]})


def ingress_values(host: str, certificate_arn: str) -> dict[str, Any]:
    """``grafana.ingress`` (grafana chart templates/ingress.yaml: ``hosts`` is a list of names)."""
    return {
        "enabled": True,
        "ingressClassName": "alb",
        "annotations": internal_alb_annotations(certificate_arn),
        "hosts": [host],
        "path": "/",
        "pathType": "Prefix",
    }
