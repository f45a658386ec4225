"""EFS for ReadWriteMany volumes: encrypted, reachable only over NFS from inside the VPC."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.efs_access_point import (
    EfsAccessPoint,
    EfsAccessPointPosixUser,
    EfsAccessPointRootDirectory,
    EfsAccessPointRootDirectoryCreationInfo,
)
from cdktf_cdktf_provider_aws.efs_backup_policy import EfsBackupPolicy, EfsBackupPolicyBackupPolicy
from cdktf_cdktf_provider_aws.efs_file_system import EfsFileSystem, EfsFileSystemLifecyclePolicy
from cdktf_cdktf_provider_aws.efs_mount_target import EfsMountTarget
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from environments.schema import EfsAccessPoint as AccessPointConfig


@dataclass(frozen=True)
class EfsOutputs:
    file_system_id: str
    file_system_arn: str
    security_group_id: str
    access_point_ids: dict[str, str]


class Efs(Construct):
    """An encrypted (customer-managed KMS key) EFS file system with automatic backups.

    One mount target per private subnet (``subnet_count`` comes from config, since the subnet IDs
    are tokens whose length is unknown at synth time). The security group admits NFS (TCP 2049)
    from the VPC CIDR only and has no egress: NFS servers answer on the established connection.
    Access points pin each consumer to a root directory and a POSIX identity.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        kms_key_arn: str,
        vpc_id: str,
        vpc_cidr: str,
        subnet_ids: list[str],
        access_points: dict[str, AccessPointConfig],
        backups: bool = True,
    ) -> None:
        super().__init__(scope, id_)
        fs = EfsFileSystem(
            self,
            "fs",
            creation_token=name,
            encrypted=True,
            kms_key_id=kms_key_arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            lifecycle_policy=[
                EfsFileSystemLifecyclePolicy(transition_to_ia="AFTER_30_DAYS"),
                EfsFileSystemLifecyclePolicy(transition_to_primary_storage_class="AFTER_1_ACCESS"),
            ],
            tags={"Name": name},
        )
        if backups:  # false only for an emulator without the backup policy API (docs/emulator.md)
            EfsBackupPolicy(self, "backup", file_system_id=fs.id, backup_policy=EfsBackupPolicyBackupPolicy(status="ENABLED"))
        sg = SecurityGroup(
            self,
            "sg",
            name=f"{name}-efs",
            description=f"NFS to EFS {name} from inside the VPC only",
            vpc_id=vpc_id,
            tags={"Name": f"{name}-efs"},
        )
        VpcSecurityGroupIngressRule(
            self,
            "nfs-from-vpc",
            security_group_id=sg.id,
            description="NFS from the VPC (nodes and pods)",
            ip_protocol="tcp",
            from_port=2049,
            to_port=2049,
            cidr_ipv4=vpc_cidr,
        )
        for i, subnet_id in enumerate(subnet_ids):
            EfsMountTarget(self, f"mount-{i}", file_system_id=fs.id, subnet_id=subnet_id, security_groups=[sg.id])
        points: dict[str, str] = {}
        for key, ap in sorted(access_points.items()):
            point = EfsAccessPoint(
                self,
                f"ap-{key}",
                file_system_id=fs.id,
                posix_user=EfsAccessPointPosixUser(uid=ap.uid, gid=ap.gid),
                root_directory=EfsAccessPointRootDirectory(
                    path=ap.path,
                    creation_info=EfsAccessPointRootDirectoryCreationInfo(
                        owner_uid=ap.uid, owner_gid=ap.gid, permissions=ap.permissions
                    ),
                ),
                tags={"Name": f"{name}-{key}"},
            )
            points[key] = point.id
        self.outputs = EfsOutputs(file_system_id=fs.id, file_system_arn=fs.arn, security_group_id=sg.id, access_point_ids=points)
