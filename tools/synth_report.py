"""What a synth produced: one row per stack with its providers, resource count and output path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StackSummary:
    name: str
    providers: tuple[str, ...]
    resources: int
    outputs: int
    path: Path


def summarize(outdir: Path, stack_names: list[str]) -> list[StackSummary]:
    rows = []
    for name in stack_names:
        path = outdir / "stacks" / name / "cdk.tf.json"
        doc = json.loads(path.read_text())
        resources = sum(len(by_name) for by_name in doc.get("resource", {}).values())
        rows.append(StackSummary(name, tuple(sorted(doc.get("provider", {}))), resources, len(doc.get("output", {})), path))
    return rows


def print_table(rows: list[StackSummary], root: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Synthesized stacks")
    table.add_column("stack")
    table.add_column("providers")
    table.add_column("resources", justify="right")
    table.add_column("outputs", justify="right")
    table.add_column("path")
    for row in rows:
        try:
            shown = row.path.resolve().relative_to(root)
        except ValueError:
            shown = row.path
        table.add_row(row.name, ", ".join(row.providers), str(row.resources), str(row.outputs), str(shown))
    console = Console()
    if not console.is_terminal:
        console = Console(width=140)
    console.print(table)
