"""Plan-review rules, one concern per file, registered in ``tools/plan_report.py``."""

from __future__ import annotations

from typing import Any, Protocol


class PlannedChange(Protocol):
    """What a rule reads of one planned resource change (``tools.plan_report.Change`` has it all);
    a Protocol, so rules import nothing from the report that imports them."""

    stack: str
    address: str
    type: str
    action: str
    before: Any
    after: Any
    after_unknown: Any
