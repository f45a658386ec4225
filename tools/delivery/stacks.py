"""An environment's synthesized stacks as Terraform working directories: their order, the
environment Terraform runs with, and one Terraform command in one of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, TextIO

from environments import load_environments
from tools.cli import UserError
from tools.delivery.changes import OUTDIR, REPO


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


def terraform_env() -> dict[str, str]:
    from tools.terraform import terraform_env as mirrored_env

    if os.environ.get("PLATFORM_PROVIDERS_FROM_REGISTRY") == "1":
        return {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    env = mirrored_env()
    if env is None:
        raise UserError(
            "no terraform or offline aws provider mirror here; install Terraform >= 1.10, or set PLATFORM_PROVIDERS_FROM_REGISTRY=1 to use the registry"
        )
    return env


# What Terraform printed -> the one thing to do. Checked in this order; the first match wins.
_HINTS = (
    (
        ("Failed to query available provider packages", "could not connect to registry", "Failed to install provider", "registry.terraform.io: "),
        "the provider registry is unreachable: check the network, or unset PLATFORM_PROVIDERS_FROM_REGISTRY to use the offline mirror (TF_PROVIDER_MIRROR)",
    ),
    (
        ("Unsupported Terraform Core version",),
        "this Terraform is older than the stack requires: install the version in .github/workflows/test.yml (TERRAFORM_VERSION)",
    ),
    (
        ("No valid credential sources found", "NoCredentialProviders", "InvalidClientTokenId", "ExpiredToken", "failed to refresh cached credentials"),
        "AWS credentials: `aws sts get-caller-identity` must work (docs/troubleshooting.md)",
    ),
)


def terraform_hint(output: str) -> str:
    """The fix for a failed Terraform run, judged from what it printed ("" when unknown)."""
    return next((hint for needles, hint in _HINTS if any(n in output for n in needles)), "")


def _text(stream: object) -> str:
    return stream.decode(errors="replace") if isinstance(stream, bytes) else stream if isinstance(stream, str) else ""


def run_terraform(args: list[str], cwd: Path, env: dict[str, str], *, log: TextIO | None = None, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
    """Run ``terraform args`` in ``cwd``; a failure is a UserError whose last words say what to do.
    Terraform's stderr is passed through (after the run) unless the caller captures it.

    With ``log`` (a stack planned beside others: tools/delivery/plan_jobs.py) what would reach
    stderr is written there instead, Terraform's stdout first, then its stderr, as a run alone
    prints them; the caller passes ``stdout=subprocess.PIPE`` for that."""
    out = log or sys.stderr
    print(f"+ ({cwd.name}) terraform {' '.join(args)}", file=out, flush=True)
    relay = not kwargs.get("capture_output") and "stderr" not in kwargs
    if relay:
        kwargs["stderr"] = subprocess.PIPE
    echo = log is not None and kwargs.get("stdout") == subprocess.PIPE
    kwargs.setdefault("check", True)
    try:
        proc = subprocess.run(["terraform", *args], cwd=cwd, env=env, **kwargs)
    except subprocess.CalledProcessError as exc:
        # Alone, a stdout passed through is not in the exception: the hint reads the same text either way.
        output = _text(exc.stderr) + ("" if echo else _text(exc.stdout))
        if echo and exc.stdout:
            out.write(_text(exc.stdout))
        if relay and output:
            out.write(output)
        hint = terraform_hint(output)
        raise UserError(f"{cwd.name}: terraform {args[0]} failed (exit {exc.returncode}); " + (hint or "Terraform's message is above"), 1) from None
    except FileNotFoundError:
        raise UserError("terraform is not installed or not on PATH (Terraform >= 1.10)") from None
    if echo and proc.stdout:
        out.write(_text(proc.stdout))
    if relay and proc.stderr:
        out.write(proc.stderr.decode(errors="replace"))
    return proc


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
