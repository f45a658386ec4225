"""``storage:`` — the EFS file system and its access points."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, Field, model_validator

from catalog.fields import K8sName, Strict


def _not_root(value: int) -> int:
    # EFS applies an access point's identity only with ClientRootAccess when it is 0, which the
    # file system policy (modules/storage/efs_policy.py) grants to nobody:
    # https://docs.aws.amazon.com/efs/latest/ug/enforce-identity-access-points.html
    if value == 0:
        raise ValueError("0 is root; EFS would refuse it (the file system policy grants no ClientRootAccess): use a non-root identity")
    return value


class EfsAccessPoint(Strict):
    path: str = Field(pattern=r"^/[A-Za-z0-9/_-]*$")
    uid: Annotated[int, Field(ge=0), AfterValidator(_not_root)]
    gid: Annotated[int, Field(ge=0), AfterValidator(_not_root)]
    permissions: str = Field(default="0750", pattern=r"^0?[0-7]{3}$")


class StorageConfig(Strict):
    efs: bool = True
    efs_access_points: dict[K8sName, EfsAccessPoint] = Field(default_factory=dict)
    efs_backups: bool = True
    """AWS Backup's automatic daily backups of the file system. ``false`` only for an emulator
    without the EFS backup policy API (moto, docs/emulator.md)."""
    efs_require_access_point: bool = True
    """The file system policy denies NFS clients that mount without an access point (each one
    pins a root directory and a POSIX identity). Every consumer here uses one: the StorageClass
    provisions an access point per volume, and ``efs_access_points`` are the static ones. ``false``
    admits mounts of the file system root again (still over TLS, still without root access)."""

    @model_validator(mode="after")
    def _access_points_need_efs(self) -> Self:
        if self.efs_access_points and not self.efs:
            raise ValueError("efs_access_points: access points need efs: true")
        return self
