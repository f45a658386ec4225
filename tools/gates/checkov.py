"""Security gate: checkov over synthesized stacks; a failure passes only with a reason in code.

checkov's ``terraform_json`` framework ignores inline skip comments, so exceptions are recorded by
``modules.shared.checkov.skip`` on the resource itself (``"//": {"checkov_skip": {id: reason}}``) and this
gate applies them: every failed check must be accepted *on the failing resource*, with a reason.

    python -m tools.gates.checkov [cdktf.out/stacks/<stack> ...]   # default: every stack
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


@dataclass(frozen=True)
class Finding:
    stack: str
    resource: str
    check_id: str
    check_name: str
    reason: str | None  # the accepted reason, None when the failure is not accepted


def _skips(stack_dir: Path) -> dict[str, dict[str, str]]:
    """Logical resource name -> {check id: reason}, from the stack's cdk.tf.json."""
    doc = json.loads((stack_dir / "cdk.tf.json").read_text())
    found: dict[str, dict[str, str]] = {}
    for by_name in doc.get("resource", {}).values():
        for name, body in by_name.items():
            skip = body.get("//", {}).get("checkov_skip")
            if skip:
                found[name] = skip
    return found


def _without_moved(stacks_root: Path, scratch: Path) -> Path:
    """A copy of every ``<stack>/cdk.tf.json`` under ``stacks_root`` without its ``moved`` blocks,
    which checkov's JSON parser cannot read (they hold no resource, nothing to check)."""
    for path in sorted(stacks_root.glob("**/cdk.tf.json")):
        doc = json.loads(path.read_text())
        doc.pop("moved", None)
        target = scratch / path.parent.relative_to(stacks_root) / "cdk.tf.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(doc))
    return scratch


def run_checkov(stacks_root: Path) -> tuple[list[dict], list[dict]]:
    """checkov's (failed, passed) checks for every cdk.tf.json under ``stacks_root``."""
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", LOG_LEVEL="ERROR")
    with tempfile.TemporaryDirectory() as scratch:
        proc = subprocess.run(
            [str(CHECKOV), "--framework", "terraform_json", "-d", str(_without_moved(stacks_root, Path(scratch))), "--skip-download", "-o", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    if proc.returncode not in (0, 1) or not proc.stdout.strip():
        raise RuntimeError(f"checkov did not run (exit {proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    failed: list[dict] = []
    passed: list[dict] = []
    for r in reports:
        if r.get("summary", {}).get("parsing_errors"):
            raise RuntimeError(f"checkov could not parse: {r['results'].get('parsing_errors')}")
        failed.extend(r.get("results", {}).get("failed_checks", []))
        passed.extend(r.get("results", {}).get("passed_checks", []))
    return failed, passed


def _stack_of(check: dict) -> str:
    return Path(check["file_path"].lstrip("/")).parent.name or Path(check["file_abs_path"]).parent.name


def evaluate(stacks_root: Path) -> list[Finding]:
    """Every failed check, with the reason it is accepted (None when it is not).

    A skip annotation for a check that *passes* on its resource is reported as a failure of its
    own (check id ``STALE_SKIP:<id>``): an exception nobody needs any more must be deleted.
    """
    findings = []
    skips_by_stack: dict[str, dict[str, dict[str, str]]] = {}
    failed, passed = run_checkov(stacks_root)
    for check in passed:
        stack = _stack_of(check)
        if stack not in skips_by_stack:
            skips_by_stack[stack] = _skips(stacks_root / stack)
        if check["check_id"] in skips_by_stack[stack].get(check["resource"].split(".")[-1], {}):
            findings.append(Finding(stack, check["resource"], f"STALE_SKIP:{check['check_id']}", "skip annotation for a check that passes", None))
    for check in failed:
        stack = _stack_of(check)
        if stack not in skips_by_stack:
            skips_by_stack[stack] = _skips(stacks_root / stack)
        name = check["resource"].split(".")[-1]
        reason = skips_by_stack[stack].get(name, {}).get(check["check_id"])
        findings.append(Finding(stack, check["resource"], check["check_id"], check["check_name"], reason))
    return sorted(findings, key=lambda f: (f.stack, f.resource, f.check_id))


def main(argv: list[str]) -> int:
    from tools.cli import guarded

    return guarded("tools.gates.checkov", lambda: _main(argv))


def _main(argv: list[str]) -> int:
    from rich.console import Console
    from rich.table import Table

    from tools.cli import UserError

    if not CHECKOV.exists():
        raise UserError(f"{CHECKOV.relative_to(ROOT)} is missing: run `make checkov-venv` (or `make checkov`, which creates it)")
    roots = [Path(a) for a in argv] or [ROOT / "cdktf.out" / "stacks"]
    for root in roots:
        if not root.is_dir():
            raise UserError(f"{root} does not exist: run `make synth` first (or name synthesized stack directories)")
    console = Console()
    unaccepted = 0
    for root in roots:
        # A single stack directory is scanned through its parent so file paths keep the stack name.
        scan_root, only = (root.parent, root.name) if (root / "cdk.tf.json").exists() else (root, None)
        findings = [f for f in evaluate(scan_root) if only is None or f.stack == only]
        table = Table(title=f"checkov failures under {root}")
        for column in ("stack", "resource", "check", "accepted because"):
            table.add_column(column)
        for f in findings:
            table.add_row(f.stack, f.resource, f.check_id, f.reason or "[bold red]NOT ACCEPTED[/]")
        console.print(table)
        unaccepted += sum(1 for f in findings if f.reason is None)
    if unaccepted:
        console.print(f"[bold red]{unaccepted} failed check(s) without an accepted reason[/]")
        return 1
    console.print("[green]checkov: no unaccepted failures[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
