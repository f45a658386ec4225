"""Synth benchmark: every stack of every environment, the project's cheap provider imports versus the
normal imports, with the environments' teams (the shipped files) and without them (the same files
with ``teams:`` removed, so the kubernetes bindings are never loaded). Prints median wall seconds
over N runs and peak RSS of the process tree (the Python process plus the jsii Node process it
starts; sampled in two separate runs so sampling does not slow the timed ones), the load average
while it ran (other work on the machine slows every figure), and the figures against the targets.

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
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from modules._provider_packages import supported_node  # noqa: E402

# (median seconds, peak GB) on 2 cores: the synth time and memory targets `make bench` judges.
TARGETS = {"project": (3.5, 1.5), "project, no teams": (3.0, 1.0)}
TARGET_RATIO = 0.25


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def _env(outdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ, PLATFORM_OUTDIR=str(outdir), PLATFORM_QUIET="1", **(extra or {}))
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


def without_teams(directory: Path) -> Path:
    """The shipped environment files with their ``teams:`` sections removed, written to ``directory``."""
    for path in sorted((ROOT / "environments").glob("*.yaml")):
        raw = yaml.safe_load(path.read_text())
        raw.pop("teams", None)
        (directory / path.name).write_text(yaml.safe_dump(raw, sort_keys=False))
    return directory


def measure(name: str, command: list[str], runs: int, extra: dict[str, str] | None = None) -> tuple[float, int]:
    """Median of ``runs`` unobserved timings, and the highest peak RSS of two observed runs."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            times.append(timed_run(command, Path(tmp) / f"out-{i}", extra))
            print(f"  {name} run {i + 1}: {times[-1]:.2f} s", flush=True)
        peak = max(peak_rss(command, Path(tmp) / f"mem-{i}", extra) for i in range(2))
        print(f"  {name} peak RSS: {peak / 1e9:.2f} GB", flush=True)
    return statistics.median(times), peak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    main_py = [python, str(ROOT / "main.py")]
    load_before = os.getloadavg()[0]
    figures: dict[str, tuple[float, int]] = {}
    figures["project"] = measure("project", main_py, args.runs)
    with tempfile.TemporaryDirectory() as plain:
        no_teams = {"PLATFORM_ENVIRONMENTS_DIR": str(without_teams(Path(plain)))}
        figures["project, no teams"] = measure("project, no teams", main_py, args.runs, no_teams)
    figures["normal imports"] = measure("normal imports", [python, str(ROOT / "tools" / "normal_imports.py")], args.runs)
    load_after = os.getloadavg()[0]
    environments = len(list((ROOT / "environments").glob("*.yaml")))
    ratio = figures["project"][0] / figures["normal imports"][0]
    print()
    print(f"environments: {environments}, runs: {args.runs}, cores: {os.cpu_count()}, load average (1 min) before/after: {load_before:.1f}/{load_after:.1f}")
    print(f"{'build':<20}{'median s':>10}{'peak RSS GB':>14}")
    for name, (seconds, peak) in figures.items():
        print(f"{name:<20}{seconds:>10.2f}{peak / 1e9:>14.2f}")
    print(f"ratio project/normal: {ratio:.2f}")
    verdicts = [(f"ratio <= {TARGET_RATIO:.2f}", ratio <= TARGET_RATIO)]
    for name, (target_s, target_gb) in TARGETS.items():
        seconds, peak = figures[name]
        verdicts += [(f"{name}: median <= {target_s} s", seconds <= target_s), (f"{name}: peak <= {target_gb} GB", peak / 1e9 <= target_gb)]
    for label, ok in verdicts:
        print(f"  {'met ' if ok else 'MISSED'} {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
