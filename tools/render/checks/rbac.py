"""No add-on ServiceAccount is bound to ``cluster-admin`` (a dashboard or controller holding it
turns any compromise of that pod into cluster takeover)."""

from __future__ import annotations

from tools.render.checks.base import Context, Finding


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    for item, obj in ctx.objects():
        if obj.get("kind") not in ("ClusterRoleBinding", "RoleBinding"):
            continue
        ref = obj.get("roleRef") or {}
        if ref.get("kind") != "ClusterRole" or ref.get("name") != "cluster-admin":
            continue
        for subject in obj.get("subjects") or []:
            if subject.get("kind") == "ServiceAccount":
                who = f"{subject.get('namespace') or ctx.namespace_of(item, obj) or item.release.namespace}/{subject.get('name')}"
                findings.append(ctx.finding(item, obj, f"binds ServiceAccount {who} to cluster-admin"))
    return findings
