"""The EFS file system policy operations as Terraform uses them, on moto's EFS service.

moto 5.2.5 has PutFileSystemPolicy and DescribeFileSystemPolicy but no DeleteFileSystemPolicy
(``NotImplementedError``: every destroy of ``aws_efs_file_system_policy`` failed), answers an
unknown file system with a server error instead of ``FileSystemNotFound``, and stores any string
as a policy. ``aws_efs_file_system_policy`` (terraform-provider-aws
internal/service/efs/file_system_policy.go) calls Put on create and update, Describe on read (and
treats ``FileSystemNotFound`` and ``PolicyNotFound`` as gone), and Delete on destroy (ignoring
``FileSystemNotFound``).

``register()`` (once, in the server process) replaces moto's two handlers and adds the third:

- PutFileSystemPolicy: ``FileSystemNotFound`` for an unknown file system; ``InvalidPolicyException``
  for a policy that is not a JSON object with statements, is over 20,000 characters, or would fail
  the lockout safety check (simplified: an unconditioned Deny of PutFileSystemPolicy to everyone,
  unless ``BypassPolicyLockoutSafetyCheck``). AWS's full policy grammar and its real lockout
  evaluation are not emulated.
- DescribeFileSystemPolicy: the stored policy; ``PolicyNotFound`` when none (the default policy is
  in effect), ``FileSystemNotFound`` for an unknown file system.
- DeleteFileSystemPolicy: back to the default policy (also when none was set);
  ``FileSystemNotFound`` for an unknown file system.

The shapes are botocore's EFS model's (``tests/emulator/test_emulator_efs.py`` checks every request and raw
response against it). The policy is kept on moto's file system object, so it goes with it.
"""

from __future__ import annotations

import json
from typing import Any

_REGISTERED = False
MAX_POLICY_CHARS = 20_000  # botocore EFS model, PutFileSystemPolicy: "a 20,000 character limit"
_PUT_ACTIONS = ("*", "elasticfilesystem:*", "elasticfilesystem:PutFileSystemPolicy")
_JSON = {"Content-Type": "application/json"}


def _file_system(response: Any) -> Any:
    from moto.efs.exceptions import FileSystemNotFound

    file_system_id = response._get_param("FileSystemId")
    found = response.efs_backend.file_systems_by_id.get(file_system_id)
    if found is None:
        raise FileSystemNotFound(file_system_id)
    return found


def _invalid_policy(message: str) -> Exception:
    from moto.efs.exceptions import EFSError

    return EFSError("InvalidPolicyException", message)  # HTTP 400, as the model's error shape


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_problem(policy: Any, *, bypass_lockout_check: bool) -> str | None:
    """Why EFS would refuse ``policy`` (as far as the emulator checks), or None."""
    if not isinstance(policy, str) or not policy:
        return "Policy is required"
    if len(policy) > MAX_POLICY_CHARS:
        return f"Policy has {len(policy)} characters, more than {MAX_POLICY_CHARS}"
    try:
        document = json.loads(policy)
    except json.JSONDecodeError as error:
        return f"Policy is not valid JSON: {error.msg}"
    if not isinstance(document, dict) or not document.get("Statement"):
        return "Policy has no Statement"
    statements = _listed(document["Statement"])
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            return f"Statement {statement!r} needs Effect Allow or Deny"
    if bypass_lockout_check:
        return None
    for statement in statements:
        everyone = statement.get("Principal") in ("*", {"AWS": "*"})
        denies_put = any(action in _PUT_ACTIONS for action in _listed(statement.get("Action", [])))
        if statement["Effect"] == "Deny" and everyone and denies_put and not statement.get("Condition"):
            return "The policy would lock out the caller from future PutFileSystemPolicy requests (policy lockout safety check)"
    return None


def put_file_system_policy(self: Any) -> tuple[str, dict[str, Any]]:
    file_system = _file_system(self)
    policy = self._get_param("Policy")
    problem = policy_problem(policy, bypass_lockout_check=bool(self._get_param("BypassPolicyLockoutSafetyCheck")))
    if problem:
        raise _invalid_policy(problem)
    file_system.file_system_policy = policy
    return json.dumps({"FileSystemId": file_system.file_system_id, "Policy": policy}), _JSON


def describe_file_system_policy(self: Any) -> tuple[str, dict[str, Any]]:
    from moto.efs.exceptions import PolicyNotFound

    file_system = _file_system(self)
    if not file_system.file_system_policy:
        raise PolicyNotFound(f"File system {file_system.file_system_id} has no file system policy; the default policy is in effect.")
    return json.dumps({"FileSystemId": file_system.file_system_id, "Policy": file_system.file_system_policy}), _JSON


def delete_file_system_policy(self: Any) -> tuple[str, dict[str, Any]]:
    _file_system(self).file_system_policy = None
    return "{}", _JSON


HANDLERS = {
    "put_file_system_policy": put_file_system_policy,
    "describe_file_system_policy": describe_file_system_policy,
    "delete_file_system_policy": delete_file_system_policy,
}


def register() -> None:
    """Install the handlers on moto's EFS responses (idempotent). The URL of all three
    (``/2015-02-01/file-systems/{FileSystemId}/policy``) is routed by moto already."""
    global _REGISTERED
    if _REGISTERED:
        return
    from moto.efs.responses import EFSResponse

    for name, handler in HANDLERS.items():
        setattr(EFSResponse, name, handler)
    _REGISTERED = True
