"""Plan-report rules for moving service accounts between IRSA and EKS Pod Identity
(``catalog/identity.py``, docs/upgrades.md "IRSA to EKS Pod Identity"): ``irsa -> both ->
pod_identity`` over separate deploys never leaves a pod without credentials; a shortcut can.

- A role's IRSA (OIDC) trust is removed while its EKS Pod Identity trust was not already in place
  before this plan (so its association is missing or only being created now): HIGH. Pods keep the
  IRSA token until they restart, and an association created in the same apply only serves pods
  started after it.
- The same removal after a ``both`` deploy: medium, with what to do (restart the workloads).
- A role gains Pod Identity trust beside unchanged IRSA trust (``both``): medium, for the record.
- An ``aws_eks_pod_identity_association`` is destroyed or replaced while its role does not keep an
  IRSA trust it already had: HIGH (the service account's pods have no other path).

Replaces the generic "IRSA trust changes" rule for roles whose trust statements it can read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from catalog.identity import POD_IDENTITY_PRINCIPAL
from tools.review.plan import Change, Risk, StackPlan


def _statements(policy: Any) -> list[dict[str, Any]] | None:
    if not isinstance(policy, str):
        return None
    try:
        statements = json.loads(policy).get("Statement", [])
    except (ValueError, AttributeError):
        return None
    return [statements] if isinstance(statements, dict) else list(statements)


def _oidc(statements: list[dict[str, Any]]) -> list[str]:
    """The OIDC (IRSA) statements, canonical, so an unchanged one compares equal."""
    return sorted(json.dumps(s, sort_keys=True) for s in statements if "AssumeRoleWithWebIdentity" in json.dumps(s.get("Action")))


def _pods(statements: list[dict[str, Any]]) -> bool:
    return any(POD_IDENTITY_PRINCIPAL in json.dumps(s.get("Principal")) for s in statements)


def trust_change(change: Change) -> Iterator[Risk] | None:
    """The risks of an IAM role's trust change read statement by statement, or None when the
    policies cannot be read (the generic rule then judges the change)."""
    if change.type != "aws_iam_role" or change.action != "update" or not change.changed("assume_role_policy"):
        return None
    before = _statements((change.before or {}).get("assume_role_policy"))
    after = _statements((change.after or {}).get("assume_role_policy"))
    if before is None or after is None or not (_pods(before) or _pods(after)):
        return None
    name = (change.before or {}).get("name", change.address)
    risks: list[Risk] = []
    if _oidc(before) == _oidc(after):
        if _pods(after) and not _pods(before):
            risks.append(
                Risk(
                    "medium",
                    change.stack,
                    change.address,
                    f"Role {name} gains EKS Pod Identity trust beside its unchanged IRSA trust (migration phase `both`): "
                    "no pod loses access. After this is applied everywhere, identity `pod_identity` removes the IRSA trust.",
                )
            )
    elif not set(_oidc(before)) <= set(_oidc(after)):
        if not _pods(before):
            risks.append(
                Risk(
                    "high",
                    change.stack,
                    change.address,
                    f"The IRSA trust of role {name} is removed before EKS Pod Identity was in place (a one-shot IRSA -> pod_identity): "
                    "running pods keep using their IRSA token and lose AWS access. Deploy identity `both` first, then `pod_identity` "
                    "(docs/upgrades.md).",
                )
            )
        else:
            risks.append(
                Risk(
                    "medium",
                    change.stack,
                    change.address,
                    f"The IRSA trust of role {name} is removed (migration to EKS Pod Identity completes): pods started before the "
                    "service account lost its annotation still use IRSA; restart them (kubectl rollout restart) once the add-on or "
                    "team stack is applied (docs/upgrades.md).",
                )
            )
    return iter(risks)


def _role_trust_after(plan: StackPlan, role_arn: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]] | None:
    for change in [*plan.changes, *plan.unchanged]:
        if change.type == "aws_iam_role" and role_arn and role_arn in ((change.before or {}).get("arn"), (change.after or {}).get("arn")):
            before = _statements((change.before or {}).get("assume_role_policy")) or []
            after = before if change.action == "no-op" else _statements((change.after or {}).get("assume_role_policy")) or []
            return before, after
    return None


def _associations(plan: StackPlan) -> Iterator[Risk]:
    for change in plan.changes:
        if change.type != "aws_eks_pod_identity_association" or change.action not in ("destroy", "replace"):
            continue
        values = change.before or {}
        trust = _role_trust_after(plan, str(values.get("role_arn", "")))
        if trust is not None and change.action == "destroy" and _oidc(trust[0]) and set(_oidc(trust[0])) <= set(_oidc(trust[1])):
            continue  # back to IRSA the service account's pods already had
        who = f"{values.get('namespace', '?')}/{values.get('service_account', '?')}"
        verb = "destroyed" if change.action == "destroy" else "replaced (destroyed, then created again)"
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"The EKS Pod Identity association of {who} is {verb} while its role keeps no IRSA trust it already had: "
            "pods of that service account get no AWS credentials.",
        )


def review(plans: Iterable[StackPlan]) -> list[Risk]:
    risks: list[Risk] = []
    for plan in plans:
        for change in plan.changes:
            risks += trust_change(change) or []
        risks += _associations(plan)
    return risks
