"""Synth benchmark (``make bench``): the synth's speed-ups against the synth without them, at 1, 4, 16
and 64 environments, then ``make test``'s wall time and ``make bench-plan`` (when that target exists).

Each scale synthesizes N valid, distinct copies of the shipped environment files (bench/env_copies.py)
twice per round, with the speed-ups (A) and with ``PLATFORM_SYNTH_SPEEDUPS=none`` (B, the baseline,
modules/_synth_speedups.py), in turn A B A B, so a machine that slows down during the run slows
both; the ratio is A/B pair by pair, median over the rounds. It also checks that A and B wrote
the same bytes. At the shipped set it keeps the earlier figures: peak RSS of the process tree
(Python plus jsii's Node, sampled in runs of their own so sampling slows no timed run) and the
project's cheap provider imports against the normal ones (tools/normal_imports.py). Other work on
the machine slows every figure: the load average is printed with them. Never a timed test.

    python bench/synth_bench.py [--runs 3] [--scales 1,4,16,64] [--no-make-test]
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_runs import peak_rss, timed_run  # noqa: E402
from bench.env_copies import write_copies  # noqa: E402

SYNTH_TARGET = 0.7  # synth with the speed-ups / without, at every scale
PLAN_TARGET = 0.5  # the PR plan against the plan as made before (make bench-plan measures it and writes its figures for this)
IMPORTS_TARGET = 0.25  # cheap provider imports / normal imports
TEST_TARGET_S = 180  # make test, idle, on 2 cores
FAST = {"PLATFORM_SYNTH_SPEEDUPS": "all"}
PLAIN = {"PLATFORM_SYNTH_SPEEDUPS": "none"}


def identical(a: Path, b: Path) -> bool:
    """Every file under ``a`` and ``b`` has the same bytes (and the same names)."""
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    if files != sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file()):
        return False
    return all(filecmp.cmp(a / f, b / f, shallow=False) for f in files)


def scale(count: int, runs: int, main_py: list[str], tmp: Path) -> dict[str, float | bool]:
    envs = tmp / f"envs-{count}"
    envs.mkdir()
    write_copies(envs, count)
    extra = {"PLATFORM_ENVIRONMENTS_DIR": str(envs)}
    fast, plain, ratios = [], [], []
    same = True
    for i in range(runs):
        a_out, b_out = tmp / f"a-{count}-{i}", tmp / f"b-{count}-{i}"
        fast.append(timed_run(main_py, a_out, {**extra, **FAST}))
        plain.append(timed_run(main_py, b_out, {**extra, **PLAIN}))
        ratios.append(fast[-1] / plain[-1])
        same = same and identical(a_out, b_out)
        shutil.rmtree(a_out)
        shutil.rmtree(b_out)
        print(f"  {count:>2} environments, round {i + 1}: {fast[-1]:.2f} s with the speed-ups, {plain[-1]:.2f} s without ({ratios[-1]:.2f}x)", flush=True)
    return {"fast": statistics.median(fast), "plain": statistics.median(plain), "ratio": statistics.median(ratios), "same": same}


def imports(runs: int, main_py: list[str], tmp: Path) -> tuple[float, float, float]:
    """(project median s, normal imports median s, median ratio) at the shipped set, in turn."""
    normal = [sys.executable, str(ROOT / "tools" / "normal_imports.py")]
    ours, theirs = [], []
    for i in range(runs):
        ours.append(timed_run(main_py, tmp / f"imp-a-{i}"))
        theirs.append(timed_run(normal, tmp / f"imp-b-{i}"))
        print(f"  shipped set, round {i + 1}: {ours[-1]:.2f} s project, {theirs[-1]:.2f} s normal imports", flush=True)
    return statistics.median(ours), statistics.median(theirs), statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def make_target(target: str, env: dict[str, str] | None = None) -> tuple[float, int]:
    start = time.perf_counter()
    code = subprocess.run(["make", "--no-print-directory", target], cwd=ROOT, env={**os.environ, **(env or {})}, check=False).returncode
    return time.perf_counter() - start, code


def has_target(target: str) -> bool:
    return subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, check=False).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="A B rounds per scale (default 3)")
    parser.add_argument("--scales", default="1,4,16,64", help="environment counts (default 1,4,16,64)")
    parser.add_argument("--no-make-test", action="store_true", help="leave out make test's wall time and make bench-plan")
    args = parser.parse_args()
    main_py = [sys.executable, str(ROOT / "main.py")]
    load_before = os.getloadavg()[0]
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (int(n) for n in args.scales.split(",")):
            results[count] = scale(count, args.runs, main_py, Path(tmp))
        project_s, normal_s, import_ratio = imports(args.runs, main_py, Path(tmp))
        peak = max(peak_rss(main_py, Path(tmp) / f"mem-{i}") for i in range(2))
    load_after = os.getloadavg()[0]
    test_s, test_code = (0.0, 0) if args.no_make_test else make_target("test")
    with tempfile.TemporaryDirectory(prefix="plan-bench-") as plan_dir:
        plan_result = Path(plan_dir) / "result.json"
        plan = None if args.no_make_test or not has_target("bench-plan") else make_target("bench-plan", {"PLAN_BENCH_RESULT": str(plan_result)})
        planned = json.loads(plan_result.read_text()) if plan_result.is_file() else None

    print()
    print(f"cores: {os.cpu_count()}, A B rounds per scale: {args.runs}, load average (1 min) before/after the synths: {load_before:.1f}/{load_after:.1f}")
    print(f"{'environments':>12}{'with s':>9}{'without s':>11}{'ratio':>8}  same bytes")
    for count, r in results.items():
        print(f"{count:>12}{r['fast']:>9.2f}{r['plain']:>11.2f}{r['ratio']:>8.2f}  {'yes' if r['same'] else 'NO'}")
    print(f"shipped set: project {project_s:.2f} s, normal imports {normal_s:.2f} s, ratio {import_ratio:.2f}; peak RSS {peak / 1e9:.2f} GB")
    if not args.no_make_test:
        print(f"make test: {test_s:.0f} s (exit {test_code})")
        print("make bench-plan: " + ("no such target yet" if plan is None else f"{plan[0]:.0f} s (exit {plan[1]}), its figures above"))
    print("targets:")
    verdicts = [(f"synth at {n} environments <= {SYNTH_TARGET}x without the speed-ups", r["ratio"] <= SYNTH_TARGET) for n, r in results.items()]
    verdicts += [(f"same bytes at {n} environments", bool(r["same"])) for n, r in results.items()]
    verdicts.append((f"cheap / normal imports <= {IMPORTS_TARGET}", import_ratio <= IMPORTS_TARGET))
    if not args.no_make_test:
        verdicts.append((f"make test <= {TEST_TARGET_S} s (idle, 2 cores)", test_s <= TEST_TARGET_S and test_code == 0))
    if planned is not None:
        verdicts.append(
            (
                f"PR plan of local <= {PLAN_TARGET}x the plan as made before (make bench-plan: {planned['ratio']:.2f}x, reports "
                + ("equal)" if planned["same_reports"] else "DIFFER)"),
                planned["ratio"] <= PLAN_TARGET and planned["same_reports"],
            )
        )
    for label, ok in verdicts:
        print(f"  {'met   ' if ok else 'MISSED'} {label}")
    if planned is None and not args.no_make_test:
        print(f"  MISSED PR plan <= {PLAN_TARGET}x: make bench-plan " + ("is not a target" if plan is None else f"wrote no figures (exit {plan[1]})"))
    return 0 if all(r["same"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
