"""Plan benchmark: the pull-request plan of the ``local`` environment on the AWS emulator, one stack
after another (``--jobs 1``) against stacks planned at once (``--jobs N``, default the cores).

Brings ``local`` up as the end-to-end tests do (tests/e2e/e2e_support.py's environment file,
tools/local_workspace.py's synth and per-stack apply, tools/emulator's moto on 127.0.0.1), keeping
the stacks real Terraform can apply here (the AWS-only ones: no helm or kubernetes provider can be
had offline), then times the whole ``python -m tools.delivery plan local --defer
--no-cluster-refresh`` process as plan.yml runs it, in turn: serial, concurrent, serial, ... Each
pair gives a ratio (concurrent / serial), so a machine whose speed drifts during the run still
gives a fair figure. Every run's reports (each stack's JSON, deferred.txt, exit code, the Terraform
commands it ran in order and its deferrals) must equal the warm-up serial run's, Terraform's
``timestamp`` and the order of its ``relevant_attributes`` aside. Prints the medians, the median
ratio against the target, and the load average while it ran (other work slows every figure).

    python bench/plan_bench.py [--pairs 3] [--jobs N]      # make bench-plan
"""

from __future__ import annotations

import argparse
import json
import os
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
TARGET_RATIO = 0.5  # concurrent plan wall time at most half the serial one


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


def plan_once(env: dict[str, str], outdir: Path, out: Path, jobs: int) -> tuple[float, dict[str, Any]]:
    command = [sys.executable, "-m", "tools.delivery", "plan", ENV, "--defer", "--no-cluster-refresh", "--outdir", str(outdir), "--out", str(out)]
    started = time.perf_counter()
    proc = subprocess.run([*command, "--jobs", str(jobs)], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"plan --jobs {jobs} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return elapsed, comparable(out, proc.stderr.replace(str(out), "<out>"), proc.returncode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=3, help="serial/concurrent pairs timed, in turn (default 3)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="--jobs of the concurrent runs (default: the cores)")
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.jobs < 2:
        parser.error("--pairs must be at least 1 and --jobs at least 2")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="plan-bench-") as name:
        tmp = Path(name)
        print(f"bringing {ENV} up on the emulator (synth, apply every AWS-only stack)", flush=True)
        emulator, outdir, environments = applied(tmp)
        try:
            env = {**emulator.terraform_env(dict(os.environ)), "PLATFORM_ENVIRONMENTS_DIR": str(environments)}
            # Not timed: the first init of each stack links the providers into .terraform/.
            _, reference = plan_once(env, outdir, tmp / "warm-up", 1)
            times: dict[str, list[float]] = {"serial": [], "concurrent": []}
            ratios, differing = [], []
            for i in range(args.pairs):
                for label, jobs in (("serial", 1), ("concurrent", args.jobs)):
                    seconds, reports = plan_once(env, outdir, tmp / f"{label}-{i}", jobs)
                    times[label].append(seconds)
                    if reports != reference:
                        differing.append(f"{label} run {i + 1} ({first_difference(reference, reports)})")
                    print(f"  pair {i + 1} {label:10} (--jobs {jobs}): {seconds:6.1f}s", flush=True)
                ratios.append(times["concurrent"][-1] / times["serial"][-1])
        finally:
            emulator.stop()
    load_after = os.getloadavg()
    serial, concurrent, ratio = statistics.median(times["serial"]), statistics.median(times["concurrent"]), statistics.median(ratios)
    print(f"\nplan of {ENV} on the emulator, {args.pairs} pair(s) run in turn, {os.cpu_count()} cores:")
    print(f"  serial     (--jobs 1)  median {serial:6.1f}s   runs {', '.join(f'{t:.1f}' for t in times['serial'])}")
    print(f"  concurrent (--jobs {args.jobs})  median {concurrent:6.1f}s   runs {', '.join(f'{t:.1f}' for t in times['concurrent'])}")
    print(f"  ratio concurrent/serial per pair {', '.join(f'{r:.2f}' for r in ratios)}; median {ratio:.2f} (target <= {TARGET_RATIO})")
    print(f"  load average (1, 5, 15 min) before {', '.join(f'{x:.2f}' for x in load_before)}; after {', '.join(f'{x:.2f}' for x in load_after)}")
    print("  reports: " + (f"DIFFER from the warm-up serial run's in {'; '.join(differing)}" if differing else "every run's equal the serial run's"))
    print(f"  target: {'met' if ratio <= TARGET_RATIO else 'NOT met'}")
    return 1 if differing else 0


if __name__ == "__main__":
    sys.exit(main())
