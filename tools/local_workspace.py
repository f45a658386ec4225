"""Terraform against the local emulator: one environment's synthesized stacks, run stack by stack
with one log file each (``tools/local.py`` commands and the end-to-end tests drive it)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.delivery.stacks import stack_order
from tools.emulator import Emulator
from tools.terraform import ROOT, aws_only, terraform_env


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
