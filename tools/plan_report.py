"""Review Terraform plans the way an EKS operator would: counts per stack and the changes that hurt.

    python -m tools.plan_report dev-network.json dev-cluster.json --out report.md [--allow-high-risk]

Each input is ``terraform show -json <planfile>`` of one stack. The stack is named after the file
(``dev-cluster.json`` -> ``dev-cluster``) or given explicitly as ``NAME=path``. The report is plain
Markdown (a PR comment): a summary table, a risk section in plain words, then per stack the
resources behind each count.

A stack that is no longer synthesized has no plan, so its resources would silently stay in AWS
unmanaged. ``python -m tools.delivery plan`` writes ``stacks-not-synthesized.json`` next to the
plans: the environment's state objects that no synthesized stack uses. The report reads every such
file given as an input (``plans/**/*.json`` picks it up) or lying next to a plan input, and lists
each of those stacks that still records resources as a high risk.

Exit status: 0 when no high-risk change is present (or ``--allow-high-risk``), 3 when one is,
1 when an input cannot be read.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from tools.review import manifests
from tools.review.crds import crd_risks
from tools.review.karpenter import node_replacements
from tools.review.plan import (  # noqa: F401  (public names of the report's own API)
    ACTIONS,
    NOT_SYNTHESIZED,
    Change,
    Level,
    Risk,
    StackPlan,
    StateWithoutStack,
    load_not_synthesized,
    load_plan,
)
from tools.review.stack_graph import mermaid
from tools.review.upgrades import upgrade_risks

EXIT_HIGH_RISK = 3

# Resources whose loss takes the platform (or its data) down: (type, what it is in plain words).
_CRITICAL: dict[str, str] = {
    "aws_eks_cluster": "the EKS cluster (every workload, node and in-cluster object goes with it; the API endpoint and the IRSA OIDC issuer change)",
    "aws_eks_node_group": "a node group (its nodes are drained and terminated; pods without room elsewhere go Pending)",
    "aws_vpc": "the VPC (everything in it, the cluster included, must go first)",
    "aws_subnet": "a subnet (the cluster, nodes, load balancers and EFS mount targets in it lose their network)",
    "aws_nat_gateway": "a NAT gateway (private nodes lose outbound internet: image pulls and AWS APIs fail until it is back; its public IP changes)",
    "aws_efs_file_system": "the EFS file system (its data is lost; every persistent volume on it breaks)",
}
_NODE_ROLLING_ATTRIBUTES = ("version", "release_version", "ami_type", "instance_types", "launch_template", "capacity_type", "disk_size")
_ADMIN_POLICY = re.compile(r":cluster-access-policy/AmazonEKSClusterAdminPolicy$")


# --- risk rules ----------------------------------------------------------------------------------


def _critical_loss(change: Change) -> Iterator[Risk]:
    what = _CRITICAL.get(change.type)
    if what is None or change.action not in ("replace", "destroy"):
        return
    verb = (
        ("replaced (the new one is created and ready first, then the old one destroyed)" if change.create_first else "replaced (destroyed, then created again)")
        if change.action == "replace"
        else "destroyed"
    )
    why = f" because {', '.join(change.replace_paths)} changed" if change.replace_paths else ""
    yield Risk("high", change.stack, change.address, f"{what[0].upper()}{what[1:]} will be {verb}{why}.")


def _is_state_bucket(change: Change) -> bool:
    for values in (change.before, change.after):
        tags = (values or {}).get("tags_all") or (values or {}).get("tags") or {}
        if isinstance(tags, dict) and tags.get("platform-layer") == "state":
            return True
    return "state-bucket" in change.address or change.stack.endswith("-state")


def _state_bucket(change: Change) -> Iterator[Risk]:
    if change.type == "aws_s3_bucket" and change.action in ("replace", "destroy") and _is_state_bucket(change):
        name = (change.before or {}).get("bucket", "?")
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"The Terraform state bucket {name} will be {'replaced' if change.action == 'replace' else 'destroyed'}: "
            "every stack of the environment keeps its state there.",
        )


def _kms(change: Change) -> Iterator[Risk]:
    if change.type != "aws_kms_key" or change.action not in ("replace", "destroy"):
        return
    days = (change.before or {}).get("deletion_window_in_days") or 30
    alias = (change.before or {}).get("description") or change.address
    yield Risk(
        "high",
        change.stack,
        change.address,
        f'KMS key "{alias}" will be scheduled for deletion (in {days} days). Whatever it encrypts '
        "(Kubernetes Secrets, EFS, logs, state) becomes unreadable once it is deleted.",
    )


def _cluster_encryption(change: Change) -> Iterator[Risk]:
    if change.type == "aws_eks_cluster" and change.action in ("update", "replace") and change.changed("encryption_config"):
        yield Risk(
            "high",
            change.stack,
            change.address,
            "The cluster's Secrets encryption configuration changes (EKS cannot remove or switch the key in place).",
        )


def _web_identity(policy: Any) -> bool:
    return isinstance(policy, str) and "AssumeRoleWithWebIdentity" in policy


def _irsa_trust(change: Change) -> Iterator[Risk]:
    if change.type != "aws_iam_role" or change.action == "create":
        return
    from tools.review.identity import trust_change  # a move between IRSA and EKS Pod Identity: judged there

    if trust_change(change) is not None:
        return
    before = (change.before or {}).get("assume_role_policy")
    if not _web_identity(before):
        return
    if change.action == "destroy" or change.changed("assume_role_policy"):
        kind = "IRSA" if "system:serviceaccount:" in before else "OIDC web-identity"
        name = (change.before or {}).get("name", change.address)
        what = "is removed" if change.action == "destroy" else "changes"
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"The {kind} trust policy of role {name} {what}: pods (or runs) that assume it may lose their AWS access.",
        )


def _admin_access(plans: Iterable[StackPlan]) -> Iterator[Risk]:
    for plan in plans:
        associations = [c for c in [*plan.changes, *plan.unchanged] if c.type == "aws_eks_access_policy_association"]

        def admin(values: Any) -> bool:
            return bool(_ADMIN_POLICY.search(str((values or {}).get("policy_arn", ""))))

        before = [c for c in associations if admin(c.before)]
        after = [c for c in associations if c.action != "destroy" and (admin(c.after) or (c.action == "no-op" and admin(c.before)))]
        if before and not after:
            yield Risk(
                "high",
                plan.name,
                ", ".join(c.address for c in before),
                "The last cluster-admin access entry is removed: nobody managed by Terraform can administer "
                "the cluster afterwards (only the cluster creator's bootstrap access, if it was kept).",
            )


def _semver_major(version: Any) -> int | None:
    match = re.match(r"^v?(\d+)\.", str(version or ""))
    return int(match.group(1)) if match else None


def _helm_major(change: Change) -> Iterator[Risk]:
    if change.type != "helm_release" or change.action not in ("update", "replace"):
        return
    old, new = (change.before or {}).get("version"), (change.after or {}).get("version")
    old_major, new_major = _semver_major(old), _semver_major(new)
    if old_major is not None and new_major is not None and new_major > old_major:
        chart = (change.after or {}).get("chart") or (change.before or {}).get("chart") or change.address
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"Helm chart {chart} moves to a new major version ({old} -> {new}): read its upgrade notes, values and CRDs may have changed.",
        )


def _node_group_roll(change: Change) -> Iterator[Risk]:
    if change.type != "aws_eks_node_group" or change.action != "update":
        return
    rolling = [a for a in _NODE_ROLLING_ATTRIBUTES if change.changed(a)]
    if rolling:
        yield Risk(
            "medium",
            change.stack,
            change.address,
            f"Node group nodes are replaced one batch at a time ({', '.join(rolling)} changes): expect pod evictions.",
        )


def _karpenter_drift(change: Change) -> Iterator[Risk]:
    yield from (Risk(level, change.stack, change.address, message) for level, message in node_replacements(change))


def _crds(change: Change) -> Iterator[Risk]:
    yield from (Risk(level, change.stack, change.address, message) for level, message in crd_risks(change))


def _helm_objects(change: Change) -> Iterator[Risk]:
    yield from (Risk("high", change.stack, change.address, message) for message in manifests.high_risks(change))


_CHANGE_RULES = (_critical_loss, _state_bucket, _kms, _cluster_encryption, _irsa_trust, _helm_major, _node_group_roll, _karpenter_drift, _crds, _helm_objects)


def _unmanaged(states: Iterable[StateWithoutStack]) -> Iterator[Risk]:
    for s in states:
        if s.resources:
            yield Risk(
                "high",
                s.stack,
                s.state,
                f"Stack {s.stack} is no longer synthesized; its {s.resources} {'resources stay' if s.resources != 1 else 'resource stays'} "
                "in AWS unmanaged — destroy it first or keep it.",
            )


def _support_window(plans: Iterable[StackPlan], today: date) -> Iterator[Risk]:
    """A cluster whose planned Kubernetes minor is past EKS standard support on ``today``, unless
    its upgrade policy chose extended support (catalog/eks_versions.py holds the calendar)."""
    from catalog.eks_versions import support_warning

    for plan in plans:
        for change in [*plan.changes, *plan.unchanged]:
            if change.type != "aws_eks_cluster" or change.action == "destroy":
                continue
            after = change.after or {}
            policy = (after.get("upgrade_policy") or [{}])[0] or {}
            warning = support_warning(str(after.get("version")), policy.get("support_type"), today=today)
            if warning:
                yield Risk("medium", change.stack, change.address, warning)


def assess(plans: list[StackPlan], not_synthesized: Iterable[StateWithoutStack] = (), *, today: date | None = None) -> list[Risk]:
    """Every risk found, high first, in stack then address order. ``today``: the day the EKS
    support window is judged on (the CLI passes the real one); without it that rule does not run,
    so no caller's result changes because a calendar date passed."""
    risks = [risk for plan in plans for change in plan.changes for rule in _CHANGE_RULES for risk in rule(change)]
    if today is not None:
        risks += _support_window(plans, today)
    risks += _admin_access(plans)
    risks += (Risk(*found) for plan in plans for found in upgrade_risks([*plan.changes, *plan.unchanged]))
    risks += _unmanaged(not_synthesized)
    from tools.review import (
        hardening,  # the hardening rules; imported here because they import this module
    )

    risks += hardening.review(plans)
    from tools.review import identity

    risks += identity.review(plans)
    return sorted(risks, key=lambda r: (r.level != "high", r.stack, r.address))


