"""A plan's JSON with no sensitive value in it: what may leave the runner (an artifact, a report).

``terraform show -json`` prints sensitive values in clear text and marks where they are
(https://developer.hashicorp.com/terraform/internals/json-format): ``before_sensitive`` /
``after_sensitive`` beside each change's ``before`` / ``after``, ``sensitive_values`` beside each
resource's ``values``, ``sensitive: true`` on an output. Every marked value is replaced by
``MASK``; ``prior_state`` (the whole state, which holds what no change shows: an EKS token read by a
data source, every secret a resource stores) and the variables' values are dropped. What the plan
review reads (addresses, actions, non-sensitive values, replace paths, unknowns) is kept.

The marks are not enough alone: an attribute derived from a sensitive one is not always marked in
the prior state (``terraform_data.output`` beside a sensitive ``input``), and a sensitive
variable's default is printed in ``configuration``. So every string a mark covers anywhere in the
plan (prior state and sensitive variables included) is also masked wherever else it appears.
"""

from __future__ import annotations

from typing import Any

MASK = "(sensitive value)"
DROPPED = ("prior_state", "variables")
MIN_SECRET = 6  # shorter marked strings ("true", a port) are masked where marked, not everywhere


def mask(value: Any, sensitive: Any) -> Any:
    """``value`` with every part ``sensitive`` marks (``true``, or nested objects/lists of marks) masked."""
    if sensitive is True:
        return MASK if value is not None else None
    if isinstance(value, dict) and isinstance(sensitive, dict):
        return {k: mask(v, sensitive.get(k)) for k, v in value.items()}
    if isinstance(value, list) and isinstance(sensitive, list):
        return [mask(v, sensitive[i] if i < len(sensitive) else None) for i, v in enumerate(value)]
    return value


def _change(change: dict[str, Any]) -> dict[str, Any]:
    out = dict(change)
    for side in ("before", "after"):
        if side in out:
            out[side] = mask(out[side], out.get(f"{side}_sensitive"))
    return out


def _module(module: dict[str, Any]) -> dict[str, Any]:
    out = dict(module)
    out["resources"] = [{**r, "values": mask(r.get("values"), r.get("sensitive_values"))} for r in module.get("resources") or []]
    if "child_modules" in module:
        out["child_modules"] = [_module(m) for m in module["child_modules"]]
    return {k: v for k, v in out.items() if k != "resources" or module.get("resources") is not None}


def _values(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    if "outputs" in values:
        out["outputs"] = {n: {**o, "value": MASK} if o.get("sensitive") else o for n, o in values["outputs"].items()}
    if "root_module" in values:
        out["root_module"] = _module(values["root_module"])
    return out


def _leaves(value: Any, sensitive: Any, found: set[str]) -> None:
    if sensitive is True:
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, str) and len(item) >= MIN_SECRET:
                found.add(item)
    elif isinstance(value, dict) and isinstance(sensitive, dict):
        for k, v in value.items():
            _leaves(v, sensitive.get(k), found)
    elif isinstance(value, list) and isinstance(sensitive, list):
        for i, v in enumerate(value):
            _leaves(v, sensitive[i] if i < len(sensitive) else None, found)


def _module_secrets(module: dict[str, Any], found: set[str]) -> None:
    for r in module.get("resources") or []:
        _leaves(r.get("values"), r.get("sensitive_values"), found)
    for child in module.get("child_modules") or []:
        _module_secrets(child, found)


def secrets(plan: dict[str, Any]) -> set[str]:
    """Every string value the plan marks sensitive, wherever it is marked."""
    found: set[str] = set()
    for key in ("resource_changes", "resource_drift"):
        for rc in plan.get(key) or []:
            change = rc.get("change") or {}
            for side in ("before", "after"):
                _leaves(change.get(side), change.get(f"{side}_sensitive"), found)
    for change in (plan.get("output_changes") or {}).values():
        for side in ("before", "after"):
            _leaves(change.get(side), change.get(f"{side}_sensitive"), found)
    for values in (plan.get("planned_values") or {}, (plan.get("prior_state") or {}).get("values") or {}):
        _module_secrets(values.get("root_module") or {}, found)
        for output in (values.get("outputs") or {}).values():
            _leaves(output.get("value"), bool(output.get("sensitive")) or None, found)
    declared = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, variable in (plan.get("variables") or {}).items():
        _leaves(variable.get("value"), bool((declared.get(name) or {}).get("sensitive")) or None, found)
    return found


def _replace(value: Any, found: list[str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace(v, found) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, found) for v in value]
    if isinstance(value, str):
        for secret in found:
            if secret in value:
                value = value.replace(secret, MASK)
    return value


def scrub(plan: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``terraform show -json``'s plan with no sensitive value."""
    found = sorted(secrets(plan), key=len, reverse=True)
    return _replace(_masked(plan), found) if found else _masked(plan)


def _masked(plan: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in plan.items() if k not in DROPPED}
    for key in ("resource_changes", "resource_drift"):
        if key in plan:
            out[key] = [{**rc, "change": _change(rc.get("change") or {})} for rc in plan[key]]
    if "output_changes" in plan:
        out["output_changes"] = {n: _change(c) for n, c in plan["output_changes"].items()}
    if "planned_values" in plan:
        out["planned_values"] = _values(plan["planned_values"])
    return out
