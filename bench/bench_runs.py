"""One synth run, timed from outside or watched for memory, for bench/synth_bench.py."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
# The environment the bench was started with. Importing ``modules`` (for supported_node below) puts
# the speed-ups' Node hooks into this process's NODE_OPTIONS; a child given those would run its
# "without the speed-ups" synth with them (main.py only adds to an inherited NODE_OPTIONS).
_STARTED_WITH = dict(os.environ)


def _env(outdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    from modules._provider_packages import supported_node

    env = dict(_STARTED_WITH, PLATFORM_OUTDIR=str(outdir), PLATFORM_QUIET="1", **(extra or {}))
    env["JSII_NODE"] = os.environ.get("JSII_NODE") or supported_node() or "node"
    return env


def timed_run(command: list[str], outdir: Path, extra: dict[str, str] | None = None) -> float:
    """Wall seconds of one synth, unobserved (sampling memory would steal CPU on 2 cores)."""
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=_env(outdir, extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {proc.stderr.decode()[-2000:]}")
    return elapsed


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def peak_rss(command: list[str], outdir: Path, extra: dict[str, str] | None = None) -> int:
    """Peak summed RSS of the process tree (Python and jsii's Node), sampled every 20 ms."""
    child = subprocess.Popen(command, cwd=ROOT, env=_env(outdir, extra), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    watched = psutil.Process(child.pid)
    peak = 0
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(watched))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return peak