# --- Markdown ------------------------------------------------------------------------------------


def render(plans: list[StackPlan], risks: list[Risk], *, max_resources: int = 40, not_synthesized: Iterable[StateWithoutStack] = ()) -> str:
    high = [r for r in risks if r.level == "high"]
    medium = [r for r in risks if r.level == "medium"]
    level = "HIGH" if high else "medium" if medium else "low"
    lines = ["## Terraform plan review", ""]
    lines.append(f"**Risk: {level}** - {len(plans)} stack(s), {sum(len(p.changes) for p in plans)} resource change(s).")
    lines += ["", "| stack | create | update | replace | destroy |", "|---|---:|---:|---:|---:|"]
    for plan in plans:
        counts = " | ".join(str(len(plan.by_action(a))) for a in ACTIONS)
        lines.append(f"| {plan.name}{' (plan errored)' if plan.errored else ''} | {counts} |")
    lines += mermaid(plans, {r.stack for r in high})
    lines += ["", "### Risk", ""]
    if not risks:
        lines.append("No change on the EKS risk list (cluster, node groups, network, EFS, state bucket, KMS, IRSA trust, admin access, Helm majors).")
    for risk in high:
        lines.append(f"- **HIGH** `{risk.stack}` `{risk.address}`: {risk.message}")
    for risk in medium:
        lines.append(f"- medium `{risk.stack}` `{risk.address}`: {risk.message}")
    for plan in plans:
        lines += ["", f"### {plan.name}", ""]
        if not plan.changes:
            lines.append("No changes.")
            continue
        for action in ACTIONS:
            changes = plan.by_action(action)
            if not changes:
                continue
            lines.append(f"{action} ({len(changes)}):")
            for change in changes[:max_resources]:
                if change.replace_paths:
                    why = f" (forced by {', '.join(change.replace_paths)})"
                elif change.action == "update" and change.changed_attributes():
                    why = f" ({', '.join(change.changed_attributes())})"
                else:
                    why = ""
                lines.append(f"- `{change.address}`{why}")
            if len(changes) > max_resources:
                lines.append(f"- ... and {len(changes) - max_resources} more")
            lines.append("")
        if lines[-1] == "":
            lines.pop()
    lines += manifests.section([c for plan in plans for c in plan.changes])
    states = list(not_synthesized)
    if states:
        lines += ["", "### State without a stack", ""]
        for s in states:
            what = f"{s.resources} resource(s) still recorded" if s.resources else "records no resources (can be deleted)"
            lines.append(f"- `{s.stack}` ({s.state}): {what}")
    return "\n".join(lines) + "\n"


