"""Render the examples for an environment and judge them as its cluster would admit them.

    python -m tools.examples ENV [--namespace NS] [--examples DIR] [--outdir cdktf.out] [--check NAME ...]

Reads the environment's synthesized stacks (``make synth`` or main.py first) and renders its add-ons
(for their CRDs, StorageClasses, IngressClass and custom objects), then prints each example (or
why it does not apply here), the findings of the render checks and of every admission, the quota
headroom, and what could not be judged. Exit status: 0 admitted, 1 findings, 2 bad usage or a
missing tool.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from environments import ConfigError, load_environments
from tools.examples.catalog import EXAMPLES_DIR, ROOT, ExampleError, load_examples
from tools.examples.checks import ADMISSIONS, ExampleContext, ToolMissing, render_findings, run_admissions
from tools.examples.checks.quota import report
from tools.examples.platform import PlatformMissing, read_platform
from tools.examples.render import render_examples
from tools.examples.variables import TargetError, choose_target
from tools.render.charts import ChartMissing, search_dirs
from tools.render.environment import render_environment
from tools.render.helm import HelmMissing, find_helm
from tools.render.releases import Synthesized


def build_context(env_name: str, outdir: Path, examples_dir: Path, namespace: str | None) -> tuple[ExampleContext, dict[str, str]]:
    envs = {e.name: e for e in load_environments()}
    if env_name not in envs:
        raise TargetError(f"unknown environment {env_name!r}; known: {', '.join(sorted(envs))}")
    env = envs[env_name]
    helm = find_helm()
    addons = render_environment(helm, env, outdir, search_dirs()) if env.addons else None
    rendered_addons = list(addons.rendered) if addons else []
    platform = read_platform(Synthesized(outdir), env.name)
    target = choose_target(env, [o for r in rendered_addons for o in r.objects], namespace)
    examples = load_examples(examples_dir)
    rendered, skipped = render_examples(examples, target, helm)
    ctx = ExampleContext(target, platform, rendered, rendered_addons, {e.name: e for e in examples})
    return ctx, skipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.examples", description=__doc__.split("\n\n")[0])
    parser.add_argument("env", metavar="ENV")
    parser.add_argument("--namespace", help="a team namespace (default: the first restricted team namespace with a service account)")
    parser.add_argument("--examples", type=Path, default=EXAMPLES_DIR, help="the examples folder (default: examples/)")
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdktf.out")
    parser.add_argument(
        "--check", action="append", choices=sorted(ADMISSIONS), metavar="NAME", help=f"run only this admission (repeatable): {', '.join(sorted(ADMISSIONS))}"
    )
    args = parser.parse_args(argv)
    try:
        ctx, skipped = build_context(args.env, args.outdir, args.examples, args.namespace)
    except (ConfigError, TargetError, ExampleError, PlatformMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (HelmMissing, ChartMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    target = ctx.target
    print(f"{target.env.name}: examples in namespace {target.namespace} of team {target.team} (Pod Security {'/'.join(ctx.platform.psa(target.namespace))})")
    for item in ctx.examples:
        print(f"  {item.release.name:<16} {item.release.namespace:<16} {len(item.objects):>2} objects: {', '.join(sorted({o['kind'] for o in item.objects}))}")
    for name, reason in sorted(skipped.items()):
        print(f"  {name:<16} does not apply: {reason}")
    try:
        results = {**render_findings(ctx), **run_admissions(ctx, args.check)}
    except ToolMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    status = 0
    for name, findings in results.items():
        print(f"  check {name:<16} {'ok' if not findings else f'{len(findings)} finding(s)'}")
        for finding in sorted(findings):
            print(f"    - {finding}")
        status = max(status, 1 if findings else 0)
    for line in report(ctx):
        print(f"  quota {line}")
    for note in ctx.notes:
        print(f"  note: {note}")
    return status


if __name__ == "__main__":
    sys.exit(main())
