"""Run one task per stack on a few threads and hand the results back in stack order.

A plan reads its upstream stacks' *applied* outputs (``terraform_remote_state``), never their
planned ones, so the plans of an environment's stacks do not wait for each other: up to ``jobs``
run at once, started in stack order. The caller walks the stacks in that order and decides, as a
run one stack at a time would, what each result means (a stack whose upstream's plan changes the
outputs it reads is deferred: its result, if it was started at all, is dropped). So the reports,
messages and exit code are those of the run with ``jobs=1``, which is that one-at-a-time run.

``skip(stack)`` is asked before a stack is started: True when the caller already knows its result
will be dropped (an upstream it has walked past changes outputs), so no slot is spent on it; and
again when the caller reaches the stack, so a result it will drop is not waited for. With
``jobs=1`` a stack starts only once the caller has every earlier stack's result, so nothing is
started that a run one stack at a time would not start. When the caller stops early (a failure),
the tasks already running finish and nothing new starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

T = TypeVar("T")


def default_jobs() -> int:
    """One plan per core: each is a Terraform process plus a provider plugin, mostly on the CPU."""
    return max(1, os.cpu_count() or 1)


def in_order(stacks: list[str], task: Callable[[str], T], *, jobs: int, skip: Callable[[str], bool]) -> Iterator[tuple[str, T | None]]:
    """Yield ``(stack, task(stack))`` for every stack, in the order given, each once it is done;
    ``(stack, None)`` for a stack ``skip`` kept from starting or whose result it drops."""
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    waiting = list(stacks)
    started: dict[str, Future[T]] = {}
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="plan") as pool:

        def top_up() -> None:
            while waiting and sum(not f.done() for f in started.values()) < jobs:
                stack = waiting.pop(0)
                if skip(stack):
                    # What the caller learns of this stack may keep the next ones from starting
                    # too: they are started once it has walked past it.
                    return
                started[stack] = pool.submit(task, stack)

        for stack in stacks:
            top_up()
            future = started.get(stack)
            if future is not None and skip(stack):
                future = None  # started before the caller knew; its result is not waited for
            while future is not None and not future.done():
                wait([f for f in started.values() if not f.done()], return_when=FIRST_COMPLETED)
                if not future.done():
                    top_up()  # a later stack's slot; this stack's is refilled once the caller has its result
            yield stack, None if future is None else future.result()
