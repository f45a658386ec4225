"""IRSA: the ServiceAccount carrying a role is exactly the one the role trusts, and the add-on's
pods run as it.

- Every ServiceAccount annotated ``eks.amazonaws.com/role-arn`` names a role whose trust policy's
  ``<issuer>:sub`` is ``system:serviceaccount:<its namespace>:<its name>``. The annotation is
  followed back through the synthesized stacks: the placeholder (or the real ARN, when outputs were
  given) -> the producing stack's output -> its ``aws_iam_role`` -> ``assume_role_policy``.
- An add-on that calls AWS through IRSA only (it has a role in ``<env>-addons-aws`` and no EKS Pod
  Identity association: tools/render/checks/identity.py judges those) renders such a ServiceAccount,
  and at least one of its pod templates runs as it; no pod template runs as a ServiceAccount that
  the release does not render (it would fall back to no AWS identity at all).
"""

from __future__ import annotations

import json
import re
from typing import Any

from catalog.addons.base import IRSA_ANNOTATION
from tools.render.checks.base import Context, Finding, name_of, pod_spec
from tools.render.releases import PLACEHOLDER

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:.*/)?([\w+=,.@-]+)$")


def trusted_subjects(assume_role_policy: str) -> list[str]:
    """Every ``<issuer>:sub`` value of a trust policy (StringEquals/StringLike)."""
    # Terraform interpolates before the text is JSON: `${replace(..., "https://", "")}:sub` keys.
    text = re.sub(r"\$\{[^}]*\}", "ISSUER", assume_role_policy or "")
    try:
        doc = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        return []
    subs: list[str] = []
    for statement in doc.get("Statement") or []:
        for condition in (statement.get("Condition") or {}).values():
            for key, value in (condition or {}).items():
                if key.endswith(":sub"):
                    subs += value if isinstance(value, list) else [value]
    return subs


def _role(ctx: Context, arn: str) -> tuple[str, dict[str, Any]] | None:
    """(role name, body) of the aws_iam_role an annotation value refers to, from the synthesized stacks."""
    if ctx.synth is None:
        return None
    match = PLACEHOLDER.fullmatch(arn)
    if match:
        found = ctx.synth.output_resource(*match.groups())
        if found and found[0] == "aws_iam_role":
            return found[2].get("name", found[1]), found[2]
        return None
    named = _ROLE_ARN.match(arn)
    if named:
        stack = ctx.synth.stack(f"{ctx.env.name}-addons-aws")
        for body in stack.get("resource", {}).get("aws_iam_role", {}).values():
            if body.get("name") == named.group(1):
                return named.group(1), body
    return None


def _roles_in_addons_aws(ctx: Context) -> dict[str, str]:
    """Role name -> the subject it trusts, for every IRSA role of ``<env>-addons-aws`` that no EKS
    Pod Identity association uses (one that does is the identity check's: in phase ``handover`` it
    trusts the subject while no ServiceAccount carries it)."""
    if ctx.synth is None:
        return {}
    stack = ctx.synth.stack(f"{ctx.env.name}-addons-aws")
    associated = {str(a.get("role_arn")) for a in stack.get("resource", {}).get("aws_eks_pod_identity_association", {}).values()}
    out = {}
    for logical_id, body in stack.get("resource", {}).get("aws_iam_role", {}).items():
        subs = trusted_subjects(body.get("assume_role_policy", ""))
        if subs and f"${{aws_iam_role.{logical_id}.arn}}" not in associated:
            out[body.get("name", logical_id)] = subs[0]  # as _role names it
    return out


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    roles = _roles_in_addons_aws(ctx)
    used_roles: set[str] = set()
    for item in ctx.rendered:
        accounts = {}
        annotated = []
        for obj in item.objects:
            if obj.get("kind") == "ServiceAccount":
                ns = ctx.namespace_of(item, obj)
                accounts[(ns, name_of(obj))] = obj
                arn = ((obj.get("metadata") or {}).get("annotations") or {}).get(IRSA_ANNOTATION)
                if arn is not None:
                    annotated.append((ns, name_of(obj), obj, str(arn)))
        for ns, name, obj, arn in annotated:
            role = _role(ctx, arn)
            if role is None:
                findings.append(ctx.finding(item, obj, f"{IRSA_ANNOTATION} {arn} is no IRSA role of this environment"))
                continue
            role_name, body = role
            used_roles.add(role_name)
            subs = trusted_subjects(body.get("assume_role_policy", ""))
            expected = f"system:serviceaccount:{ns}:{name}"
            if subs != [expected]:
                findings.append(ctx.finding(item, obj, f"role {role_name} trusts sub {subs}, but the annotated ServiceAccount is {expected}"))
        pods = [(obj, spec) for obj in item.objects if (spec := pod_spec(obj)) is not None]
        for ns, name, obj, _ in annotated:
            if not any((spec.get("serviceAccountName") or "default") == name and ctx.namespace_of(item, w) == ns for w, spec in pods):
                findings.append(ctx.finding(item, obj, "carries an IAM role, but no pod template of the release runs as it"))
        for workload, spec in pods:
            sa = spec.get("serviceAccountName") or "default"
            ns = ctx.namespace_of(item, workload)
            if sa != "default" and (ns, sa) not in accounts and annotated:
                findings.append(ctx.finding(item, workload, f"runs as ServiceAccount {ns}/{sa}, which the release does not render"))
    # Add-ons with a role whose release renders no ServiceAccount carrying it (values at the wrong path).
    for role_name, sub in sorted(roles.items()):
        if role_name not in used_roles:
            release = role_name.removeprefix(f"{ctx.env.cluster_name}-")
            findings.append(
                Finding(
                    ctx.env.name, release, "ServiceAccount", *sub.split(":")[2:4], f"IRSA role {role_name} exists, but no rendered ServiceAccount carries it"
                )
            )
    return findings
