"""The admissions a cluster applies to the examples, each ``check(ctx) -> list[Finding]`` judged by
an implementation written elsewhere (see each module), and the render checks they run beside."""

from __future__ import annotations

from collections.abc import Callable

from tools.examples.checks import cel, efs, irsa, network, pod_security, quota
from tools.examples.checks.base import ExampleContext, ToolMissing
from tools.render.checks import run_checks
from tools.render.checks.base import Context, Finding

Check = Callable[[ExampleContext], list[Finding]]

ADMISSIONS: dict[str, Check] = {
    "pod-security": pod_security.check,
    "quota": quota.check,
    "network": network.check,
    "cel": cel.check,
    "efs": efs.check,
    "irsa": irsa.check,
}
# The render checks (tools/render/checks) that judge an example's objects on their own.
RENDER_CHECKS = ["schema", "storage", "fit", "pdb"]


def render_findings(ctx: ExampleContext) -> dict[str, list[Finding]]:
    """The render checks over add-ons and examples together, keeping the examples' findings."""
    synth = None
    context = Context(ctx.target.env, (*ctx.addons, *ctx.examples), synth)
    names = {e.release.name for e in ctx.examples}
    return {f"render:{name}": [f for f in found if f.release in names] for name, found in run_checks(context, RENDER_CHECKS).items()}


def run_admissions(ctx: ExampleContext, names: list[str] | None = None) -> dict[str, list[Finding]]:
    return {name: ADMISSIONS[name](ctx) for name in ADMISSIONS if names is None or name in names}


__all__ = ["ADMISSIONS", "RENDER_CHECKS", "ExampleContext", "ToolMissing", "render_findings", "run_admissions"]
