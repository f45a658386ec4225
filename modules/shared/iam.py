"""IAM policy documents as plain, deterministic JSON (sorted keys), shared by every module.

Documents are built as Python dicts and serialized with ``json.dumps(sort_keys=True)``: tokens
inside them (ARNs of other resources) stay ``${...}`` interpolations in the string, so the JSON is
both reproducible and readable in a plan.
"""

from __future__ import annotations

import json
from typing import Any

Statement = dict[str, Any]


def document(*statements: Statement) -> str:
    """A policy document string from statements, keys sorted for byte-stable output."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust(*services: str, conditions: dict[str, Any] | None = None) -> str:
    """Trust policy letting AWS services assume a role, optionally conditioned (confused-deputy guard)."""
    statement: Statement = {
        "Effect": "Allow",
        "Principal": {"Service": sorted(services) if len(services) > 1 else services[0]},
        "Action": "sts:AssumeRole",
    }
    if conditions:
        statement["Condition"] = conditions
    return document(statement)


def managed_policy_arn(partition: str, name: str) -> str:
    """ARN of an AWS managed policy, e.g. ``AmazonEKSClusterPolicy``."""
    return f"arn:{partition}:iam::aws:policy/{name}"
