"""What the admission checks of the examples share: the context and the finding.

A finding is the render checks' ``Finding`` with the example as its release and the rule first in
its message: ``<env>: <example>: <Kind> <namespace>/<name>: <rule>: <what>``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tools.examples.catalog import Example
from tools.examples.platform import Platform
from tools.examples.variables import Target
from tools.render.checks.base import Finding, Obj
from tools.render.render import Rendered

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES_PYTHON = Path(os.environ.get("EXAMPLES_PYTHON", ROOT / ".venv-examples" / "bin" / "python"))


class ToolMissing(Exception):
    """A pinned judge (.venv-examples, node's IAM evaluator) is not installed: the message says how."""


@dataclass
class ExampleContext:
    target: Target
    platform: Platform
    examples: list[Rendered]
    addons: list[Rendered] = field(default_factory=list)  # the environment's rendered add-on releases
    meta: dict[str, Example] = field(default_factory=dict)  # example name -> its example.yaml
    notes: list[str] = field(default_factory=list)  # what a check could not judge, and why

    @property
    def env_name(self) -> str:
        return self.target.env.name

    def objects(self) -> Iterator[tuple[Rendered, Obj]]:
        for item in self.examples:
            for obj in item.objects:
                yield item, obj

    def finding(self, item: Rendered, obj: Obj, rule: str, message: str) -> Finding:
        meta = obj.get("metadata") or {}
        return Finding(self.env_name, item.release.name, obj.get("kind", ""), meta.get("namespace", ""), meta.get("name", ""), f"{rule}: {message}")


def examples_python() -> Path:
    if not EXAMPLES_PYTHON.is_file():
        raise ToolMissing(f"{EXAMPLES_PYTHON} is missing: run `make examples-venv` (network-config-analyzer and cel-python, requirements-examples.txt)")
    return EXAMPLES_PYTHON
