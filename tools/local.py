"""Bring an environment up on the local AWS emulator with real Terraform, plan it, tear it down.

    python -m tools.local up      # start moto on a free 127.0.0.1 port, apply every AWS-only stack
    python -m tools.local plan    # re-synthesize, plan every stack; exit 1 unless all report no changes
    python -m tools.local apply   # re-synthesize, plan, print the plan report, apply (tools/local_changes.py)
    python -m tools.local down    # destroy in reverse order, stop the emulator

``--env NAME`` (default ``local``) picks the environment, ``--environments DIR`` its directory.
The emulator keeps running between ``up`` and ``down`` (its state is in its memory); where it runs
is recorded in ``.work/local/<env>/emulator.json``. Terraform's output goes to one log file per
stack under ``.work/local/<env>/logs/``; the path is printed when a step fails. See docs/emulator.md.

The classes here are what the end-to-end tests drive too (``tests/e2e``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from tools import local_changes
from tools.emulator import Emulator, EmulatorError
from tools.local_workspace import StepFailed, Workspace, kill_group, synth
from tools.progress import steps as _progress
from tools.terraform import ROOT

__all__ = ["StepFailed", "Workspace", "kill_group", "synth"]  # used by tests/e2e

WORK = ROOT / ".work" / "local"
DEFAULT_ENVIRONMENTS = ROOT / "environments"


@dataclass
class Timing:
    stack: str
    step: str
    seconds: float


def _state_file(env: str) -> Path:
    return WORK / env / "emulator.json"


def _record(env: str, emulator: Emulator, outdir: Path, stacks: list[str], region: str, bucket: str, environments: Path) -> None:
    path = _state_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert emulator.process is not None
    path.write_text(
        json.dumps(
            {
                "port": emulator.port,
                "pid": emulator.process.pid,
                "outdir": str(outdir),
                "stacks": stacks,
                "region": region,
                "bucket": bucket,
                "environments": str(environments.resolve()),
            }
        )
    )


def _running(env: str) -> tuple[Emulator, dict[str, Any]] | None:
    path = _state_file(env)
    if not path.exists():
        return None
    info = json.loads(path.read_text())
    emulator = Emulator(port=info["port"])
    if not emulator.wait_ready(5):
        return None
    return emulator, info


def clear_previous_run(outdir: Path) -> None:
    """Remove what an earlier run left in ``outdir``: each stack's ``.terraform/`` (which remembers
    the backend it was initialized with, so a renamed state bucket failed the next ``init`` with
    "Backend configuration changed") and local state files. A fresh emulator has fresh state, so
    nothing there is worth keeping."""
    shutil.rmtree(outdir, ignore_errors=True)


def up(environments: Path, name: str) -> int:
    from environments import load_environments
    from environments.state_backend import S3StateBackend

    env = load_environments(environments, only=[name])[0]
    if env.emulator is None:
        print(f"environment {name!r} has no emulator: section; refusing to apply it to the emulator", file=sys.stderr)
        return 2
    backend = env.state_backend
    if not isinstance(backend, S3StateBackend):
        print(f"environment {name!r}: state_backend.kind is {backend.kind!r}; the emulator keeps state only in an S3 bucket (kind: s3)", file=sys.stderr)
        return 2
    if _running(name):
        print(f"an emulator for {name!r} is already running (make local-down first)", file=sys.stderr)
        return 2
    base = WORK / name
    outdir = base / "cdktf.out"
    logs = base / "logs"
    for old in logs.glob("*.log") if logs.exists() else []:
        old.unlink()
    clear_previous_run(outdir)
    emulator = Emulator(log_path=base / "emulator.log")
    base.mkdir(parents=True, exist_ok=True)
    with _progress(f"local-up: {name} on the AWS emulator") as step:
        stacks = step("synth", "synth", lambda: synth(environments, name, outdir))
        step("moto", "start", emulator.start)
        _record(name, emulator, outdir, stacks, env.region, backend.bucket, environments)
        ws = Workspace(outdir=outdir, stacks=stacks, emulator=emulator, logs=logs)
        try:
            for stack in stacks:
                step(stack, "apply", partial(ws.apply, stack))
        except StepFailed as exc:
            print(
                f"\n{exc}\n(the emulator is still running: fix the file, then `make local-apply` to apply the rest, or `make local-down`)",
                file=sys.stderr,
            )
            return 1
    _print_outputs(ws)
    print(f"\nemulator: {emulator.endpoint}   logs: {logs}   next: edit the file, make local-plan / make local-apply; make local-down")
    return 0


def _print_outputs(ws: Workspace) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="key outputs")
    table.add_column("stack")
    table.add_column("output")
    table.add_column("value")
    for stack in ws.stacks:
        for key, value in sorted(ws.outputs(stack).items()):
            if key.startswith("cross-stack-output-"):
                continue
            table.add_row(stack, key, json.dumps(value) if not isinstance(value, str) else value)
    Console().print(table)


def _attach(name: str) -> tuple[Workspace, dict[str, Any]] | None:
    running = _running(name)
    if running is None:
        print(f"no emulator is running for {name!r} (make local-up first)", file=sys.stderr)
        return None
    emulator, info = running
    ws = Workspace(outdir=Path(info["outdir"]), stacks=info["stacks"], emulator=emulator, logs=WORK / name / "logs")
    return ws, info


def _resynth(ws: Workspace, info: dict[str, Any], environments: Path, name: str) -> None:
    """Synthesize ``name`` again from the directory ``local-up`` used into its workspace (main.py
    keeps each stack's ``.terraform/`` and local state) and record the stacks it now has."""
    ws.stacks = synth(Path(str(info.get("environments") or environments)), name, ws.outdir)
    info["stacks"] = ws.stacks
    _state_file(name).write_text(json.dumps(info))


def plan(environments: Path, name: str) -> int:
    attached = _attach(name)
    if attached is None:
        return 2
    ws, info = attached
    return local_changes.plan(ws, name, lambda: _resynth(ws, info, environments, name))


def apply(environments: Path, name: str) -> int:
    attached = _attach(name)
    if attached is None:
        return 2
    ws, info = attached
    return local_changes.apply(ws, name, lambda: _resynth(ws, info, environments, name))


def down(name: str) -> int:
    attached = _attach(name)
    if attached is None:
        return 0
    ws, info = attached
    try:
        with _progress(f"local-down: {name}") as step:
            for stack in reversed(ws.stacks):
                if stack == ws.stacks[0]:
                    # The state bucket holds every other stack's state (versioned): empty it first,
                    # as an operator would, or S3 refuses to delete it.
                    step("state objects", "empty", lambda: ws.emulator.empty_bucket(info["bucket"], info["region"]))
                step(stack, "destroy", partial(ws.destroy, stack))
    except StepFailed as exc:
        print(f"\n{exc}\n(the emulator is still running; `make local-down` again after fixing)", file=sys.stderr)
        return 1
    _stop_recorded(name, info)
    print("destroyed every stack and stopped the emulator")
    return 0


def _stop_recorded(name: str, info: dict[str, Any]) -> None:
    try:
        os.killpg(info["pid"], signal.SIGTERM)
    except ProcessLookupError:
        pass
    _state_file(name).unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "plan", "apply", "down"])
    parser.add_argument("--env", default="local")
    parser.add_argument("--environments", type=Path, default=DEFAULT_ENVIRONMENTS)
    args = parser.parse_args(argv)
    from tools.cli import UserError, guarded

    def run() -> int:
        try:
            if args.command == "up":
                return up(args.environments, args.env)
            if args.command in ("plan", "apply"):
                return (plan if args.command == "plan" else apply)(args.environments, args.env)
            return down(args.env)
        except EmulatorError as exc:
            raise UserError(str(exc), 1) from None
        except RuntimeError as exc:  # synth failed, or no terraform/mirror (Workspace)
            raise UserError(str(exc).strip().splitlines()[0] if "synth of" not in str(exc) else str(exc).strip(), 1) from None

    return guarded("tools.local", run)


if __name__ == "__main__":
    sys.exit(main())
