"""An ExternalSecret (external-secrets.io/v1) that External Secrets keeps in sync from a
ClusterSecretStore into a Secret it owns, refreshed hourly."""

from __future__ import annotations

from typing import Any


def cluster_store_secret(name: str, namespace: str, store: str, source: dict[str, Any]) -> dict[str, Any]:
    """The ExternalSecret ``namespace/name`` writing Secret ``name`` from ``store``; ``source`` is
    its ``data`` or ``dataFrom`` (``{"data": [...]}`` or ``{"dataFrom": [...]}``)."""
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
            "target": {"name": name, "creationPolicy": "Owner"},
            **source,
        },
    }
