"""Terraform over one environment's synthesized stacks, in dependency order: plan (saved or not,
with deferral of stacks whose upstream outputs change) and apply."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.cli import UserError
from tools.delivery.changes import OUTDIR
from tools.delivery.plan_jobs import in_order
from tools.delivery.provider_server import SharedInstall, installed_binary, serving, single_aws_configuration
from tools.delivery.scrub import scrub
from tools.delivery.stacks import (
    _refuse_local_backends,
    run_terraform,
    stack_order,
    terraform_env,
)
from tools.delivery.state import stacks_not_synthesized
from tools.review.plan import NOT_SYNTHESIZED
from tools.review.version_jump import refuse_version_jump

DEFERRED = "deferred.txt"


def _dependencies(outdir: Path) -> dict[str, list[str]]:
    return {name: list(s["dependencies"]) for name, s in json.loads((outdir / "manifest.json").read_text())["stacks"].items()}


def _talks_to_cluster(workdir: Path) -> bool:
    """Whether the stack configures a provider that reads the cluster (helm, kubernetes)."""
    return bool({"helm", "kubernetes"} & set(json.loads((workdir / "cdk.tf.json").read_text()).get("provider", {})))


def _cross_stack_outputs_change(shown: dict[str, Any]) -> bool:
    """Whether an apply of this plan changes an output another stack reads (cdktf names those
    ``cross-stack-output-*``): a dependent planned now would be planned against the old value."""
    changes = shown.get("output_changes") or {}
    return any(name.startswith("cross-stack-output-") and (change.get("actions") or ["no-op"]) != ["no-op"] for name, change in changes.items())


@dataclass
class _Planned:
    """One stack's plan as a run alone makes it: what it printed, its ``show -json``, or its failure."""

    log: str
    shown: dict[str, Any] | None = None
    error: UserError | None = None


def _plan_one(
    workdir: Path, env: dict[str, str], *, lock: bool, refresh_cluster: bool, init_lock: threading.Lock, reuse_provider: bool, shared: SharedInstall | None
) -> _Planned:
    """init, the version-jump check, plan and ``show -json`` of one stack, its output kept aside.
    With ``reuse_provider`` they use one AWS provider process (tools/delivery/provider_server.py),
    started from the plugin ``shared`` holds when there is one for this stack (its init then
    installs only the other providers), else from the one this stack's own init installed."""
    log = io.StringIO()
    piped: dict[str, Any] = {"stdout": subprocess.PIPE, "log": log}
    # Terraform hands every hashicorp/aws configuration of a stack to the one process it is given.
    reuse_provider = reuse_provider and single_aws_configuration(workdir)
    try:
        # One init at a time: Terraform's plugin cache is not safe for concurrent writers
        # (https://developer.hashicorp.com/terraform/cli/config/config-file#provider-plugin-cache).
        with init_lock:
            binary = shared.binary_for(workdir) if shared is not None and reuse_provider else None
            initialized = binary is None
            if initialized:
                run_terraform(["init", "-input=false", "-no-color"], workdir, env, **piped)
                if reuse_provider:
                    binary = installed_binary(workdir)
                    if shared is not None:
                        shared.offer(binary)
        (workdir / "tfplan").unlink(missing_ok=True)
        refresh = [] if refresh_cluster or not _talks_to_cluster(workdir) else ["-refresh=false"]
        with serving(workdir, env, log, binary=binary) if reuse_provider else nullcontext(env) as tf_env:
            if not initialized:
                with init_lock:
                    run_terraform(["init", "-input=false", "-no-color"], workdir, tf_env, **piped)
            # More than one Kubernetes minor past the state: refused before planning. (Its
            # ``state pull`` skips Terraform's hash of the provider binary when it is reattached.)
            refuse_version_jump(workdir, tf_env)
            planned = run_terraform(
                ["plan", "-input=false", "-no-color", f"-lock={str(lock).lower()}", *refresh, "-out=tfplan"], workdir, tf_env, check=False, **piped
            )
            if planned.returncode and not (workdir / "tfplan").is_file():
                raise UserError(f"{workdir.name}: terraform plan failed (exit {planned.returncode}); Terraform's message is above", 1)
            # A plan that failed but was saved (``errored``: e.g. it would destroy a prevent_destroy
            # resource) is kept: the report says what blocked it, and exits 3.
            shown = json.loads(run_terraform(["show", "-json", "tfplan"], workdir, tf_env, capture_output=True, log=log).stdout)
    except UserError as exc:
        return _Planned(log.getvalue(), error=exc)
    return _Planned(log.getvalue(), shown=shown)


