"""Render every Helm release of environments and check the rendered objects.

    python -m tools.render [ENV ...] [--outdir cdktf.out] [--charts DIR] [--outputs DIR] [--no-check]

Reads ``<outdir>/stacks/<env>-addons/cdk.tf.json`` (run ``make synth`` first), writes
``<outdir>/rendered/<env>/<release>.yaml`` and prints each release's objects by kind, then the
findings of every check. ``--outputs DIR`` holds ``<stack>.json`` files of ``terraform output -json``
(a state): their values replace the apply-time placeholders. Exit status: 0 clean, 1 findings or a
render failure, 2 bad usage or missing Helm/chart.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from environments import ConfigError, load_environments
from tools.render.charts import ChartMissing, search_dirs
from tools.render.checks import Context, run_checks
from tools.render.environment import environment_releases, render_environment
from tools.render.helm import HelmMissing, find_helm
from tools.render.releases import load_outputs
from tools.render.render import RenderError

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.render", description=__doc__.split("\n\n")[0])
    parser.add_argument("envs", nargs="*", metavar="ENV", help="environments (default: every one with an add-ons stack)")
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdktf.out")
    parser.add_argument("--charts", type=Path, help="directory of <chart>-<version>.tgz archives, searched first")
    parser.add_argument("--outputs", type=Path, help="directory of <stack>.json (terraform output -json) to use instead of placeholders")
    parser.add_argument("--no-check", action="store_true", help="render only")
    args = parser.parse_args(argv)
    try:
        envs = {e.name: e for e in load_environments()}
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    unknown = [n for n in args.envs if n not in envs]
    if unknown:
        print(f"error: unknown environment {', '.join(unknown)}; known: {', '.join(sorted(envs))}", file=sys.stderr)
        return 2
    try:
        helm = find_helm()
    except HelmMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        outputs = load_outputs(args.outputs) if args.outputs else None
    except (OSError, ValueError, TypeError) as exc:
        print(f"error: --outputs {args.outputs}: not a directory of terraform output -json files ({exc})", file=sys.stderr)
        return 2
    chosen = [envs[n] for n in args.envs] if args.envs else [e for e in envs.values() if environment_releases(args.outdir, e)]
    status = 0
    for env in chosen:
        if not environment_releases(args.outdir, env, outputs):
            print(f"error: no {env.name}-addons stack with releases in {args.outdir}/stacks (make synth)", file=sys.stderr)
            status = max(status, 1)
            continue
        start = time.perf_counter()
        try:
            result = render_environment(helm, env, args.outdir, search_dirs(args.charts), outputs=outputs)
        except ChartMissing as exc:
            print(f"error: {env.name}: {exc}", file=sys.stderr)
            return 2
        except RenderError as exc:
            print(f"error: {env.name}: helm template failed: {exc}", file=sys.stderr)
            status = 1
            continue
        seconds = time.perf_counter() - start
        print(
            f"{env.name}: {len(result.rendered)} releases rendered at Kubernetes {env.cluster.version} in {seconds:.1f} s -> {args.outdir / 'rendered' / env.name}"
        )
        for item in result.rendered:
            kinds = Counter(o.get("kind", "?") for o in item.objects)
            summary = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
            print(
                f"  {item.release.name:<30} {item.release.chart if item.release.version else 'local chart':<28} {item.release.version or '':<9} {len(item.objects):>4} objects: {summary}"
            )
        for problem in result.problems:
            print(f"  error: {problem}")
            status = 1
        if args.no_check:
            continue
        ctx = Context(env, result.rendered, result.synth)
        for name, findings in run_checks(ctx).items():
            print(f"  check {name:<14} {'ok' if not findings else f'{len(findings)} finding(s)'}")
            for finding in findings:
                print(f"    - {finding}")
            status = max(status, 1 if findings else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
