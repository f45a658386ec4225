"""Record an accepted IAM linter finding on the resource whose policy has it, with its reason.

The IAM lint gate (``tools/gates/iam_lint.py``, parliament over every policy document of every stack)
passes a finding only when the resource holding the document carries
``"//": {"iam_lint_accept": {"<PARLIAMENT_ISSUE>": "<reason>"}}``, as the checkov gate reads
``modules.shared.checkov.skip``. An acceptance the resource no longer needs fails the gate too.
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf import TerraformResource

ACCEPT_KEY = "iam_lint_accept"


def accept(resource: TerraformResource, issue: str, reason: str) -> None:
    """Accept parliament finding ``issue`` (e.g. ``UNKNOWN_ACTION``) on ``resource`` for ``reason``."""
    if not reason.strip():
        raise ValueError(f"an accepted IAM lint finding {issue} needs a reason")
    if not issue.replace("_", "").isalnum() or not issue.isupper():
        raise ValueError(f"{issue!r} is not a parliament issue id (UPPER_SNAKE_CASE)")
    resource.add_override(f"//.{ACCEPT_KEY}.{issue}", reason)


def accept_all(resource: TerraformResource, reasons: Mapping[str, str]) -> None:
    for issue, reason in reasons.items():
        accept(resource, issue, reason)
