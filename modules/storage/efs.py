"""EFS for ReadWriteMany volumes: encrypted, reachable over NFS from the cluster's nodes and pods only."""

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
from constructs import Construct

from catalog import names
from environments.storage import EfsAccessPoint as AccessPointConfig
from modules.shared.ingress_group import ingress_group


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
    from ``nfs_client_security_group_id`` only and has no egress: NFS servers answer on the
    established connection. That source is the EKS cluster security group, which every node and
    pod of the cluster carries: EKS puts it on managed nodes whose launch template names no
    security group (modules/cluster/node_groups.py names none;
    https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html) and on Fargate pods
    (https://repost.aws/knowledge-center/eks-configure-fargate-pod-security-group), Karpenter's
    nodes find it by tag (modules/addons/karpenter.py) and the secondary pod network's ENIConfigs
    name it (stacks/addons.py). Besides them only the control plane's own network interfaces
    carry it; nothing in the public subnets, no load balancer. Access points pin each consumer to a root directory and a POSIX identity. The
    file system policy is ``modules/storage/efs_policy.py``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        kms_key_arn: str,
        vpc_id: str,
        nfs_client_security_group_id: str,
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
        # The description predates the rule below; it stays (a new description replaces the group).
        sg = ingress_group(
            self,
            name=names.efs(name),
            description=f"NFS to EFS {name} from inside the VPC only",
            vpc_id=vpc_id,
            rule_id="nfs-from-cluster",
            rule_description="NFS from the cluster security group (nodes and pods)",
            port=2049,
            source_security_group_id=nfs_client_security_group_id,
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
                    creation_info=EfsAccessPointRootDirectoryCreationInfo(owner_uid=ap.uid, owner_gid=ap.gid, permissions=ap.permissions),
                ),
                tags={"Name": f"{name}-{key}"},
            )
            points[key] = point.id
        self.outputs = EfsOutputs(file_system_id=fs.id, file_system_arn=fs.arn, security_group_id=sg.id, access_point_ids=points)
