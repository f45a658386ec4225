"""The EFS file system policy as a pure function, and its switch in the schema.

The synthesized policy of each environment is checked in tests/stacks/test_stacks.py; here the branch no
shipped environment takes (``efs_require_access_point: false``) and the schema's default. No synth.
"""

from __future__ import annotations

from environments.schema import StorageConfig
from modules.storage.efs_policy import statements

FS = "arn:aws:elasticfilesystem:eu-west-1:111111111111:file-system/fs-0123"


def test_access_points_are_required_unless_the_file_says_otherwise() -> None:
    assert StorageConfig().efs_require_access_point is True
    assert StorageConfig.model_validate({"efs_require_access_point": False}).efs_require_access_point is False


def test_without_the_access_point_requirement_tls_and_no_root_still_hold() -> None:
    required = {s["Sid"]: s for s in statements(FS, require_access_point=True)}
    relaxed = {s["Sid"]: s for s in statements(FS, require_access_point=False)}
    assert set(required) - set(relaxed) == {"DenyWithoutAccessPoint"}
    assert relaxed == {sid: s for sid, s in required.items() if sid != "DenyWithoutAccessPoint"}
    granted = [a for s in relaxed.values() if s["Effect"] == "Allow" for a in s["Action"]]
    assert "elasticfilesystem:ClientRootAccess" not in granted
    assert relaxed["DenyNonTls"]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_the_access_point_deny_spares_management_calls() -> None:
    """Terraform's own PutFileSystemPolicy carries no access point: a Deny on ``*`` without an
    access point would deny it, and EFS refuses such a policy (InvalidPolicyException, "policy
    lockout safety check": PutFileSystemPolicy's BypassPolicyLockoutSafetyCheck in botocore's
    EFS model)."""
    (deny,) = [s for s in statements(FS, require_access_point=True) if s["Sid"] == "DenyWithoutAccessPoint"]
    assert all(a.startswith("elasticfilesystem:Client") for a in deny["Action"]), deny["Action"]
