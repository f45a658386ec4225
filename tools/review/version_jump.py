"""Refuse a Kubernetes version jump of more than one minor before anything is planned.

The environment file can only say where a cluster should be; where it *is* lives in the cluster
stack's state. ``check_stack`` compares the version in a stack's synthesized JSON with the one the
state records (``terraform state pull``) and returns the refusal in the loader's shape
(``<env file>: cluster.version: ...``). A stack without an EKS cluster, or without state yet (a
new environment), passes: the plan review (tools/review/upgrades.py) still names any jump it
sees in a plan, as a HIGH risk.

    python -m tools.review.version_jump cdktf.out/stacks/dev-cluster   # exit 2 with the message when refused
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tools.cli import UserError


class VersionJumpRefused(UserError):
    """A refusal (or an unreadable state): one clean line and exit 2 from every guarded entry point."""


def _minor(version: str) -> tuple[int, int]:
    major, minor = re.match(r"^(\d+)\.(\d+)", version).groups()  # type: ignore[union-attr]  # always "X.Y": the config's is validated, the state's is EKS's own
    return int(major), int(minor)


def configured_version(stack_json: dict[str, Any]) -> str | None:
    clusters = list((stack_json.get("resource") or {}).get("aws_eks_cluster", {}).values())
    return str(clusters[0]["version"]) if clusters else None


def recorded_version(state: dict[str, Any]) -> str | None:
    """The version of the EKS cluster a Terraform state (``terraform state pull``) records."""
    for resource in state.get("resources") or []:
        if resource.get("type") == "aws_eks_cluster" and resource.get("mode") == "managed":
            for instance in resource.get("instances") or []:
                version = (instance.get("attributes") or {}).get("version")
                if version:
                    return str(version)
    return None


def jump_problem(recorded: str | None, configured: str, *, env_file: str = "environments/<env>.yaml") -> str | None:
    """The refusal for moving from ``recorded`` to ``configured``, or None when it is allowed."""
    if recorded is None or recorded == configured:
        return None
    (old_major, old_minor), (new_major, new_minor) = _minor(recorded), _minor(configured)
    if (new_major, new_minor) < (old_major, old_minor):
        return (
            f"{env_file}: cluster.version: {configured} is older than {recorded}, the version the cluster runs (its stack's state); "
            "EKS cannot downgrade a cluster"
        )
    if new_major != old_major or new_minor - old_minor > 1:
        return (
            f"{env_file}: cluster.version: {configured} is more than one minor past {recorded}, the version the cluster runs "
            f"(its stack's state); EKS upgrades one minor at a time: set {old_major}.{old_minor + 1}, deploy, then continue"
        )
    return None


def state_pull(stack_dir: Path, env: dict[str, str]) -> dict[str, Any] | None:
    """``terraform state pull`` in an initialized stack directory; None when there is no state yet."""
    result = subprocess.run(["terraform", "state", "pull"], cwd=stack_dir, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise VersionJumpRefused(f"{stack_dir.name}: cannot read its state to check cluster.version: {result.stderr.strip()[-400:]}")
    return json.loads(result.stdout) if result.stdout.strip() else None


def check_stack(stack_dir: Path, env: dict[str, str], *, env_file: str | None = None) -> str | None:
    """The refusal for the stack in ``stack_dir`` (initialized), or None."""
    configured = configured_version(json.loads((stack_dir / "cdk.tf.json").read_text()))
    if configured is None:
        return None
    state = state_pull(stack_dir, env)
    name = stack_dir.name.rsplit("-", 1)[0]
    return jump_problem(recorded_version(state or {}), configured, env_file=env_file or f"environments/{name}.yaml")


def refuse_version_jump(stack_dir: Path, env: dict[str, str]) -> None:
    """Raise VersionJumpRefused when ``check_stack`` refuses (for the delivery commands)."""
    problem = check_stack(stack_dir, env)
    if problem:
        raise VersionJumpRefused(problem)


def main(argv: list[str] | None = None) -> int:
    import os

    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m tools.review.version_jump <initialized cluster stack directory>", file=sys.stderr)
        return 2
    try:
        problem = check_stack(Path(args[0]), dict(os.environ))
    except VersionJumpRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    if problem:
        print(f"refused before planning:\n  {problem}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
