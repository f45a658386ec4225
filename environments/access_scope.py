"""Who may write where: the platform namespaces and the scope rules of an access entry.

An access entry with ``edit`` on kube-system or an add-on's namespace can create pods there running
as the add-on's service account, i.e. with the add-on's IAM role (load balancer controller, EBS CSI
driver, cluster autoscaler...). So ``edit`` is namespace-scoped unless the entry says
``cluster_wide: true``, and reaching a platform namespace needs ``platform_namespaces: true``.
"""

from __future__ import annotations

from typing import Any

from catalog.addons.registry import ADDONS
from catalog.namespaces import CLUSTER_SYSTEM


def platform_namespaces() -> tuple[str, ...]:
    """kube-system (and the other kube-*) plus the namespace of every add-on the platform offers,
    enabled or not: enabling one later must not widen an existing entry's reach."""
    return tuple(sorted({*CLUSTER_SYSTEM, *(a.namespace for a in ADDONS)}))


def scope_problem(entry: Any) -> str | None:
    """The first problem with ``entry``'s scope as ``<field>: message``, or None."""
    if entry.cluster_wide and entry.namespaces:
        return "cluster_wide: set either namespaces or cluster_wide: true, not both"
    if entry.cluster_wide and entry.access == "admin":
        return "cluster_wide: admin without namespaces is already cluster-wide (cluster-admin); leave cluster_wide out"
    if entry.access in ("edit", "view") and not entry.namespaces and not entry.cluster_wide:
        return f"namespaces: {entry.access} access is scoped to namespaces: list them, or set cluster_wide: true"
    if entry.platform_namespaces:
        return None
    if entry.access == "edit" and entry.cluster_wide:
        return (
            "platform_namespaces: cluster-wide edit includes kube-system and the add-on namespaces, where a pod can run as an "
            "add-on's IRSA service account with its AWS permissions: list namespaces instead, or set platform_namespaces: true"
        )
    if entry.access in ("edit", "admin") and entry.namespaces:
        hit = sorted(set(entry.namespaces) & set(platform_namespaces()))
        if hit:
            return (
                f"namespaces: {', '.join(hit)} {'is a platform namespace' if len(hit) == 1 else 'are platform namespaces'} "
                f"(a pod there can run as an add-on's IRSA service account): {entry.access} there needs platform_namespaces: true"
            )
    return None


def admin_problem(env: Any) -> tuple[str, str] | None:
    """(field, message) when an API-authenticated cluster would have no cluster-admin entry: with the
    creator's bootstrap admin off, nobody could administer it."""
    cluster = env.cluster
    from environments.ci import role_arns

    ci_roles = dict(zip(("plan", "apply"), role_arns(env) or (), strict=False))
    for i, entry in enumerate(cluster.access_entries):
        for kind, arn in ci_roles.items():
            if entry.role_arn == arn:
                return (
                    f"cluster.access_entries.{i}.role_arn",
                    f"{arn} is the CI {kind} role, whose access comes from ci: (modules/cluster/grants.py); remove this entry",
                )
    if any(e.access == "admin" and not e.namespaces for e in cluster.access_entries):
        return None
    if getattr(env, "ci", None) is not None:
        return None  # the CI apply role gets cluster-admin (modules/cluster/grants.py)
    return (
        "cluster.access_entries",
        "no cluster-admin entry (access: admin without namespaces) and no ci: apply role: the cluster creator gets no "
        "hidden admin (bootstrap_cluster_creator_admin_permissions is off), so nobody could administer the cluster",
    )
