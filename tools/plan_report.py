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
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from tools.review import Level, auto_mode, manifests
from tools.review.plan import (
    ACTIONS,
    NOT_SYNTHESIZED,
    Change,
    Risk,
    StackPlan,
    StateWithoutStack,
    load_not_synthesized,
    load_plan,
)
from tools.review.rules import CHANGE_RULES, admin_access, support_window, unmanaged
from tools.review.stack_graph import mermaid
from tools.review.upgrades import upgrade_risks

# The report's own API, with the data model it re-exports from tools.review.plan.
__all__ = [
    "ACTIONS",
    "EXIT_HIGH_RISK",
    "NOT_SYNTHESIZED",
    "Change",
    "Level",
    "Risk",
    "StackPlan",
    "StateWithoutStack",
    "assess",
    "load_not_synthesized",
    "load_plan",
    "main",
    "render",
]

EXIT_HIGH_RISK = 3


def assess(plans: list[StackPlan], not_synthesized: Iterable[StateWithoutStack] = (), *, today: date | None = None) -> list[Risk]:
    """Every risk found, high first, in stack then address order. ``today``: the day the EKS
    support window is judged on (the CLI passes the real one); without it that rule does not run,
    so no caller's result changes because a calendar date passed."""
    risks = [risk for plan in plans for change in plan.changes for rule in CHANGE_RULES for risk in rule(change)]
    if today is not None:
        risks += support_window(plans, today)
    risks += admin_access(plans)
    risks += (Risk(*found) for plan in plans for found in upgrade_risks([*plan.changes, *plan.unchanged]))
    risks += unmanaged(not_synthesized)
    from tools.review import (
        hardening,  # the hardening rules; imported here because they import this module
    )

    risks += hardening.review(plans)
    from tools.review import identity

    risks += identity.review(plans)
    risks += auto_mode.review(plans)
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
    lines += auto_mode.section(plans)
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
        name, _, given = argument.partition("=")
        return name, Path(given)
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
