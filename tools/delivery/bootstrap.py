"""``make bootstrap ENV=<env>``: take a new account from nothing to an environment whose state stack
keeps its state in the bucket it created, with the GitHub CI roles in place. One command:

1. synthesize the environment (its state stack on local state: ``state_stack_in_s3: false``);
2. ``terraform apply`` the state stack with the caller's (administrator's) credentials: the state
   bucket and key, and with a ``ci:`` section the GitHub OIDC provider and the plan/apply roles;
3. set ``state_backend.state_stack_in_s3: true`` in the environment file (one line, comments kept);
4. synthesize again and ``terraform init -migrate-state`` the state stack into its bucket;
5. plan it again: it must show no changes (else stop, naming the stack);
6. keep the local state file as ``<file>.migrated`` (the bucket is now the record).

Run it where you have the account's administrator credentials; commit the environment file
afterwards. Re-running it on a bootstrapped environment only checks that the state stack plans
clean. ``--environments DIR`` and ``--outdir DIR`` (default ``cdktf.out``) move the inputs and
output (the end-to-end test uses them).

An environment with an ``emulator:`` section (``make bootstrap ENV=local``) never goes to AWS. With
``AWS_ENDPOINT_URL`` naming an emulator it runs there as above. Otherwise it rehearses: a fresh
emulator of its own, a scratch copy of the file under ``.work/bootstrap/<env>/`` (so the
repository's file keeps ``state_stack_in_s3: false`` and ``make local-up`` keeps working), then the
emulator stops.

    python -m tools.delivery.bootstrap <env> [--environments DIR] [--outdir DIR]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from environments import load_environments, parse_environment
from environments.state_backend import S3StateBackend
from tools.cli import UserError, guarded
from tools.delivery.stacks import terraform_env
from tools.emulator import Emulator

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".work" / "bootstrap"


def _say(message: str) -> None:
    print(f"bootstrap: {message}", file=sys.stderr, flush=True)


def synth(environments: Path, name: str, outdir: Path) -> Path:
    """Synthesize ``name`` with main.py into ``outdir``; the state stack's directory."""
    env = dict(os.environ, PLATFORM_ENVIRONMENTS_DIR=str(environments), PLATFORM_ENVIRONMENTS=name, PLATFORM_OUTDIR=str(outdir), PLATFORM_QUIET="1")
    proc = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UserError(f"synth of {name} failed: {proc.stderr.strip()}")
    return outdir / "stacks" / f"{name}-state"


def terraform(stack_dir: Path, env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> int:
    _say(f"({stack_dir.name}) terraform {' '.join(args)}")
    try:
        code = subprocess.run(["terraform", *args], cwd=stack_dir, env=env, stdout=sys.stderr, check=False).returncode
    except FileNotFoundError:
        raise UserError("terraform is not installed or not on PATH (Terraform >= 1.10)") from None
    if code not in ok:
        raise UserError(f"{stack_dir.name}: terraform {args[0]} failed (exit {code}); Terraform's message is above", 1)
    return code


_BLOCK = re.compile(r"^state_backend:\s*(#.*)?$")
_FLAG = re.compile(r"^(\s+)state_stack_in_s3:\s*[^#\s]*(\s*#.*)?$")


def set_state_stack_in_s3(path: Path) -> None:
    """Set ``state_backend.state_stack_in_s3: true`` in ``path``, changing or adding one line and
    keeping every comment; the file is parsed again to prove the result."""
    original = path.read_text(encoding="utf-8")
    lines = original.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _BLOCK.match(line.rstrip("\n"))), None)
    if start is None:
        raise UserError(f"{path}: state_backend: is not a block mapping here; set state_stack_in_s3: true by hand and run again")
    end, indent, last = start + 1, None, start
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith((" ", "\t", "#"))):
        text = lines[end].rstrip("\n")
        if text.strip() and not text.lstrip().startswith("#"):
            indent = indent or text[: len(text) - len(text.lstrip())]
            last = end
            match = _FLAG.match(text)
            if match:
                lines[end] = f"{match.group(1)}state_stack_in_s3: true{match.group(2) or ''}\n"
                break
        end += 1
    else:
        lines.insert(last + 1, f"{indent or '  '}state_stack_in_s3: true\n")
    path.write_text("".join(lines), encoding="utf-8")
    try:
        ok = getattr(parse_environment(path).state_backend, "state_stack_in_s3", False)
    except Exception:
        ok = False
    if not ok:
        path.write_text(original, encoding="utf-8")
        raise UserError(f"{path}: could not set state_backend.state_stack_in_s3: true (file restored); set it by hand and run again")


