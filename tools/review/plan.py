"""A stack's Terraform plan as the review reads it: the changes (``terraform show -json``), the
risks found in them, and the state objects no synthesized stack uses.

The data model shared by the report (``tools.plan_report``) and every rule module under
``tools.review``; it imports none of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.review import Level
from tools.review.stack_graph import upstream_stacks

NOT_SYNTHESIZED = "stacks-not-synthesized.json"  # written by `python -m tools.delivery plan`
ACTIONS = ("create", "update", "replace", "destroy")


@dataclass(frozen=True)
class Change:
    stack: str
    address: str
    type: str
    action: str  # one of ACTIONS
    before: Any
    after: Any
    after_unknown: Any
    replace_paths: tuple[str, ...] = ()
    create_first: bool = False  # a replacement under create_before_destroy

    def changed(self, attribute: str) -> bool:
        """Whether ``attribute`` differs between before and after (unknown after counts as changed)."""
        before = (self.before or {}).get(attribute)
        unknown = (self.after_unknown or {}).get(attribute)
        if unknown is True or (unknown and _contains_true(unknown)):
            return True
        return before != (self.after or {}).get(attribute)

    def changed_attributes(self) -> list[str]:
        """Top-level attributes an update changes (``tags_all`` follows ``tags`` and is left out)."""
        keys = set(self.before or {}) | set(self.after or {}) | set(self.after_unknown or {})
        return [k for k in sorted(keys - {"tags_all"}) if self.changed(k)]


@dataclass(frozen=True)
class Risk:
    level: Level
    stack: str
    address: str
    message: str


@dataclass(frozen=True)
class StateWithoutStack:
    """A state object in the state bucket that no synthesized stack uses (``tools.delivery plan``)."""

    stack: str
    state: str  # s3://<bucket>/<key>
    resources: int  # managed resource instances it still records


@dataclass
class StackPlan:
    name: str
    changes: list[Change] = field(default_factory=list)
    unchanged: list[Change] = field(default_factory=list)  # no-op entries: needed to know what remains
    errored: bool = False
    upstream: tuple[str, ...] = ()  # stacks whose outputs this one reads

    def by_action(self, action: str) -> list[Change]:
        return [c for c in self.changes if c.action == action]


def _contains_true(value: Any) -> bool:
    if value is True:
        return True
    if isinstance(value, dict):
        return any(_contains_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_true(v) for v in value)
    return False


def _action(actions: list[str]) -> str | None:
    if actions in (["delete", "create"], ["create", "delete"]):
        return "replace"
    mapping: dict[tuple[str, ...], str] = {("create",): "create", ("update",): "update", ("delete",): "destroy"}
    return mapping.get(tuple(actions))


def _path(parts: list[Any]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(parts))


def load_plan(name: str, path: Path) -> StackPlan:
    """One stack's plan from ``terraform show -json`` output. Raises ValueError when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not readable as JSON ({exc})") from None
    if not isinstance(data, dict) or "format_version" not in data or "planned_values" not in data and "resource_changes" not in data:
        raise ValueError(f"{path}: not the output of `terraform show -json <planfile>`")
    plan = StackPlan(name, errored=bool(data.get("errored")), upstream=upstream_stacks(data))
    for rc in data.get("resource_changes") or []:
        if rc.get("mode") != "managed":
            continue
        change = rc["change"]
        action = _action(change.get("actions", []))
        entry = Change(
            stack=name,
            address=rc["address"],
            type=rc["type"],
            action=action or "no-op",
            before=change.get("before"),
            after=change.get("after"),
            after_unknown=change.get("after_unknown"),
            replace_paths=tuple(_path(p) for p in change.get("replace_paths") or []),
            create_first=change.get("actions") == ["create", "delete"],
        )
        (plan.changes if action else plan.unchanged).append(entry)
    plan.changes.sort(key=lambda c: c.address)
    return plan


def load_not_synthesized(path: Path) -> list[StateWithoutStack]:
    """The stacks listed in a ``stacks-not-synthesized.json``. Raises ValueError when it is not one."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [StateWithoutStack(str(s["stack"]), str(s["state"]), int(s["resources"])) for s in data["stacks"]]
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a {NOT_SYNTHESIZED} written by `python -m tools.delivery plan` ({exc})") from None
