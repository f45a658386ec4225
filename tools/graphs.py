"""Walks over dependency maps (name -> the names it depends on), shared by the render checks and the plan review."""

from __future__ import annotations


def upstream_of(dependencies: dict[str, list[str]], name: str) -> set[str]:
    """Every name ``name`` waits for, directly or through others, in ``dependencies`` (name -> the
    names it depends on)."""
    seen: set[str] = set()
    todo = list(dependencies.get(name, []))
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo.extend(dependencies.get(n, []))
    return seen