def bootstrap(environments: Path, name: str, outdir: Path) -> int:
    env = load_environments(environments, only=[name])[0]
    if env.emulator is not None and not os.environ.get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:"):
        return rehearse(environments, name)
    return _bootstrap(environments, name, outdir, terraform_env())


def rehearse(environments: Path, name: str) -> int:
    """Bootstrap an emulator environment on a fresh emulator, from a scratch copy of its file."""
    work = WORK / name
    shutil.rmtree(work, ignore_errors=True)
    (work / "environments").mkdir(parents=True)
    file = next(p for p in sorted(environments.glob("*.yaml")) if parse_environment(p).name == name)
    shutil.copy(file, work / "environments" / file.name)
    _say(f"{name} has an emulator: section: rehearsing on a fresh emulator with a copy of {file} in {work} (the file is not changed)")
    emulator = Emulator(log_path=work / "emulator.log").start()
    try:
        _bootstrap(work / "environments", name, work / "cdktf.out", emulator.terraform_env(terraform_env()))
    finally:
        emulator.stop()
    _say(f"rehearsal done and emulator stopped; {file} is unchanged. The full loop: make local-up")
    return 0


def _bootstrap(environments: Path, name: str, outdir: Path, tf: dict[str, str]) -> int:
    env = load_environments(environments, only=[name])[0]
    backend = env.state_backend
    if not isinstance(backend, S3StateBackend):
        raise UserError(f"{name}: state_backend.kind is cloud: bootstrap the Terraform Cloud trust as docs/delivery.md describes")
    file = next(p for p in sorted(environments.glob("*.yaml")) if parse_environment(p).name == name)
    if backend.state_stack_in_s3:
        stack = synth(environments, name, outdir)
        _say(f"{file} already has state_stack_in_s3: true; checking that {stack.name} plans clean in its bucket")
        try:
            terraform(stack, tf, "init", "-input=false", "-no-color")
        except UserError:
            raise UserError(
                f"{stack.name}: cannot use s3://{backend.bucket} (above). On a new account set state_backend.state_stack_in_s3: false "
                f"in {file} and run `make bootstrap ENV={name}` again",
                1,
            ) from None
        _check_clean(stack, tf)
        _say("nothing to do")
        return 0

    stack = synth(environments, name, outdir)
    local_state = stack / f"terraform.{stack.name}.tfstate"
    _say(f"1/4 applying {stack.name} on local state ({local_state})")
    terraform(stack, tf, "init", "-input=false", "-no-color")
    terraform(stack, tf, "apply", "-input=false", "-no-color", "-auto-approve")

    _say(f"2/4 setting state_backend.state_stack_in_s3: true in {file}")
    set_state_stack_in_s3(file)
    _say(f"3/4 migrating {stack.name}'s state into s3://{backend.bucket}")
    synth(environments, name, outdir)
    terraform(stack, tf, "init", "-input=false", "-no-color", "-migrate-state", "-force-copy")
    _say(f"4/4 planning {stack.name} again from the bucket")
    _check_clean(stack, tf)
    for leftover in (local_state, local_state.with_name(local_state.name + ".backup")):
        if leftover.exists():
            leftover.replace(leftover.with_name(leftover.name + ".migrated"))
    commit = "" if env.emulator is not None else f" Commit {file}; next steps: docs/getting-started.md"
    _say(f"done: {stack.name} keeps its state in s3://{backend.bucket}.{commit}")
    subprocess.run(["terraform", "output"], cwd=stack, env=tf, check=False)
    return 0


def _check_clean(stack: Path, tf: dict[str, str]) -> None:
    code = terraform(stack, tf, "plan", "-input=false", "-no-color", "-detailed-exitcode", ok=(0, 2))
    if code == 2:
        raise UserError(f"{stack.name}: the plan after migration is not empty (above); nothing was changed by this check", 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.delivery.bootstrap", description=__doc__.split("\n\n")[0])
    parser.add_argument("environment")
    parser.add_argument("--environments", type=Path, default=ROOT / "environments")
    parser.add_argument("--outdir", type=Path, default=Path(os.environ.get("PLATFORM_OUTDIR") or ROOT / "cdktf.out"))
    args = parser.parse_args(argv)
    return guarded("tools.delivery.bootstrap", lambda: bootstrap(args.environments.resolve(), args.environment, args.outdir.resolve()))


if __name__ == "__main__":
    sys.exit(main())
