"""``terraform validate`` every synthesized stack whose only provider is aws, two at a time.

    python -m tools.validate [cdktf.out]
"""

from __future__ import annotations

import json
import sys
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
    diagnostics = [
        f"{d['severity']}: {d['summary']}: {d.get('detail', '')}" for d in report.get("diagnostics", [])
    ]
    return Result(stack_dir.name, bool(report.get("valid")) and out.returncode == 0, "\n".join(diagnostics) or out.stderr)


def validate_all(outdir: Path, env: dict[str, str]) -> list[Result]:
    """Init one stack at a time (Terraform's plugin cache is not safe for concurrent inits), then
    validate two at a time."""
    stacks = aws_only_stacks(outdir)
    failed_init = {d.name: r for d in stacks if (r := init(d, env)) is not None}
    ready = [d for d in stacks if d.name not in failed_init]
    with ThreadPoolExecutor(max_workers=2) as pool:
        validated = {r.stack: r for r in pool.map(lambda d: validate(d, env), ready)}
    return [failed_init.get(d.name) or validated[d.name] for d in stacks]


def main(argv: list[str]) -> int:
    from tools.cli import guarded

    return guarded("tools.validate", lambda: _main(argv))


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
