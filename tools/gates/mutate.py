"""Mutation testing of the pure code (``make mutate``): mutmut 3 breaks each module in small ways,
one mutant at a time, and runs the fast tests that need no synth against it; a mutant the tests do
not notice ("survived") is a behaviour no test pins down.

    .venv-mutate/bin/python -m tools.gates.mutate [MODULE ...]     # default: every module below

Each module runs in its own scratch copy of the repository (``.work/mutate/<module>/``) with one
worker (the machine is shared; ``--max-children`` raises it), so modules can also be run one at a
time. Prints, per module, killed / total and the surviving mutants with their diffs, and exits 1
when a module is under ``--min-score`` (85%).

Equivalent mutants (a change no test can observe because the behaviour does not change) are marked
in the source with ``# pragma: no mutate`` and the reason next to it.

mutmut 3 mutates function and method bodies; it leaves decorated functions (the schema's pydantic
validators) and class-level ``Field(...)`` constraints alone. Those rules are covered instead by one
bad input each in tests/config/test_config_rules.py, which fails when a rule is deleted.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".work" / "mutate"

CONFIG_TESTS = (
    "tests/config/test_config.py",
    "tests/config/test_config_rules.py",
    "tests/config/test_loader_errors.py",
    "tests/config/test_config_layering.py",
    "tests/config/test_addons_config.py",
)
ADDON_TESTS = (
    "tests/config/test_addons_config.py",
    "tests/catalog/test_addon_specs.py",
    "tests/catalog/test_addon_registry.py",
    "tests/catalog/test_headlamp_values.py",
)
PLAN_TESTS = ("tests/review/test_plan_report.py", "tests/review/test_plan_report_rules.py", "tests/review/test_plan_report_format.py")
# The render checks on hand-built manifests (their runs over real renders need synth + Helm).
RENDER_CHECK_TESTS = ("tests/render/test_render_check_fit.py", "tests/render/test_render_check_irsa.py", "tests/render/test_render_check_rules.py")

# module -> the fast tests (no synth) that judge it.
TARGETS: dict[str, tuple[str, ...]] = {
    "environments/schema.py": CONFIG_TESTS,
    "catalog/fields.py": CONFIG_TESTS,
    "environments/loader.py": CONFIG_TESTS,
    "tools/plan_report.py": PLAN_TESTS,
    "tools/review/rules.py": PLAN_TESTS,
    "tools/gates/checkov.py": ("tests/stacks/test_checkov_gate.py",),
    **{f"catalog/addons/{p.name}": ADDON_TESTS for p in sorted((ROOT / "catalog" / "addons").glob("*.py")) if p.name != "__init__.py"},
    **{f"tools/render/checks/{p.name}": RENDER_CHECK_TESTS for p in sorted((ROOT / "tools" / "render" / "checks").glob("*.py"))},
}
# Lines whose mutants are equivalent (no test can tell, because no behaviour changes), by pattern:
EQUIVALENT = {
    r'"Sid": ': "an IAM statement id is a label; IAM evaluates Effect/Action/Resource/Condition only",
    r"help=": "argparse help text is read by people, not by the program",
    r"description=": "argparse description text is read by people, not by the program",
    r"^\s*check=False,\s*$": "subprocess.run's check defaults to False, and None is as false: the exit code is judged after the call",
    r"\.errors\(include_url=False\)": "pydantic's error URL is a key no message reads (they use loc, msg, type, input)",
}
# Copied into each scratch repository: what the tests import.
COPY = ("catalog", "environments", "modules", "tools", "stacks", "main.py", "reference")


def _scratch(name: str, modules: list[str], tests: tuple[str, ...]) -> Path:
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for item in COPY:
        src = ROOT / item
        if src.is_dir():
            shutil.copytree(src, work / item, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, work / item)
    # The whole test tree (helpers, conftest, area packages); only ``tests`` are selected below.
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "e2e"))
    (work / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\n"
        'testpaths = ["tests"]\n'
        'addopts = "-p no:cacheprovider"\n'
        'markers = ["e2e: emulator tests"]\n\n'
        "[tool.mutmut]\n"
        'source_paths = ["catalog", "environments", "modules", "tools"]\n'
        f"only_mutate = [{', '.join(json.dumps(m) for m in modules)}]\n"
        f"pytest_add_cli_args_test_selection = [{', '.join(json.dumps(t) for t in tests)}]\n"
        'also_copy = ["stacks", "main.py", "reference"]\n'
        f"do_not_mutate_patterns = [{', '.join(json.dumps(p) for p in EQUIVALENT)}]\n"
    )
    return work


def _mutmut(work: Path, *args: str, timeout: float = 7200) -> subprocess.CompletedProcess[str]:
    mutmut = Path(sys.executable).parent / "mutmut"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PLATFORM_ENVIRONMENTS", "PLATFORM_ENVIRONMENTS_DIR", "CI")}
    # The scratch copy carries reference/ (COPY); the chart archives stay in the repository's cache.
    env.setdefault("PLATFORM_CHARTS_DIR", str(ROOT / ".work" / "charts"))
    return subprocess.run([str(mutmut), *args], cwd=work, env=env, capture_output=True, text=True, timeout=timeout, check=False)


# mutmut's exit codes (mutmut/stats.py): 1 and 3 kill, 0 survives, 5/33 no test ran it, 36 and the
# SIGXCPU codes are timeouts (counted as killed: the mutant made the code hang).
KILLED, SURVIVED, NO_TESTS, TIMEOUT = {1, 3}, {0}, {5, 33}, {36, 24, -24, 152, 255}


def _module_results(work: Path, module: str) -> dict[str, int | None]:
    meta = work / "mutants" / f"{module}.meta"
    return json.loads(meta.read_text())["exit_code_by_key"] if meta.exists() else {}


def run(modules: list[str], max_children: int) -> list[dict[str, Any]]:
    """One mutmut run over ``modules`` (they share their tests); one result per module."""
    tests = TARGETS[modules[0]]
    name = modules[0].replace("/", "_").removesuffix(".py") if len(modules) == 1 else modules[0].rsplit("/", 1)[0].replace("/", "_")
    work = _scratch(name, modules, tests)
    started = time.monotonic()
    proc = _mutmut(work, "run", "--max-children", str(max_children))
    seconds = time.monotonic() - started
    log = work / "mutmut-run.log"
    log.write_text(proc.stdout + proc.stderr)
    if not (work / "mutants").is_dir():
        raise SystemExit(f"mutate: mutmut did not run for {modules}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    results = []
    for module in modules:
        codes = _module_results(work, module)
        if codes and all(c is None for c in codes.values()):  # e.g. its clean test run failed: no verdict, not 100%
            raise SystemExit(
                f"mutate: mutmut judged none of the {len(codes)} mutants of {module} (exit {proc.returncode}); its output: {log}\n{proc.stderr[-3000:] or proc.stdout[-3000:]}"
            )
        killed = sum(1 for c in codes.values() if c in KILLED or c in TIMEOUT)
        survived = sorted(k for k, c in codes.items() if c in SURVIVED or c in NO_TESTS)
        other = len(codes) - killed - len(survived)
        judged = killed + len(survived)
        diffs = {k: _mutmut(work, "show", k).stdout for k in survived}
        results.append(
            {
                "module": module,
                "total": len(codes),
                "killed": killed,
                "survived": len(survived),
                "other": other,
                "score": round(100.0 * killed / judged, 1) if judged else 100.0,
                "seconds": round(seconds, 1),
                "run": name,
                "survivors": diffs,
            }
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.gates.mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help=f"modules to mutate (default: all {len(TARGETS)})")
    parser.add_argument("--max-children", type=int, default=1, help="parallel mutant workers (default 1: the machine is shared)")
    parser.add_argument("--min-score", type=float, default=85.0, help="fail under this killed percentage per module")
    parser.add_argument("--quiet", action="store_true", help="print the table only, not the surviving mutants' diffs")
    args = parser.parse_args(argv)
    unknown = [m for m in args.modules if m not in TARGETS]
    if unknown:
        print(f"mutate: unknown module(s) {unknown}; known: {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    results = []
    chosen = args.modules or list(TARGETS)
    groups: dict[tuple[str, ...], list[str]] = {}
    for module in chosen:  # modules judged by the same tests share one mutmut run
        groups.setdefault(TARGETS[module], []).append(module)
    for modules in groups.values():
        print(f"mutate: {', '.join(modules)} ...", flush=True)
        for result in run(modules, args.max_children):
            results.append(result)
            if not args.quiet:
                for name, diff in result["survivors"].items():
                    print(f"--- survived: {name}\n{diff.strip()}\n")
    print(f"\n{'module':44} {'killed':>6} {'survived':>8} {'total':>6} {'score':>6}  run (seconds)")
    failed = []
    for r in results:
        print(f"{r['module']:44} {r['killed']:6} {r['survived']:8} {r['total']:6} {r['score']:5.1f}%  {r['run']} ({r['seconds']})")
        if r["score"] < args.min_score:
            failed.append(r["module"])
    out = ROOT / ".work" / "mutate-report.json"
    out.write_text(json.dumps([{k: v for k, v in r.items()} for r in results], indent=2) + "\n")
    if failed:
        print(f"mutate: under {args.min_score:.0f}% killed: {', '.join(failed)} (surviving mutants above; report in {out})")
        return 1
    print(f"mutate: every module at or above {args.min_score:.0f}% killed (report in {out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
