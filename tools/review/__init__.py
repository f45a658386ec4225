"""Plan-review rules, one concern per file, registered in ``tools/plan_report.py``."""

from __future__ import annotations

from typing import Any, Literal, Protocol

Level = Literal["high", "medium"]  # how serious a risk is; the report lists "high" first


class PlannedChange(Protocol):
    """What a rule reads of one planned resource change (``tools.review.plan.Change`` has it all);
    a Protocol, so rules import nothing from the report that imports them. Read-only properties,
    so a frozen dataclass satisfies it."""

    @property
    def stack(self) -> str: ...
    @property
    def address(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def before(self) -> Any: ...
    @property
    def after(self) -> Any: ...
    @property
    def after_unknown(self) -> Any: ...