def plan(
    env_name: str,
    out: Path,
    *,
    lock: bool = False,
    outdir: Path = OUTDIR,
    save: bool = False,
    defer: bool = False,
    refresh_cluster: bool = True,
    jobs: int = 1,
    reuse_provider: bool = True,
) -> list[Path]:
    """Plan every stack; ``out/<stack>.json`` is ``terraform show -json`` of its plan without its
    sensitive values (tools/delivery/scrub.py), and
    ``out/stacks-not-synthesized.json`` lists state objects no synthesized stack uses. With
    ``save`` the binary plan is kept too (``out/<stack>.tfplan``) for ``apply --plans``.

    With ``defer`` (implied by ``save``), a stack whose upstream stack's plan changes an output it
    reads (first deploy, a replaced VPC) is not planned, since its plan would not be the one
    applied: it is listed in ``out/deferred.txt`` instead and planned by the next run, after the
    upstream was applied. Without it such a stack is planned against the current outputs (or
    fails when they do not exist yet).

    Plans run without taking the state lock by default: the PR plan role is read-only and a
    review must never block an apply.

    Without ``refresh_cluster`` the stacks that talk to the cluster (helm/kubernetes providers) are
    planned from their state, without refresh (``-refresh=false``): a pull request's plan role has
    no cluster access (modules/state/github_ci.py), since refreshing a Helm release reads every
    Secret of its namespace.

    Up to ``jobs`` stacks plan at once (tools/delivery/plan_jobs.py); what is written, printed and
    raised is what ``jobs=1`` (one stack after another, in order) gives: each stack's output is
    printed in stack order, a stack found deferred only after it was planned has its plan dropped,
    and the first failing stack in order fails the run with nothing after it written.

    With ``reuse_provider`` (the default) a stack's state read, plan and ``show -json`` use one
    hashicorp/aws process started for it, and, unless ``save``, the stacks after the first that pin
    the same provider version reuse the plugin its init installed
    (tools/delivery/provider_server.py); the reports are the same as without.
    """
    stacks = stack_order(env_name, outdir)
    _refuse_local_backends(env_name, stacks, outdir)
    env = terraform_env()
    out.mkdir(parents=True, exist_ok=True)
    deps = _dependencies(outdir)
    moving: set[str] = set()
    deferred: dict[str, str] = {}
    written = []

    def blocked(stack: str) -> list[str]:
        return [d for d in deps.get(stack, []) if d in moving or d in deferred] if (defer or save) else []

    init_lock = threading.Lock()
    # A saved plan records the lock file it was made with: each stack's own init makes it whole.
    shared = SharedInstall() if reuse_provider and not save else None

    def task(stack: str) -> _Planned:
        return _plan_one(
            outdir / "stacks" / stack, env, lock=lock, refresh_cluster=refresh_cluster, init_lock=init_lock, reuse_provider=reuse_provider, shared=shared
        )

    for stack, result in in_order(stacks, task, jobs=jobs, skip=lambda s: bool(blocked(s))):
        upstream = blocked(stack)
        if upstream:
            deferred[stack] = f"planned after {upstream[0]} is applied (its outputs change)"
            print(f"{stack}: deferred: {deferred[stack]}", file=sys.stderr)
            continue
        assert result is not None  # only a blocked stack is kept from starting
        sys.stderr.write(result.log)
        sys.stderr.flush()
        if result.error is not None:
            raise result.error
        assert result.shown is not None
        if _cross_stack_outputs_change(result.shown):
            moving.add(stack)
        # Without sensitive values (tools/delivery/scrub.py): this file is uploaded and reviewed.
        target = out / f"{stack}.json"
        target.write_text(json.dumps(scrub(result.shown), separators=(",", ":")) + "\n")
        written.append(target)
        if save:
            shutil.copy2(outdir / "stacks" / stack / "tfplan", out / f"{stack}.tfplan")
    (out / DEFERRED).write_text("".join(f"{s}\t{why}\n" for s, why in deferred.items()))
    target = out / NOT_SYNTHESIZED
    target.write_text(json.dumps(stacks_not_synthesized(env_name, outdir), indent=2) + "\n")
    written.append(target)
    return written


