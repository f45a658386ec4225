"""Plan-report rules for moving service accounts between IRSA and EKS Pod Identity
(``catalog/identity.py``, docs/upgrades.md "IRSA to EKS Pod Identity"): ``irsa -> both -> handover
-> pod_identity`` over separate deploys never leaves a pod without credentials; a shortcut can.

A pod started while its service account carries the IRSA annotation keeps the IRSA variables until
it is replaced, and with the Pod Identity variables beside them the SDKs still take web identity
first (EKS User Guide, pod-id-minimum-sdk.html). A deploy applies the role stacks
(``<env>-addons-aws``, ``<env>-teams-aws``) before the stacks that annotate
(``<env>-addons``, ``<env>-teams``). So:

- A role's IRSA (OIDC) trust is removed while a service account is annotated with it, in any
  stack's current state or plan (``tools/review/irsa_annotations.py``): HIGH. Pods started with the
  annotation lose AWS access at their next credential refresh, even when the annotation goes in the
  same deploy and Pod Identity trust is already in place.
- A role's IRSA trust is removed while its EKS Pod Identity trust was not already in place before
  this plan (so its association is missing or only being created now): HIGH.
- The same removal with no annotation left anywhere (after ``handover``): medium, with what to
  check (that the workloads were restarted since).
- An annotation is removed while the role keeps its IRSA trust (``handover``): medium, with the
  restart to do.
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
from tools.review.irsa_annotations import Annotation, every_annotation, removed
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


def _arn(change: Change) -> str:
    return str((change.before or {}).get("arn") or (change.after or {}).get("arn") or "")


def trust_change(change: Change, annotated: Iterable[Annotation] = ()) -> Iterator[Risk] | None:
    """The risks of an IAM role's trust change read statement by statement, or None when the
    policies cannot be read (the generic rule then judges the change). ``annotated``: the IRSA
    annotations the deploy's plans show."""
    if change.type != "aws_iam_role" or change.action != "update" or not change.changed("assume_role_policy"):
        return None
    before = _statements((change.before or {}).get("assume_role_policy"))
    after = _statements((change.after or {}).get("assume_role_policy"))
    if before is None or after is None or not (_pods(before) or _pods(after)):
        return None
    name = (change.before or {}).get("name", change.address)
    holders = [a for a in annotated if a.role_arn and a.role_arn == _arn(change)]
    risks: list[Risk] = []
    if _oidc(before) == _oidc(after):
        if _pods(after) and not _pods(before):
            risks.append(
                Risk(
                    "medium",
                    change.stack,
                    change.address,
                    f"Role {name} gains EKS Pod Identity trust beside its unchanged IRSA trust (migration phase `both`): "
                    "no pod loses access. After this is applied everywhere, identity `handover` removes the annotation.",
                )
            )
    elif not set(_oidc(before)) <= set(_oidc(after)):
        if holders:
            first = holders[0]
            state = "in its current state" if first.when == "before" else "in its plan"
            risks.append(
                Risk(
                    "high",
                    change.stack,
                    change.address,
                    f"The IRSA trust of role {name} is removed while a service account is still annotated with it ({first.where}, {state}): "
                    "pods started with the annotation use IRSA (the SDKs take web identity before EKS Pod Identity) and lose AWS access "
                    "at their next credential refresh; the annotation stack is applied after this one. Deploy identity `handover` first "
                    "(annotation removed, both trusts kept), restart the workloads, then `pod_identity` (docs/upgrades.md).",
                )
            )
        elif not _pods(before):
            risks.append(
                Risk(
                    "high",
                    change.stack,
                    change.address,
                    f"The IRSA trust of role {name} is removed before EKS Pod Identity was in place (a one-shot IRSA -> pod_identity): "
                    "running pods keep using their IRSA token and lose AWS access. Deploy identity `both` first, then `handover`, "
                    "then `pod_identity` (docs/upgrades.md).",
                )
            )
        else:
            risks.append(
                Risk(
                    "medium",
                    change.stack,
                    change.address,
                    f"The IRSA trust of role {name} is removed (migration to EKS Pod Identity completes); no plan of this deploy shows "
                    "a service account annotated with it. A pod not restarted since the `handover` deploy still uses IRSA: check that "
                    "the workloads were restarted (docs/upgrades.md).",
                )
            )
    return iter(risks)


def _loses_oidc(change: Change) -> bool:
    if change.type != "aws_iam_role" or change.action not in ("update", "destroy", "replace"):
        return False
    before = _statements((change.before or {}).get("assume_role_policy")) or []
    after = [] if change.action == "destroy" else _statements((change.after or {}).get("assume_role_policy")) or []
    return bool(_oidc(before)) and not set(_oidc(before)) <= set(_oidc(after))


def _handovers(plans: list[StackPlan], losing_oidc: set[str]) -> Iterator[Risk]:
    names = {_arn(c): (c.before or {}).get("name") or c.address for p in plans for c in [*p.changes, *p.unchanged] if c.type == "aws_iam_role"}
    for gone in removed(plans):
        if gone.role_arn in losing_oidc:
            continue  # judged (HIGH) with the trust change
        yield Risk(
            "medium",
            gone.stack,
            gone.address,
            f"The IRSA annotation for role {names.get(gone.role_arn, gone.role_arn)} is removed ({gone.where}): pods started from "
            "now on use EKS Pod Identity, running pods keep IRSA, which the role must still trust. Restart the workloads "
            "(kubectl -n <ns> rollout restart deployment,daemonset,statefulset) before a deploy removes the IRSA trust (docs/upgrades.md).",
        )


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
    plans = list(plans)
    annotated = every_annotation(plans)
    risks: list[Risk] = []
    for plan in plans:
        for change in plan.changes:
            risks += trust_change(change, annotated) or []
        risks += _associations(plan)
    losing_oidc = {_arn(c) for p in plans for c in p.changes if _loses_oidc(c)}
    risks += _handovers(plans, losing_oidc)
    return risks
