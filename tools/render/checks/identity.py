"""Identity: every rendered ServiceAccount a workload runs as has exactly the credential paths its
identity (``catalog/identity.py``, chosen by environments/identity.py) calls for.

- ``irsa``: the ``eks.amazonaws.com/role-arn`` annotation and no EKS Pod Identity association;
- ``both``: the annotation and an association (the migration phase that keeps IRSA in use);
- ``handover`` and ``pod_identity``: an association and no annotation.

The associations are read from the synthesized ``<env>-addons-aws`` and ``<env>-teams-aws``
stacks (``aws_eks_pod_identity_association`` by namespace and service account); an association's
role must trust ``pods.eks.amazonaws.com`` for ``sts:AssumeRole`` and ``sts:TagSession`` (EKS User
Guide, pod-id-role.html). Whether an annotated role trusts exactly its service account is the
``irsa`` check's. A ServiceAccount no pod template of its release runs as is not judged here.
"""

from __future__ import annotations

import json
import re
from typing import Any

from catalog.identity import IRSA_ANNOTATION, POD_IDENTITY_ACTIONS, POD_IDENTITY_PRINCIPAL, annotated, associated
from environments.identity import workload_service_accounts
from tools.render.checks.base import Context, Finding, name_of, pod_spec

_ROLE_REF = re.compile(r"^\$\{aws_iam_role\.([\w-]+)\.arn\}$")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _trusts_pod_identity(assume_role_policy: str) -> bool:
    try:
        statements = _as_list(json.loads(re.sub(r"\$\{[^}]*\}", "X", assume_role_policy or "")).get("Statement", []))
    except (TypeError, ValueError, AttributeError):
        return False
    allowed: set[str] = set()
    for s in statements:
        if s.get("Effect") == "Allow" and POD_IDENTITY_PRINCIPAL in _as_list((s.get("Principal") or {}).get("Service", [])):
            allowed |= set(_as_list(s.get("Action", [])))
    return set(POD_IDENTITY_ACTIONS) <= allowed


def associations(ctx: Context) -> dict[tuple[str, str], tuple[str, bool]]:
    """(namespace, service account) -> (role name, whether it trusts Pod Identity), from the synthesized stacks."""
    found: dict[tuple[str, str], tuple[str, bool]] = {}
    if ctx.synth is None:
        return found
    for stack in (f"{ctx.env.name}-addons-aws", f"{ctx.env.name}-teams-aws"):
        resources = ctx.synth.stack(stack).get("resource", {})
        roles = resources.get("aws_iam_role", {})
        for body in resources.get("aws_eks_pod_identity_association", {}).values():
            ref = _ROLE_REF.match(str(body.get("role_arn", "")))
            role = roles.get(ref.group(1), {}) if ref else {}
            name = role.get("name", str(body.get("role_arn")))
            found[(str(body.get("namespace")), str(body.get("service_account")))] = (name, _trusts_pod_identity(role.get("assume_role_policy", "")))
    return found


def _paths(has_annotation: bool, has_association: bool) -> str:
    got = [p for p, present in (("the IRSA annotation", has_annotation), ("an EKS Pod Identity association", has_association)) if present]
    return " and ".join(got) or "neither the IRSA annotation nor an EKS Pod Identity association"


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    declared = {(sa.namespace, sa.name): sa for sa in workload_service_accounts(ctx.env)}
    assoc = associations(ctx)
    for item in ctx.rendered:
        runs_as = {(ctx.namespace_of(item, obj), spec.get("serviceAccountName") or "default") for obj in item.objects if (spec := pod_spec(obj)) is not None}
        for obj in item.objects:
            key = (ctx.namespace_of(item, obj), name_of(obj))
            if obj.get("kind") != "ServiceAccount" or key not in runs_as or key not in declared:
                continue
            sa = declared[key]
            has_annotation = IRSA_ANNOTATION in ((obj.get("metadata") or {}).get("annotations") or {})
            has_association = key in assoc
            want = (annotated(sa.identity), associated(sa.identity))
            if (has_annotation, has_association) != want:
                findings.append(
                    ctx.finding(
                        item,
                        obj,
                        f"identity {sa.identity} ({sa.field}): wants {_paths(*want)} and nothing else, but it has {_paths(has_annotation, has_association)}",
                    )
                )
            elif has_association and not assoc[key][1]:
                findings.append(
                    ctx.finding(
                        item,
                        obj,
                        f"its EKS Pod Identity association's role {assoc[key][0]} does not trust {POD_IDENTITY_PRINCIPAL} "
                        f"for {' and '.join(POD_IDENTITY_ACTIONS)}",
                    )
                )
    return findings
