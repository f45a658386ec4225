from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from environments import load_environments
from tools.cli import UserError, guarded
from tools.delivery.cdktf import cdktf
from tools.delivery.changes import (
    OUTDIR,
    REPO,
    _changed_files,
    _name_in_file,
    affected,
    ci_matrix,
    deployable_environments,
)
from tools.delivery.plan_jobs import default_jobs
from tools.delivery.promotion import gate_markdown, pending
from tools.delivery.reviewed import apply_reviewed
from tools.delivery.runs import apply, apply_saved, plan
from tools.delivery.stacks import stack_order
from tools.delivery.state import outputs_markdown

EXIT_GATE_CLOSED = 5


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.delivery")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("affected")
    p.add_argument("--base", required=True, help="git ref the change is compared with (three-dot diff)")
    p = sub.add_parser("ci-matrix", help="GITHUB_OUTPUT lines: affected environments with runner, region, roles, promotion waves")
    p.add_argument("--base", help="git ref the change is compared with (three-dot diff)")
    p.add_argument("--environment", help="just this environment (a manual dispatch)")
    p.add_argument("--pending", action="store_true", help="also every recorded environment behind HEAD (tools/delivery/promotion.py)")
    p = sub.add_parser("gate", help="whether ENVIRONMENT may deploy COMMIT (every ci.after environment applied it); Markdown on stdout")
    p.add_argument("environment")
    p.add_argument("--commit", default="HEAD")
    sub.add_parser("stacks").add_argument("environment")
    p = sub.add_parser("outputs", help="Markdown table of every stack's outputs (after a deploy)")
    p.add_argument("environment")
    p.add_argument("--outdir", type=Path, default=OUTDIR)
    sub.add_parser("region").add_argument("environment")
    p = sub.add_parser("plan")
    p.add_argument("environment")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--lock", action="store_true", help="take the state lock while planning")
    p.add_argument("--outdir", type=Path, default=OUTDIR, help="synthesized output to plan (default cdktf.out)")
    p.add_argument("--save", action="store_true", help="keep each binary plan as <out>/<stack>.tfplan for apply --plans (implies --defer)")
    p.add_argument("--defer", action="store_true", help="do not plan stacks whose upstream outputs this plan changes (out/deferred.txt)")
    p.add_argument(
        "--no-cluster-refresh", action="store_true", help="plan the helm/kubernetes stacks from state, without refresh (pull requests: no cluster access)"
    )
    p.add_argument(
        "--jobs",
        type=_jobs,
        default=default_jobs(),
        help="stacks planned at once (default: this machine's cores); the reports are those of --jobs 1, one stack after another",
    )
    p.add_argument(
        "--no-reuse-provider",
        action="store_true",
        help="let Terraform start the AWS provider for each command, instead of one process per stack for its plan and show (same reports)",
    )
    p = sub.add_parser("apply")
    p.add_argument("environment")
    p.add_argument("--plans", type=Path, help="apply exactly the saved plans in this directory (plan --save)")
    p.add_argument("--reviewed", type=Path, help="apply what the plans' JSON in this directory shows, re-planned now (plan --defer --out)")
    p.add_argument("--summary", type=Path, help="with --reviewed: append what was applied, per stack, as Markdown")
    p.add_argument("--outdir", type=Path, default=OUTDIR, help="synthesized output the plans were made from (default cdktf.out)")
    p = sub.add_parser("cdktf")
    p.add_argument("command_", metavar="command", choices=["synth", "diff", "deploy", "destroy"])
    p.add_argument("environment")
    p.add_argument("--aws-only", action="store_true", help="leave out the helm/kubernetes stack")
    p.add_argument("--include-state", action="store_true", help="destroy: also destroy the state stack (its bucket must be empty)")
    p.add_argument("--outdir", type=Path, help="synthesis output directory (default cdktf.out.d/<env>)")
    args = parser.parse_args(argv)

    return guarded("tools.delivery", lambda: _dispatch(args))


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "affected":
        changed = _changed_files(args.base)
        environments = deployable_environments()
        if changed is None:
            print(f"tools.delivery: no git base ({args.base}): every environment is affected", file=sys.stderr)
            print(json.dumps(environments))
        else:
            print(json.dumps(affected(changed, environments, lambda p: _name_in_file(p, args.base))))
    elif args.command == "ci-matrix":
        if args.environment:
            load_environments(REPO / "environments", only=[args.environment])  # validated: an unknown name raises
            names = [args.environment]
        else:
            if not args.base and not args.pending:
                raise UserError("ci-matrix needs --base <git ref>, --pending or --environment <name>")
            deployable = deployable_environments()
            changed = _changed_files(args.base) if args.base else []
            hit = set(deployable if changed is None else affected(changed, deployable, lambda p: _name_in_file(p, args.base)))
            if args.pending:
                hit.update(pending())
            names = [e for e in deployable if e in hit]
        for key, value in ci_matrix(names).items():
            print(f"{key}={json.dumps(value, separators=(',', ':'))}")
    elif args.command == "gate":
        is_open, text = gate_markdown(args.environment, args.commit)
        print(text, end="")
        print(f"tools.delivery: promotion gate of {args.environment}: {'open' if is_open else 'closed'}", file=sys.stderr)
        return 0 if is_open else EXIT_GATE_CLOSED
    elif args.command == "outputs":
        print(outputs_markdown(args.environment, args.outdir), end="")
    elif args.command == "stacks":
        print("\n".join(stack_order(args.environment)))
    elif args.command == "region":
        print(next(e.region for e in load_environments(only=[args.environment])))
    elif args.command == "plan":
        for path in plan(
            args.environment,
            args.out,
            lock=args.lock,
            outdir=args.outdir,
            save=args.save,
            defer=args.defer,
            refresh_cluster=not args.no_cluster_refresh,
            jobs=args.jobs,
            reuse_provider=not args.no_reuse_provider,
        ):
            print(path)
    elif args.command == "apply":
        if args.reviewed is not None:
            return apply_reviewed(args.environment, args.reviewed, args.outdir, args.summary)
        if args.plans is not None:
            return apply_saved(args.environment, args.plans, args.outdir)
        apply(args.environment, args.outdir)
    elif args.command == "cdktf":
        return cdktf(args.command_, args.environment, aws_only=args.aws_only, include_state=args.include_state, outdir=args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
