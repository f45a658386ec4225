"""Bring an environment up on the local AWS emulator with real Terraform, plan it, tear it down.

    python -m tools.local up      # start moto on a free 127.0.0.1 port, apply every AWS-only stack
    python -m tools.local plan    # plan every stack; exit 1 unless all report no changes
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
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.delivery.stacks import stack_order
from tools.emulator import Emulator, EmulatorError
from tools.terraform import ROOT, aws_only, terraform_env

WORK = ROOT / ".work" / "local"
DEFAULT_ENVIRONMENTS = ROOT / "environments"


class StepFailed(RuntimeError):
    def __init__(self, stack: str, step: str, returncode: int, log: Path) -> None:
        self.stack, self.step, self.returncode, self.log = stack, step, returncode, log
        super().__init__(f"{stack}: terraform {step} failed (exit {returncode}); Terraform's output: {log}")


# -- synthesis ------------------------------------------------------------------------------------


def synth(environments: Path, name: str, outdir: Path) -> list[str]:
    """Synthesize one environment into ``outdir`` with main.py (as ``make synth`` does, in a child
    process so jsii stays out of the caller) and return its AWS-only stacks in dependency order."""
    env = dict(
        os.environ,
        PLATFORM_ENVIRONMENTS_DIR=str(environments),
        PLATFORM_ENVIRONMENTS=name,
        PLATFORM_OUTDIR=str(outdir),
        PLATFORM_QUIET="1",
    )
    result = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"synth of {name} from {environments} failed:\n{result.stderr[-4000:]}")
    return [s for s in stack_order(name, outdir) if aws_only(outdir / "stacks" / s)]


# -- terraform against the emulator ---------------------------------------------------------------


@dataclass
class Workspace:
    """Synthesized stacks of one environment, the emulator they target, and per-stack logs."""

    outdir: Path
    stacks: list[str]
    emulator: Emulator
    logs: Path
    base_env: dict[str, str] = field(default_factory=dict)
    initialized: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        if not self.base_env:
            found = terraform_env()
            if found is None:
                raise RuntimeError("terraform or the hashicorp/aws provider mirror is missing (see tools/terraform.py)")
            self.base_env = found

    def dir(self, stack: str) -> Path:
        return self.outdir / "stacks" / stack

    def log(self, stack: str) -> Path:
        """``<logs>/<stack>.log``; a label such as ``local-network@a`` gets its own file."""
        return self.logs / f"{stack}.log"

    @property
    def env(self) -> dict[str, str]:
        return self.emulator.terraform_env(self.base_env)

    def start(self, stack: str, *args: str, cwd: Path | None = None, label: str | None = None) -> subprocess.Popen[str]:
        """Start ``terraform <args>`` for ``stack`` in its own process group, appending to its log
        (``label`` names another log, for a second copy of the same stack)."""
        log = self.log(label or stack)
        with log.open("a") as f:
            f.write(f"\n$ terraform {' '.join(args)}   # {time.strftime('%H:%M:%S')}\n")
        handle = log.open("a")
        try:
            return subprocess.Popen(
                ["terraform", *args],
                cwd=cwd or self.dir(stack),
                env=self.env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,  # so a kill reaches the provider plugin too, and nothing else
            )
        finally:
            handle.close()

    def run(self, stack: str, *args: str, ok: tuple[int, ...] = (0,), timeout: float = 900, cwd: Path | None = None, label: str | None = None) -> int:
        proc = self.start(stack, *args, cwd=cwd, label=label)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            code = -1
        if code not in ok:
            raise StepFailed(stack, args[0], code, self.log(label or stack))
        return code

    def init(self, stack: str, cwd: Path | None = None, label: str | None = None) -> None:
        if cwd is None and stack in self.initialized:
            return
        self.run(stack, "init", "-input=false", "-no-color", cwd=cwd, label=label)
        if cwd is None:
            self.initialized.add(stack)

    def apply(self, stack: str) -> None:
        self.init(stack)
        self.run(stack, "apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s")

    def plan_is_empty(self, stack: str) -> bool:
        """``terraform plan -detailed-exitcode``: 0 means no changes, 2 changes (1 is an error)."""
        self.init(stack)
        code = self.run(stack, "plan", "-detailed-exitcode", "-input=false", "-no-color", "-lock-timeout=0s", ok=(0, 2))
        return code == 0

    def destroy(self, stack: str) -> None:
        self.init(stack)
        self.run(stack, "destroy", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s")

    def outputs(self, stack: str) -> dict[str, Any]:
        result = subprocess.run(["terraform", "output", "-json"], cwd=self.dir(stack), env=self.env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            return {}
        return {k: v.get("value") for k, v in json.loads(result.stdout or "{}").items() if not v.get("sensitive")}


def kill_group(proc: subprocess.Popen[Any], sig: int = signal.SIGKILL) -> None:
    """Signal the process group ``proc`` leads (it was started with its own session)."""
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass


# -- the three commands, with a progress display --------------------------------------------------


@dataclass
class Timing:
    stack: str
    step: str
    seconds: float


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str, str, Callable[[], object]], object]]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as progress:
        console.print(f"[bold]{title}[/bold]")

        def step(stack: str, verb: str, action: Callable[[], object]) -> object:
            task = progress.add_task(f"{verb:8} {stack}", total=1)
            started = time.monotonic()
            try:
                result = action()
            except BaseException:
                progress.update(task, description=f"[red]✗ {verb:6} {stack}[/red]", completed=1)
                raise
            progress.update(task, description=f"[green]✓ {verb:6} {stack}[/green]  {time.monotonic() - started:6.1f}s", completed=1)
            progress.stop_task(task)
            return result

        yield step


def _state_file(env: str) -> Path:
    return WORK / env / "emulator.json"


def _record(env: str, emulator: Emulator, outdir: Path, stacks: list[str], region: str, bucket: str) -> None:
    path = _state_file(env)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert emulator.process is not None
    path.write_text(
        json.dumps({"port": emulator.port, "pid": emulator.process.pid, "outdir": str(outdir), "stacks": stacks, "region": region, "bucket": bucket})
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

    env = load_environments(environments, only=[name])[0]
    if env.emulator is None:
        print(f"environment {name!r} has no emulator: section; refusing to apply it to the emulator", file=sys.stderr)
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
        _record(name, emulator, outdir, stacks, env.region, env.state_backend.bucket)
        ws = Workspace(outdir=outdir, stacks=stacks, emulator=emulator, logs=logs)
        try:
            for stack in stacks:
                step(stack, "apply", lambda s=stack: ws.apply(s))
        except StepFailed as exc:
            print(
                f"\n{exc}\n(the emulator is still running: fix and re-run `make local-up`'s apply with `make local-plan`, or `make local-down`)",
                file=sys.stderr,
            )
            return 1
    _print_outputs(ws)
    print(f"\nemulator: {emulator.endpoint}   logs: {logs}   next: make local-plan / make local-down")
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


def plan(name: str) -> int:
    attached = _attach(name)
    if attached is None:
        return 2
    ws, _ = attached
    changed: list[str] = []
    try:
        with _progress(f"local-plan: {name}") as step:
            for stack in ws.stacks:
                if not step(stack, "plan", lambda s=stack: ws.plan_is_empty(s)):
                    changed.append(stack)
    except StepFailed as exc:
        print(f"\n{exc}", file=sys.stderr)
        return 1
    if changed:
        print(f"changes planned in: {', '.join(changed)} (see {ws.logs})", file=sys.stderr)
        return 1
    print("no changes in any stack")
    return 0


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
                step(stack, "destroy", lambda s=stack: ws.destroy(s))
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
    parser.add_argument("command", choices=["up", "plan", "down"])
    parser.add_argument("--env", default="local")
    parser.add_argument("--environments", type=Path, default=DEFAULT_ENVIRONMENTS)
    args = parser.parse_args(argv)
    from tools.cli import UserError, guarded

    def run() -> int:
        try:
            if args.command == "up":
                return up(args.environments, args.env)
            if args.command == "plan":
                return plan(args.env)
            return down(args.env)
        except EmulatorError as exc:
            raise UserError(str(exc), 1) from None
        except RuntimeError as exc:  # synth failed, or no terraform/mirror (Workspace)
            raise UserError(str(exc).strip().splitlines()[0] if "synth of" not in str(exc) else str(exc).strip(), 1) from None

    return guarded("tools.local", run)


if __name__ == "__main__":
    sys.exit(main())
