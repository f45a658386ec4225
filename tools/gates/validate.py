"""``terraform validate`` every synthesized stack whose only provider is aws.

    python -m tools.gates.validate [cdktf.out]

Most of a validate is Terraform loading the aws provider's schema (about 3 s of CPU each time), so
validating 30 stacks one by one costs a minute and a half. All stacks are first validated at once,
as child modules of one scratch root configuration (the provider schema is loaded once; each
stack's backend block is ignored there, with a warning). Only when that reports an error, or
cannot run, are the stacks validated one by one, two at a time, as their own root modules: the
result and its diagnostics are then exactly a stack's own ``terraform validate``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tools.terraform import ROOT, aws_only, terraform, terraform_env


@dataclass(frozen=True)
class Result:
    stack: str
    ok: bool
    detail: str


def aws_only_stacks(outdir: Path) -> list[Path]:
    """Stack directories whose cdk.tf.json configures no provider but aws."""
    return [path.parent for path in sorted((outdir / "stacks").glob("*/cdk.tf.json")) if aws_only(path.parent)]


def init(stack_dir: Path, env: dict[str, str]) -> Result | None:
    """``terraform init -backend=false``; a failed Result, or None when it worked."""
    out = terraform(["init", "-backend=false", "-input=false", "-no-color"], stack_dir, env)
    return None if out.returncode == 0 else Result(stack_dir.name, False, out.stdout + out.stderr)


def validate(stack_dir: Path, env: dict[str, str]) -> Result:
    out = terraform(["validate", "-json", "-no-color"], stack_dir, env)
    report = json.loads(out.stdout or "{}")
    diagnostics = [f"{d['severity']}: {d['summary']}: {d.get('detail', '')}" for d in report.get("diagnostics", [])]
    return Result(stack_dir.name, bool(report.get("valid")) and out.returncode == 0, "\n".join(diagnostics) or out.stderr)


def validate_together(stacks: list[Path], env: dict[str, str]) -> bool:
    """True when every stack validates as a child module of one scratch root configuration; False
    when anything (init, an error diagnostic, an unexpected exit) says otherwise."""
    if not stacks:
        return True
    with tempfile.TemporaryDirectory(prefix="validate-", dir=stacks[0].parent.parent) as tmp:
        root = Path(tmp)
        modules = {d.name: {"source": os.path.relpath(d, root)} for d in stacks}  # ../stacks/<name>
        (root / "main.tf.json").write_text(json.dumps({"module": modules}, indent=1))
        if terraform(["init", "-backend=false", "-input=false", "-no-color"], root, env).returncode != 0:
            return False
        out = terraform(["validate", "-json", "-no-color"], root, env)
    try:
        report = json.loads(out.stdout or "{}")
    except json.JSONDecodeError:
        return False
    errors = [d for d in report.get("diagnostics", []) if d.get("severity") == "error"]
    return out.returncode == 0 and bool(report.get("valid")) and not errors


def validate_all(outdir: Path, env: dict[str, str]) -> list[Result]:
    """All stacks at once when they are all valid; otherwise one stack at a time (init one at a
    time: Terraform's plugin cache is not safe for concurrent inits), validated two at a time."""
    stacks = aws_only_stacks(outdir)
    if validate_together(stacks, env):
        return [Result(d.name, True, "") for d in stacks]
    failed_init = {d.name: r for d in stacks if (r := init(d, env)) is not None}
    ready = [d for d in stacks if d.name not in failed_init]
    with ThreadPoolExecutor(max_workers=2) as pool:
        validated = {r.stack: r for r in pool.map(lambda d: validate(d, env), ready)}
    return [failed_init.get(d.name) or validated[d.name] for d in stacks]


def main(argv: list[str]) -> int:
    from tools.cli import guarded

    return guarded("tools.gates.validate", lambda: _main(argv))


def _main(argv: list[str]) -> int:
    from tools.cli import UserError

    outdir = Path(argv[0]) if argv else ROOT / "cdktf.out"
    if not (outdir / "stacks").is_dir():
        raise UserError(f"nothing synthesized in {outdir}: run `make synth` first")
    env = terraform_env()
    if env is None:
        raise UserError("terraform or the local hashicorp/aws provider mirror is not on this machine: nothing validated", 1)
    results = validate_all(outdir, env)
    for r in results:
        print(f"{'ok  ' if r.ok else 'FAIL'} {r.stack}" + ("" if r.ok else f"\n{r.detail}"))
    return 0 if results and all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
