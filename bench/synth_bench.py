"""Synth benchmark: every stack of every environment, the project's cheap provider imports versus the
normal imports. Prints median wall seconds over N runs and peak RSS of the process tree (the Python
process plus the jsii Node process it starts; sampled in two separate runs so sampling does not
slow the timed ones), and the ratios against the targets.

    python bench/synth_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modules._provider_packages import supported_node  # noqa: E402

TARGET_SECONDS = 5.0
TARGET_RATIO = 0.25
TARGET_PEAK_GB = 1.2


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _env(outdir: Path) -> dict[str, str]:
    env = dict(os.environ, PLATFORM_OUTDIR=str(outdir), PLATFORM_QUIET="1")
    env["JSII_NODE"] = os.environ.get("JSII_NODE") or supported_node() or "node"
    return env


def timed_run(command: list[str], outdir: Path) -> float:
    """Wall seconds of one synth, unobserved (sampling memory would steal CPU on 2 cores)."""
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, env=_env(outdir), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {proc.stderr.decode()[-2000:]}")
    return elapsed


def peak_rss(command: list[str], outdir: Path) -> int:
    """Peak summed RSS of the process tree (Python and jsii's Node), sampled every 20 ms."""
    child = subprocess.Popen(command, cwd=ROOT, env=_env(outdir), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def measure(name: str, command: list[str], runs: int) -> tuple[float, int]:
    """Median of ``runs`` unobserved timings, and the highest peak RSS of two observed runs."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            times.append(timed_run(command, Path(tmp) / f"out-{i}"))
            print(f"  {name} run {i + 1}: {times[-1]:.2f} s", flush=True)
        peak = max(peak_rss(command, Path(tmp) / f"mem-{i}") for i in range(2))
        print(f"  {name} peak RSS: {peak / 1e9:.2f} GB", flush=True)
    return statistics.median(times), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    project_s, project_peak = measure("project", [python, str(ROOT / "main.py")], args.runs)
    normal_s, normal_peak = measure("normal imports", [python, str(ROOT / "tools" / "normal_imports.py")], args.runs)
    stacks = len(list((ROOT / "environments").glob("*.yaml")))
    ratio = project_s / normal_s
    print()
    print(f"environments: {stacks}, runs: {args.runs}, cores: {os.cpu_count()}")
    print(f"{'build':<16}{'median s':>10}{'peak RSS GB':>14}")
    print(f"{'project':<16}{project_s:>10.2f}{project_peak / 1e9:>14.2f}")
    print(f"{'normal imports':<16}{normal_s:>10.2f}{normal_peak / 1e9:>14.2f}")
    print(f"ratio project/normal: {ratio:.2f}")
    verdicts = [
        ("median <= %.1f s" % TARGET_SECONDS, project_s <= TARGET_SECONDS),
        ("ratio <= %.2f" % TARGET_RATIO, ratio <= TARGET_RATIO),
        ("peak <= %.1f GB" % TARGET_PEAK_GB, project_peak / 1e9 <= TARGET_PEAK_GB),
    ]
    for label, ok in verdicts:
        print(f"  {'met ' if ok else 'MISSED'} {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
