"""A Mermaid graph of the planned stacks for the plan report (GitHub renders ``mermaid`` code
blocks in comments and job summaries): which stack reads which (cdktf cross-stack references are
``terraform_remote_state`` data sources named ``cross-stack-reference-input-<stack>``), every stack
keeping its state in ``<env>-state``'s bucket, and the stacks with changes marked; a stack with a
high-risk change is marked red."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_INPUT = "cross-stack-reference-input-"


def upstream_stacks(plan_json: dict[str, Any]) -> tuple[str, ...]:
    """Stacks this plan's configuration reads through ``terraform_remote_state``."""
    resources = (plan_json.get("configuration") or {}).get("root_module", {}).get("resources") or []
    found = {r["name"][len(_INPUT) :] for r in resources if r.get("type") == "terraform_remote_state" and str(r.get("name", "")).startswith(_INPUT)}
    return tuple(sorted(found))


def _node(name: str) -> str:
    return "s_" + re.sub(r"[^A-Za-z0-9_]", "_", name)


def mermaid(plans: Iterable[Any], high_risk_stacks: Iterable[str] = ()) -> list[str]:
    """Markdown lines: a ``mermaid`` flowchart of ``plans`` (``StackPlan``s with ``upstream``)."""
    plans = list(plans)
    if len(plans) < 2:
        return []
    names = {p.name for p in plans}
    high = set(high_risk_stacks)
    lines = ["", "### Stacks", "", "```mermaid", "flowchart LR"]
    for plan in plans:
        counts = {a: len(plan.by_action(a)) for a in ("create", "update", "replace", "destroy")}
        summary = (
            " ".join(f"{sym}{counts[a]}" for a, sym in (("create", "+"), ("update", "~"), ("replace", "±"), ("destroy", "-")) if counts[a]) or "no changes"
        )
        cls = ":::high" if plan.name in high else ":::changed" if plan.changes else ""
        lines.append(f'  {_node(plan.name)}["{plan.name}<br/>{summary}"]{cls}')
    for plan in plans:
        upstream = [u for u in getattr(plan, "upstream", ()) if u in names]
        for u in upstream:
            lines.append(f"  {_node(u)} --> {_node(plan.name)}")
        # Every stack keeps its state in its environment's state stack's bucket; drawn only for
        # stacks that read no other stack, so the graph stays a chain.
        states = [n for n in names if n.endswith("-state") and plan.name.startswith(n[: -len("state")]) and n != plan.name]
        if states and not upstream:
            lines.append(f"  {_node(states[0])} -. state .-> {_node(plan.name)}")
    lines += ["  classDef changed fill:#fde68a,stroke:#b45309", "  classDef high fill:#fecaca,stroke:#b91c1c", "```"]
    return lines