def _stack_name(argument: str) -> tuple[str, Path]:
    if "=" in argument:
        name, _, path = argument.partition("=")
        return name, Path(path)
    path = Path(argument)
    name = path.name
    for suffix in (".json", ".plan", ".tfplan"):
        name = name.removesuffix(suffix)
    return name, path


def main(argv: list[str] | None = None) -> int:
    from tools.cli import guarded

    return guarded("tools.plan_report", lambda: _main(argv))


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.plan_report", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "plans", nargs="+", metavar="[NAME=]PLAN_JSON", help=f"terraform show -json output, one per stack (a {NOT_SYNTHESIZED} among them is read as such)"
    )
    parser.add_argument("--out", type=Path, help="write the Markdown here (default: stdout)")
    parser.add_argument("--allow-high-risk", action="store_true", help="exit 0 even when a high-risk change is present")
    parser.add_argument("--max-resources", type=int, default=40, help="resources listed per action and stack (default 40)")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="judge the EKS support window on this day (YYYY-MM-DD; default today)")
    args = parser.parse_args(argv)
    plan_args = [a for a in args.plans if Path(a).name != NOT_SYNTHESIZED]
    extra = [Path(a) for a in args.plans if Path(a).name == NOT_SYNTHESIZED]
    # Written next to the plans by `tools.delivery plan`: read it even when only the plans are named.
    for directory in dict.fromkeys(_stack_name(a)[1].parent for a in plan_args):
        candidate = directory / NOT_SYNTHESIZED
        if candidate.is_file() and not any(candidate.resolve() == e.resolve() for e in extra):
            extra.append(candidate)
    try:
        plans = [load_plan(*_stack_name(a)) for a in plan_args]
        not_synthesized = [s for path in extra for s in load_not_synthesized(path)]
    except ValueError as exc:
        print(f"plan_report: {exc}", file=sys.stderr)
        return 1
    risks = assess(plans, not_synthesized, today=args.today or date.today())
    report = render(plans, risks, max_resources=args.max_resources, not_synthesized=not_synthesized)
    if args.out:
        args.out.write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    high = [r for r in risks if r.level == "high"]
    if high and not args.allow_high_risk:
        print(f"plan_report: {len(high)} high-risk change(s); rerun with --allow-high-risk to accept", file=sys.stderr)
        return EXIT_HIGH_RISK
    return 0


if __name__ == "__main__":
    sys.exit(main())
