"""The synth's speed-ups and their one switch. Each leaves the synthesized JSON byte-identical
(tests/stacks/test_synth_speedups.py synthesizes with and without them and compares).

``PLATFORM_SYNTH_SPEEDUPS`` names the ones in force, comma-separated: ``all`` (the default),
``none`` (the benchmark's baseline, ``make bench``), or any of:

- ``lazy``: jsii's Node loads each provider resource's JavaScript on first use
  (``_lazy_provider_index.cjs``, modules/_provider_packages.py).
- ``hints``: the provider bindings' runtime type checks resolve each type-checking stub's hints
  once, not on every jsii call (:func:`cache_type_hints`).
- ``traces``: cdktf's JavaScript tokens record no creation stack (``_no_token_stack_traces.cjs``).
- ``validation``: ``App(skip_validation=True)``; ``main.py`` then does what cdktf's validation did
  itself, once per synth (``tools/synth_checks.py``).
- ``boundary``: the permissions boundary is set on a stack's IAM roles in one pass per stack
  (``PlatformStack.prepare_stack``), not by an aspect that cdktf calls back into Python for every node.
"""

from __future__ import annotations

import os
import typing
from pathlib import Path
from typing import Any

SPEEDUPS = ("lazy", "hints", "traces", "validation", "boundary")
ENV = "PLATFORM_SYNTH_SPEEDUPS"
# Preloaded into jsii's Node when ``traces`` is on (modules/_provider_packages.py).
NO_TOKEN_STACK_TRACES_HOOK = str(Path(__file__).resolve().parent / "_no_token_stack_traces.cjs")
# jsii-pacmak names every type-checking stub ``_typecheckingstub__<sha256>`` (module level).
STUB_PREFIX = "_typecheckingstub__"


class SpeedupError(ValueError):
    pass


def enabled(name: str) -> bool:
    """Whether speed-up ``name`` is in force under ``PLATFORM_SYNTH_SPEEDUPS``."""
    if name not in SPEEDUPS:
        raise SpeedupError(f"unknown speed-up {name!r}")
    raw = os.environ.get(ENV, "all").strip() or "all"
    chosen = {part.strip() for part in raw.split(",") if part.strip()}
    unknown = chosen - {*SPEEDUPS, "all", "none"}
    if unknown:
        raise SpeedupError(f"{ENV}: unknown speed-up(s) {', '.join(sorted(unknown))}; use all, none or any of {', '.join(SPEEDUPS)}")
    return "all" in chosen or name in chosen


def cache_type_hints() -> None:
    """Memoize ``typing.get_type_hints`` for jsii's type-checking stubs, nothing else.

        The prebuilt cdktf and provider bindings run, before every jsii call, ``type_hints =
        typing.get_type_hints(_typecheckingstub__<sha>)`` and typeguard's checks against the result.
        A stub is a module-level function whose annotations never change, so resolving them again on
        each call only re-does the same work. The jsii runtime installed here ships exactly this memo
        as ``jsii._type_checking.cached_type_hints`` for newer generated code; the prebuilt bindings
        predate it and call ``typing.get_type_hints`` by attribute, so routing stubs to that memo
        keeps every check, with the same hints, and resolves each stub once (the same memo, kept here:
    ``cached_type_hints`` itself calls ``typing.get_type_hints``). Any other function, or a
        call with extra arguments, goes to the original ``typing.get_type_hints`` untouched.
    """
    current = typing.get_type_hints
    if getattr(current, "_jsii_stub_memo", False):
        return
    memo: dict[object, dict[str, Any]] = {}

    def get_type_hints(obj: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args or kwargs or not getattr(obj, "__name__", "").startswith(STUB_PREFIX):
            return current(obj, *args, **kwargs)
        hints = memo.get(obj)
        if hints is None:
            hints = memo[obj] = current(obj)
        return hints

    get_type_hints.__wrapped__ = current  # type: ignore[attr-defined]  # functools-style link to the original
    get_type_hints._jsii_stub_memo = True  # type: ignore[attr-defined]  # installed once per process
    typing.get_type_hints = get_type_hints


def install() -> None:
    """Apply the Python-side speed-ups in force (the Node side is set with NODE_OPTIONS)."""
    if enabled("hints"):
        cache_type_hints()
