"""Who gets which access to the cluster: the configured access entries and the CI roles (issue 10.3).

The creator's hidden admin (``bootstrap_cluster_creator_admin_permissions``) is off
(modules/cluster.py); admin is always an explicit access entry instead.
"""

from __future__ import annotations

from environments.schema import EnvironmentConfig
from modules.access_entries import Grant, grant


def cluster_grants(env: EnvironmentConfig) -> list[Grant]:
    """Access entries of ``cluster.access_entries`` (each with its old list position, for the move
    to role keys)."""
    return [grant(entry, i) for i, entry in enumerate(env.cluster.access_entries)]