EXIT_DEFERRED = 4


def apply_saved(env_name: str, plans: Path, outdir: Path = OUTDIR) -> int:
    """Apply exactly the plans ``plan --save`` wrote to ``plans``, stack by stack in order.

    Terraform refuses a saved plan whose stack's state changed since it was planned ("Saved plan
    is stale"): that stack and the ones after it are not applied, exit 1. A stack without changes
    is skipped. Deferred stacks (``deferred.txt``) are not applied: exit 4 says "run the deploy
    again" (it plans them against the outputs this run applied).
    """
    stacks = stack_order(env_name, outdir)
    _refuse_local_backends(env_name, stacks, outdir)
    deferred = [line.split("\t", 1)[0] for line in (plans / DEFERRED).read_text().splitlines()] if (plans / DEFERRED).exists() else []
    missing = [s for s in stacks if s not in deferred and not (plans / f"{s}.tfplan").is_file()]
    if missing:
        raise UserError(f"no saved plan for {', '.join(missing)} in {plans}: run `python -m tools.delivery plan {env_name} --save --out {plans}` first")
    env = terraform_env()
    for stack in stacks:
        if stack in deferred:
            continue
        shown = json.loads((plans / f"{stack}.json").read_text())
        changes = [rc for rc in shown.get("resource_changes") or [] if rc["change"]["actions"] not in (["no-op"], ["read"])]
        if not changes and not any((c.get("actions") or ["no-op"]) != ["no-op"] for c in (shown.get("output_changes") or {}).values()):
            print(f"{stack}: no changes", file=sys.stderr)
            continue
        workdir = outdir / "stacks" / stack
        run_terraform(["init", "-input=false", "-no-color"], workdir, env, stdout=sys.stderr)
        try:
            run_terraform(["apply", "-input=false", "-no-color", str((plans / f"{stack}.tfplan").resolve())], workdir, env, stdout=sys.stderr)
        except UserError:
            raise UserError(
                f"{stack}: the saved plan was not applied (stale: the stack changed since it was planned, or Terraform failed: above); "
                "this stack and the ones after it are unchanged by this run: plan and approve again",
                1,
            ) from None
    if deferred:
        print(f"tools.delivery: applied; not yet planned: {', '.join(deferred)}: run the deploy again", file=sys.stderr)
        return EXIT_DEFERRED
    return 0


def apply(env_name: str, outdir: Path = OUTDIR) -> None:
    """Plan and apply every stack in order (``terraform apply -auto-approve``): a workstation's
    path. CI applies saved, reviewed plans instead (``apply --plans``)."""
    stacks = stack_order(env_name, outdir)
    _refuse_local_backends(env_name, stacks, outdir)
    env = terraform_env()
    for stack in stacks:
        workdir = outdir / "stacks" / stack
        run_terraform(["init", "-input=false", "-no-color"], workdir, env)
        refuse_version_jump(workdir, env)
        run_terraform(["apply", "-input=false", "-no-color", "-auto-approve"], workdir, env)
