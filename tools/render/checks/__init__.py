"""Checks over an environment's rendered objects: pure functions ``check(ctx) -> list[Finding]``.

One concern per file; ``CHECKS`` lists them by name (adding one = one file + one line). A finding
names the environment, the release, the object (kind, namespace, name) and what is wrong.
"""

from __future__ import annotations

from collections.abc import Callable

from tools.render.checks import addresses, collector, fit, identity, irsa, monitors, ordering, pdb, rbac, schema, served, storage
from tools.render.checks.base import Context, Finding

Check = Callable[[Context], list[Finding]]

CHECKS: dict[str, Check] = {
    "schema": schema.check,
    "irsa": irsa.check,
    "identity": identity.check,
    "fit": fit.check,
    "storage": storage.check,
    "ordering": ordering.check,
    "served": served.check,
    "pdb": pdb.check,
    "cluster-admin": rbac.check,
    "addresses": addresses.check,
    "collector": collector.check,
    "monitors": monitors.check,
}


def run_checks(ctx: Context, names: list[str] | None = None) -> dict[str, list[Finding]]:
    """Findings of each check (all of them unless ``names``), in ``CHECKS`` order."""
    return {name: CHECKS[name](ctx) for name in CHECKS if names is None or name in names}


__all__ = ["CHECKS", "Context", "Finding", "run_checks"]
