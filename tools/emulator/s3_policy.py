"""S3 bucket policies evaluated with their conditions, as AWS does.

moto 5.2's S3 passes no request context to the bucket policy, and its condition check knows only
``StringEquals`` and ignores every other operator (``moto/iam/policy_conditions.py``), so every
conditioned ``Deny`` with ``Principal: "*"`` matches every request: a correct policy such as the state
bucket's (deny writes that *ask* for another encryption) answers 403 to every write. AWS evaluates
the condition against the request (IAM User Guide, "IAM JSON policy elements: Condition
operators").

Here the request's context is taken from the request itself (the encryption headers, and
``aws:SecureTransport`` from its scheme: the emulator is plain HTTP on loopback, so ``false``) and
the policy is evaluated with IAM's rules for the operators below; an operator not listed still
matches (moto's behaviour, the conservative answer for a Deny). ``tests/emulator/test_emulator_s3_policy.py``
checks these answers against an independent IAM evaluator.
"""

from __future__ import annotations

import contextvars
import fnmatch
from typing import Any

# Request header -> condition key, for the keys the project's bucket policies use.
_HEADER_KEYS = {
    "x-amz-server-side-encryption": "s3:x-amz-server-side-encryption",
    "x-amz-server-side-encryption-aws-kms-key-id": "s3:x-amz-server-side-encryption-aws-kms-key-id",
}
_CONTEXT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("s3_policy_context", default=None)


def request_context(headers: Any, url: str) -> dict[str, str]:
    context = {"aws:SecureTransport": "true" if url.lower().startswith("https://") else "false"}
    for header, key in _HEADER_KEYS.items():
        value = headers.get(header) if headers is not None else None
        if value is not None:
            context[key] = str(value)
    return context


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    """One operator on one key, by the IAM User Guide's rules for a key absent from the request."""
    if operator == "Null":
        absent = key not in context or context[key] == ""
        return any((v.lower() == "true") == absent for v in _values(expected))
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    negated = "Not" in base
    if key not in context:
        return True if if_exists else negated
    actual = context[key]
    if base in ("StringEquals", "StringNotEquals"):
        hit = any(actual == v for v in _values(expected))
    elif base in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        hit = any(actual.lower() == v.lower() for v in _values(expected))
    elif base in ("StringLike", "StringNotLike", "ArnLike", "ArnNotLike", "ArnEquals", "ArnNotEquals"):
        hit = any(_matches(v, actual) for v in _values(expected))
    elif base == "Bool":
        hit = any(actual.lower() == v.lower() for v in _values(expected))
    else:
        return True  # an operator this emulator does not know: matches, as moto's own check does
    return not hit if negated else hit


def statement_applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}):
        return False  # moto checks no other principal either (moto/iam/access_control.py)
    if "Action" in statement:
        if not any(_matches(a, action, ignore_case=True) for a in _values(statement["Action"])):
            return False
    elif any(_matches(a, action, ignore_case=True) for a in _values(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        if not any(_matches(r, resource) for r in _values(statement["Resource"])):
            return False
    elif any(_matches(r, resource) for r in _values(statement.get("NotResource", []))):
        return False
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, expected in keys.items():
            if not condition_holds(operator, key, expected, context):
                return False
    return True


def decide(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> str:
    """ "DENIED", "PERMITTED" or "NEUTRAL" (moto's PermissionResult names)."""
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    applying = [s for s in statements if statement_applies(s, action, resource, context)]
    if any(s["Effect"] == "Deny" for s in applying):
        return "DENIED"
    return "PERMITTED" if applying else "NEUTRAL"


def install() -> None:
    """Make moto's S3 evaluate bucket policy conditions against each request."""
    import json

    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket
    from moto.s3.responses import S3Response

    setup_class = S3Response.setup_class

    def setup_class_with_context(self: Any, request: Any, full_url: str | None = None, *args: Any, **kwargs: Any) -> Any:
        result = setup_class(self, request, full_url, *args, **kwargs)
        url = full_url if full_url is not None else str(getattr(request, "url", ""))
        _CONTEXT.set(request_context(getattr(request, "headers", None), url))
        return result

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        policy = json.loads(self.policy.decode() if isinstance(self.policy, bytes) else self.policy)
        context = _CONTEXT.get() or {"aws:SecureTransport": "false"}
        return PermissionResult[decide(policy, action, resource, context)]

    S3Response.setup_class = setup_class_with_context  # type: ignore[method-assign]  # patching moto is what this function does
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]  # patching moto is what this function does
