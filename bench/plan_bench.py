"""Plan benchmark: the pull-request plan of the ``local`` environment on the AWS emulator as it was
made before (``--jobs 1 --no-reuse-provider``: one stack after another, Terraform starting the AWS
provider for each command) against the default (``--jobs N``, default the cores: stacks planned at
once, one provider process per stack for its plan and show), and, to say which part of the gain
is whose, one stack after another with that one provider process (``--jobs 1``).

Brings ``local`` up as the end-to-end tests do (tests/e2e/e2e_support.py's environment file,
tools/local_workspace.py's synth and per-stack apply, tools/emulator's moto on 127.0.0.1), keeping
the stacks real Terraform can apply here (the AWS-only ones: no helm or kubernetes provider can be
had offline), then times the whole ``python -m tools.delivery plan local --defer
--no-cluster-refresh`` process as plan.yml runs it, each from stack directories never initialized
(as a pull request's runner has them), in turn: before, serial, concurrent, before, ...
Each round gives a ratio (concurrent / before), so a machine whose speed drifts during the run
still gives a fair figure. Every run's reports (each stack's JSON, deferred.txt, exit code, the
Terraform commands it ran in order and its deferrals) must equal the warm-up run's (made as before),
Terraform's ``timestamp`` and the order of its ``relevant_attributes`` aside. Prints the medians,
the median ratio against the target, and the load average while it ran (other work slows every
figure).

    python bench/plan_bench.py [--rounds 3] [--jobs N]      # make bench-plan
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.e2e_support import copy_stacks, local_environment  # noqa: E402
from tools.delivery.plan_jobs import default_jobs  # noqa: E402
from tools.emulator import Emulator  # noqa: E402
from tools.local_workspace import Workspace, synth  # noqa: E402

ENV = "local"
TARGET_RATIO = 0.5  # the default plan's wall time at most half the plan's as it was made before
BEFORE = ["--jobs", "1", "--no-reuse-provider"]
RESULT_ENV = "PLAN_BENCH_RESULT"  # where to write the figures as JSON, when set


def applied(tmp: Path) -> tuple[Emulator, Path, Path]:
    """The emulator (started) with every AWS-only stack of ``local`` applied; (emulator, the stacks'
    output directory, the environments directory)."""
    environments = local_environment(tmp / "environments")
    synthesized = tmp / "synth"
    stacks = synth(environments, ENV, synthesized)
    outdir = copy_stacks(synthesized, stacks, tmp / "stacks")
    # The plan covers the stacks in the manifest: only the applied ones.
    manifest = json.loads((synthesized / "manifest.json").read_text())
    manifest["stacks"] = {k: v for k, v in manifest["stacks"].items() if k in stacks}
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    emulator = Emulator(log_path=tmp / "emulator.log").start()
    workspace = Workspace(outdir=outdir, stacks=stacks, emulator=emulator, logs=tmp / "logs")
    for stack in stacks:
        started = time.monotonic()
        workspace.apply(stack)
        print(f"  applied {stack} in {time.monotonic() - started:.0f}s", flush=True)
    return emulator, outdir, environments


def comparable(out: Path, stderr: str, rc: int) -> dict[str, Any]:
    """A run's reports, without what differs between two plans of the same state (the plan's time)."""
    files: dict[str, Any] = {}
    for path in sorted(out.iterdir()):
        text = path.read_text()
        if path.suffix == ".json":
            doc = json.loads(text)
            if isinstance(doc, dict):
                doc.pop("timestamp", None)
                # In no fixed order from one run to the next in Terraform 1.11 (hashicorp/terraform#36076).
                doc["relevant_attributes"] = sorted(doc.get("relevant_attributes") or [], key=json.dumps)
            files[path.name] = doc
        else:
            files[path.name] = text
    # What the command says (each Terraform command it runs, in order, and each deferral); not
    # Terraform's own lines, which carry timings ("Read complete after 1s").
    said = [line for line in stderr.splitlines() if line.startswith(("+ (", "tools.delivery")) or ": deferred: " in line]
    return {"rc": rc, "files": files, "said": said}


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two runs' reports first differ (``file.json/key/0/...``), or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            found = first_difference(a.get(key), b.get(key), f"{path}/{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return next((f for i, (x, y) in enumerate(zip(a, b, strict=True)) if (f := first_difference(x, y, f"{path}/{i}"))), None)
    return None if a == b else f"{path}: {json.dumps(a)[:160]} != {json.dumps(b)[:160]}"


def fresh_copy(outdir: Path, dest: Path) -> Path:
    """The synthesized stacks as a pull request's runner has them: never initialized (no
    .terraform, no lock file); Terraform's plugin cache stays warm, as the workflows' cache keeps it."""
    shutil.copytree(outdir, dest, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "tfplan"))
    return dest


def plan_once(env: dict[str, str], outdir: Path, out: Path, flags: list[str]) -> tuple[float, dict[str, Any]]:
    """One timed run, from a fresh copy of ``outdir`` (made before the clock starts)."""
    outdir = fresh_copy(outdir, out.with_name(out.name + "-stacks"))
    command = [sys.executable, "-m", "tools.delivery", "plan", ENV, "--defer", "--no-cluster-refresh", "--outdir", str(outdir), "--out", str(out)]
    started = time.perf_counter()
    proc = subprocess.run([*command, *flags], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"plan {' '.join(flags)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return elapsed, comparable(out, proc.stderr.replace(str(out), "<out>"), proc.returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of before/serial/concurrent runs timed, in turn (default 3)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="--jobs of the concurrent runs (default: the planner's own default)")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.jobs < 2:
        parser.error("--rounds must be at least 1 and --jobs at least 2")
    kinds = {"before": BEFORE, "serial": ["--jobs", "1"], "concurrent": ["--jobs", str(args.jobs)]}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="plan-bench-") as name:
        tmp = Path(name)
        print(f"bringing {ENV} up on the emulator (synth, apply every AWS-only stack)", flush=True)
        emulator, outdir, environments = applied(tmp)
        try:
            env = {**emulator.terraform_env(dict(os.environ)), "PLATFORM_ENVIRONMENTS_DIR": str(environments)}
            # Not timed: fills Terraform's plugin cache, as the workflows' cache has it.
            _, reference = plan_once(env, outdir, tmp / "warm-up", BEFORE)
            times: dict[str, list[float]] = {kind: [] for kind in kinds}
            ratios, differing = [], []
            for i in range(args.rounds):
                for kind, flags in kinds.items():
                    seconds, reports = plan_once(env, outdir, tmp / f"{kind}-{i}", flags)
                    times[kind].append(seconds)
                    if reports != reference:
                        differing.append(f"{kind} run {i + 1} ({first_difference(reference, reports)})")
                    print(f"  round {i + 1} {kind:10} ({' '.join(flags)}): {seconds:6.1f}s", flush=True)
                ratios.append(times["concurrent"][-1] / times["before"][-1])
        finally:
            emulator.stop()
    load_after = os.getloadavg()
    medians = {kind: statistics.median(t) for kind, t in times.items()}
    ratio = statistics.median(ratios)
    print(f"\nplan of {ENV} on the emulator, {args.rounds} round(s) run in turn, {os.cpu_count()} cores:")
    for kind, flags in kinds.items():
        print(f"  {kind:10} ({' '.join(flags):31}) median {medians[kind]:6.1f}s   runs {', '.join(f'{t:.1f}' for t in times[kind])}")
    print(f"  one provider process per stack alone: {medians['serial'] / medians['before']:.2f}x before (medians)")
    print(f"  ratio concurrent/before per round {', '.join(f'{r:.2f}' for r in ratios)}; median {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"  load average (1, 5, 15 min) before {', '.join(f'{x:.2f}' for x in load_before)}; after {', '.join(f'{x:.2f}' for x in load_after)}")
    print("  reports: " + (f"DIFFER from the warm-up run's in {'; '.join(differing)}" if differing else "every run's equal the warm-up run's (made as before)"))
    print(f"  target: {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
    if os.environ.get(RESULT_ENV):  # make bench (bench/synth_bench.py) prints the verdict with its own
        Path(os.environ[RESULT_ENV]).write_text(json.dumps({"ratio": ratio, "target": TARGET_RATIO, "same_reports": not differing, "medians": medians}))
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
