"""Apply what was reviewed, from the reviewed plans' JSON alone: no binary plan leaves the runner
that made it (a saved plan holds every sensitive value in clear text).

Per stack, in order: plan again (with the state lock), and apply that fresh plan only when it makes
exactly the changes the reviewed plan showed (addresses, actions, before and after values,
sensitive values compared as masked). A fresh plan with no changes where the reviewed one had some
means an earlier attempt of this deploy already applied it (a re-run): nothing to do. Anything else
changed since the review: that stack and the ones after it are not applied, and the message says
which stacks this run applied. Because the comparison is against the state of the moment, an
approval given days after the plan still applies, as long as nothing changed in between.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tools.cli import UserError
from tools.delivery.runs import DEFERRED, EXIT_DEFERRED
from tools.delivery.scrub import scrub
from tools.delivery.stacks import _refuse_local_backends, run_terraform, stack_order, terraform_env
from tools.review.version_jump import refuse_version_jump


def changes(plan: dict[str, Any]) -> list[Any]:
    """What applying ``plan`` would change, in a form two plans of the same change share."""
    found: list[Any] = []
    for rc in plan.get("resource_changes") or []:
        change = rc.get("change") or {}
        if change.get("actions") not in (["no-op"], None):
            found.append([rc["address"], change.get("actions"), change.get("before"), change.get("after"), change.get("after_unknown")])
    for name, change in sorted((plan.get("output_changes") or {}).items()):
        if (change.get("actions") or ["no-op"]) != ["no-op"]:
            found.append([f"output.{name}", change.get("actions"), change.get("before"), change.get("after")])
    return found


def _deferred(plans: Path) -> list[str]:
    path = plans / DEFERRED
    return [line.split("\t", 1)[0] for line in path.read_text().splitlines()] if path.exists() else []


def apply_reviewed(env_name: str, plans: Path, outdir: Path, summary: Path | None = None) -> int:
    """Apply every stack whose reviewed plan (``plans/<stack>.json``, from ``plan --out plans``)
    still holds; 0 when all did, 4 when deferred stacks remain (the next deploy plans them), 1
    (UserError) when a stack changed since its review. ``summary`` gets one Markdown line per stack."""
    stacks = stack_order(env_name, outdir)
    _refuse_local_backends(env_name, stacks, outdir)
    deferred = _deferred(plans)
    missing = [s for s in stacks if s not in deferred and not (plans / f"{s}.json").is_file()]
    if missing:
        raise UserError(f"no reviewed plan for {', '.join(missing)} in {plans}: run `python -m tools.delivery plan {env_name} --defer --out {plans}` first")
    env = terraform_env()
    lines: list[str] = []
    try:
        for stack in stacks:
            if stack in deferred:
                lines.append(f"- `{stack}`: deferred: planned by the next deploy, after its upstream stacks (nothing applied)")
                continue
            reviewed = changes(json.loads((plans / f"{stack}.json").read_text()))
            workdir = outdir / "stacks" / stack
            run_terraform(["init", "-input=false", "-no-color"], workdir, env, stdout=sys.stderr)
            refuse_version_jump(workdir, env)
            (workdir / "tfplan").unlink(missing_ok=True)
            planned = run_terraform(["plan", "-input=false", "-no-color", "-lock=true", "-out=tfplan"], workdir, env, stdout=sys.stderr, check=False)
            if planned.returncode and not (workdir / "tfplan").is_file():
                raise UserError(f"{stack}: terraform plan failed (exit {planned.returncode}); Terraform's message is above", 1)
            fresh = changes(scrub(json.loads(run_terraform(["show", "-json", "tfplan"], workdir, env, capture_output=True).stdout)))
            if fresh == reviewed:
                if not fresh:
                    lines.append(f"- `{stack}`: no changes")
                    continue
                try:
                    run_terraform(["apply", "-input=false", "-no-color", "tfplan"], workdir, env, stdout=sys.stderr)
                finally:
                    (workdir / "tfplan").unlink(missing_ok=True)
                lines.append(f"- `{stack}`: applied as reviewed ({len(fresh)} change(s))")
            elif not fresh:
                lines.append(f"- `{stack}`: already as reviewed (applied by an earlier attempt of this deploy)")
            else:
                lines.append(f"- `{stack}`: **not applied**: its plan changed since the review")
                raise UserError(
                    f"{stack}: the plan now differs from the reviewed one (the stack or its inputs changed since the review): "
                    f"not applied, nor any stack after it; {_done(lines)}. Plan and approve again (run the deploy again)",
                    1,
                )
    except UserError as exc:
        if not lines or "not applied" not in lines[-1]:
            lines.append(f"- **stopped**: {exc}")
        raise
    finally:
        text = "\n".join(["### Applied", "", *lines, ""])
        print(text, file=sys.stderr)
        if summary is not None:
            with summary.open("a") as out:
                out.write(text + "\n")
    if deferred:
        print(f"tools.delivery: applied; not yet planned: {', '.join(deferred)}: the next deploy of {env_name} plans them", file=sys.stderr)
        return EXIT_DEFERRED
    return 0


def _done(lines: list[str]) -> str:
    applied = [line.split("`")[1] for line in lines if ": applied" in line or ": already" in line]
    return f"applied by this deploy: {', '.join(applied)}" if applied else "nothing was applied by this deploy"
