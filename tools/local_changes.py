"""Day-2 changes on the local emulator: ``make local-plan`` and ``make local-apply``.

Both first re-synthesize the environment from its file into the directory ``local-up`` applied
(main.py keeps each stack's ``.terraform/`` and local state), so they judge today's file, not the
JSON of the day the emulator started.

    python -m tools.local plan    # re-synthesize, plan every stack; exit 1 when any would change
    python -m tools.local apply   # re-synthesize; per stack in order: plan, print the plan report, apply that plan
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from tools.local_workspace import StepFailed, Workspace
from tools.progress import steps


def plan(ws: Workspace, name: str, resynth: Callable[[], None]) -> int:
    """Re-synthesize (``resynth``), plan every stack; 1 when any would change, naming them."""
    changed: list[str] = []
    try:
        with steps(f"local-plan: {name} (re-synthesized from its file)") as step:
            step("synth", "synth", resynth)
            for stack in ws.stacks:
                if not step(stack, "plan", partial(ws.plan_is_empty, stack)):
                    changed.append(stack)
    except StepFailed as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    if changed:
        print(f"changes planned in: {', '.join(changed)} (plans in {ws.logs}); apply them with `make local-apply`", file=sys.stderr)
        return 1
    print("no changes in any stack")
    return 0


def _plan_to_file(ws: Workspace, stack: str) -> Path | None:
    """``terraform plan -out``; the saved plan when it has changes, None when it has none."""
    ws.init(stack)
    saved = ws.logs / f"{stack}.tfplan"
    code = ws.run(stack, "plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock-timeout=0s", f"-out={saved}", ok=(0, 2))
    return saved if code == 2 else None


def _report(ws: Workspace, stack: str, saved: Path) -> str:
    from tools.plan_report import assess, load_plan, render

    shown = subprocess.run(["terraform", "show", "-json", str(saved)], cwd=ws.dir(stack), env=ws.env, capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        raise StepFailed(stack, "show", shown.returncode, ws.log(stack))
    path = ws.logs / f"{stack}.json"
    path.write_text(shown.stdout)
    plans = [load_plan(stack, path)]
    return render(plans, assess(plans, today=date.today()))


def apply(ws: Workspace, name: str, resynth: Callable[[], None]) -> int:
    """Re-synthesize; per stack in order: plan to a file, print its plan report, apply that plan."""
    applied: list[str] = []
    try:
        with steps(f"local-apply: {name} (re-synthesized from its file)") as step:
            step("synth", "synth", resynth)
            for stack in ws.stacks:
                saved = step(stack, "plan", partial(_plan_to_file, ws, stack))
                if saved is None:
                    continue
                print(_report(ws, stack, Path(str(saved))), flush=True)
                step(stack, "apply", partial(ws.run, stack, "apply", "-input=false", "-no-color", "-lock-timeout=0s", str(saved)))
                applied.append(stack)
    except StepFailed as exc:
        print(f"\n{exc}\n(the emulator is still running: fix the file and run `make local-apply` again)", file=sys.stderr)
        return 1
    print(f"applied: {', '.join(applied)}" if applied else "no changes in any stack: nothing applied")
    return 0
