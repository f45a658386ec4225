"""Synthesize every environment under environments/ into cdktf.out/ (``make synth``).

Every file is validated before any construct exists; on a config error nothing is written and the
exit status is 2. ``PLATFORM_ENVIRONMENTS=dev,prod`` limits the output to those environments,
``PLATFORM_ENVIRONMENTS_DIR`` reads another directory of environment files, ``PLATFORM_OUTDIR`` moves the output, ``PLATFORM_QUIET=1`` drops the summary table.
A cluster version past EKS standard support prints a warning (``PLATFORM_TODAY=YYYY-MM-DD`` judges
another day than today, for tests).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from environments import ENVIRONMENTS_DIR, ConfigError, EnvironmentConfig, load_environments


def publish(partial: Path, outdir: Path, synthesized: set[str] | None = None, known: Collection[str] = ()) -> None:
    """Move freshly synthesized files from ``partial`` into ``outdir``, file by file.

    Only files the synth wrote are replaced: whatever Terraform keeps in a stack directory (the
    state stack's local ``terraform.<env>-state.tfstate`` before migration, ``.terraform/``)
    survives a re-synth. A stack directory the new synth no longer produces is removed only when it
    holds nothing but synthesized JSON. With ``synthesized`` (a synth of some environments only),
    the stacks and manifest entries of every other environment in ``known`` are left as they are.
    """
    outdir.mkdir(parents=True, exist_ok=True)
    fresh = {p.relative_to(partial) for p in partial.rglob("*") if p.is_file()}
    stacks = outdir / "stacks"
    ours = _owned_by(synthesized, known)
    if stacks.is_dir():
        for old in stacks.iterdir():
            if old.is_dir() and not (partial / "stacks" / old.name).exists() and ours(old.name):
                if all(f.name == "cdk.tf.json" for f in old.rglob("*")):
                    shutil.rmtree(old)
                else:
                    print(f"note: {old} is no longer synthesized but holds Terraform files; left in place", file=sys.stderr)
    kept = _kept_manifest_entries(outdir / "manifest.json", ours, stacks)
    for relative in sorted(fresh):
        target = outdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial / relative, target)
    if kept:
        manifest = json.loads((outdir / "manifest.json").read_text())
        manifest["stacks"] = {**kept, **manifest["stacks"]}
        (outdir / "manifest.json").write_text(json.dumps(manifest, indent=2))
    shutil.rmtree(partial)


def _owned_by(synthesized: set[str] | None, known: Collection[str]) -> Callable[[str], bool]:
    """Whether a stack directory belongs to this synth: every directory on a full synth; on a
    partial one, those of a synthesized environment or of no environment file at all (the longest
    environment name that prefixes ``<env>-<layer>`` owns it)."""

    def ours(stack: str) -> bool:
        if synthesized is None:
            return True
        owners = [e for e in {*known, *synthesized} if stack.startswith(f"{e}-")]
        return not owners or max(owners, key=len) in synthesized

    return ours


def _kept_manifest_entries(path: Path, ours: Callable[[str], bool], stacks: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        old = json.loads(path.read_text()).get("stacks", {})
    except (ValueError, AttributeError):
        return {}
    return {name: entry for name, entry in old.items() if not ours(name) and (stacks / name).is_dir()}


def warn_support_window(environments: list[EnvironmentConfig]) -> None:
    """A warning per environment whose Kubernetes minor is past EKS standard support."""
    from datetime import date

    from catalog.eks_versions import support_warning

    today = date.fromisoformat(os.environ["PLATFORM_TODAY"]) if os.environ.get("PLATFORM_TODAY") else date.today()
    for env in environments:
        warning = support_warning(env.cluster.version, env.cluster.upgrade_policy, today=today)
        if warning:
            print(f"warning: {env.name}: cluster.version: {warning}", file=sys.stderr)


def main() -> int:
    only = [n for n in os.environ.get("PLATFORM_ENVIRONMENTS", "").split(",") if n] or None
    try:
        directory = Path(os.environ.get("PLATFORM_ENVIRONMENTS_DIR", ENVIRONMENTS_DIR))
        environments = load_environments(directory, only=only)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    warn_support_window(environments)

    # Imported after validation, so a bad file fails in milliseconds. ``modules`` before cdktf: it
    # points jsii at the supported Node with the project's hooks (modules/_provider_packages.py),
    # which counts only when set before ``import cdktf`` starts jsii's Node. Kept apart from the
    # import block below, where sorting would put it after cdktf.
    from tools.synth_checks import TerraformVersion, check_stacks

    try:
        from modules._synth_speedups import enabled

        # cdktf's own validation runs `terraform version` once per stack with moved blocks, on the
        # synth's path; with the ``validation`` speed-up, one run in the background from here and
        # checks of the written JSON do what it did (tools/synth_checks.py).
        own_checks = enabled("validation")
    except ValueError as exc:  # a bad PLATFORM_SYNTH_SPEEDUPS
        print(f"error: {exc}", file=sys.stderr)
        return 2
    terraform = TerraformVersion() if own_checks else None

    from cdktf import App

    from stacks.environment import build_environment

    # The cdktf CLI passes its output directory in CDKTF_OUTDIR; honour it.
    outdir = Path(os.environ.get("CDKTF_OUTDIR") or os.environ.get("PLATFORM_OUTDIR") or "cdktf.out")
    # Build into a sibling directory and publish only when synthesis succeeded, so a failure never
    # leaves a half-written output behind.
    partial = outdir.with_name(outdir.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    from catalog.chart_archives import ChartMissing
    from modules.shared.crds import CrdError

    app = App(outdir=str(partial), skip_validation=own_checks)
    try:  # the CRD releases read the pinned chart archives (modules/shared/crds.py)
        names = [stack.node.id for env in environments for stack in build_environment(app, env).in_apply_order()]
        app.synth()
        failed = check_stacks(partial, names, terraform) if terraform is not None else []
    except (ChartMissing, CrdError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        if terraform is not None:
            terraform.close()
    if failed:
        print("error: synth validation failed:\n  " + "\n  ".join(failed), file=sys.stderr)
        shutil.rmtree(partial, ignore_errors=True)
        return 2
    known = {p.stem for p in directory.glob("*.yaml")}
    publish(partial, outdir, None if only is None else {e.name for e in environments}, known)
    if os.environ.get("PLATFORM_QUIET") != "1":
        from tools.synth_report import print_table, summarize

        print_table(summarize(outdir, names), Path.cwd())
    return 0


if __name__ == "__main__":
    sys.exit(main())
