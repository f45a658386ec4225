"""Step-by-step progress for long commands (the emulator loop): a live display on a terminal, one
plain line per step start and end otherwise (CI logs, pipes), so a long apply is never silent."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

T = TypeVar("T")


class Step(Protocol):
    """``step(stack, verb, action)``: runs ``action``, shows its progress, returns its result."""

    def __call__(self, stack: str, verb: str, action: Callable[[], T]) -> T: ...


def _changes(result: object) -> bool:
    """A step's result that means "would change": ``False`` from an empty-plan check, or a saved plan."""
    return result is False or isinstance(result, Path)


@contextmanager
def steps(title: str) -> Iterator[Step]:
    """Yields ``step(stack, verb, action)``. On a terminal a live display; otherwise (CI, a pipe, a
    log file) one plain line when each step starts and one when it ends, so a long apply is never
    silent."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    if not console.is_terminal:
        print(title, file=sys.stderr, flush=True)

        def plain(stack: str, verb: str, action: Callable[[], T]) -> T:
            print(f"  … {verb:8} {stack}", file=sys.stderr, flush=True)
            started = time.monotonic()
            try:
                result = action()
            except BaseException:
                print(f"  ✗ {verb:8} {stack}  {time.monotonic() - started:6.1f}s", file=sys.stderr, flush=True)
                raise
            mark, note = ("~", "  changes") if _changes(result) else ("✓", "")
            print(f"  {mark} {verb:8} {stack}  {time.monotonic() - started:6.1f}s{note}", file=sys.stderr, flush=True)
            return result

        yield plain
        return
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
        console.print(f"[bold]{title}[/bold]")

        def step(stack: str, verb: str, action: Callable[[], T]) -> T:
            task = progress.add_task(f"{verb:8} {stack}", total=1)
            started = time.monotonic()
            try:
                result = action()
            except BaseException:
                progress.update(task, description=f"[red]✗ {verb:6} {stack}[/red]", completed=1)
                raise
            elapsed = time.monotonic() - started
            if _changes(result):
                progress.update(task, description=f"[yellow]~ {verb:6} {stack}[/yellow]  {elapsed:6.1f}s  changes", completed=1)
            else:
                progress.update(task, description=f"[green]✓ {verb:6} {stack}[/green]  {elapsed:6.1f}s", completed=1)
            progress.stop_task(task)
            return result

        yield step
