"""``<env>-storage``: EFS with mount targets in every private subnet and its file system policy (when enabled)."""

from __future__ import annotations

from constructs import Construct

from environments.schema import EnvironmentConfig
from modules.cluster.eks import ClusterOutputs
from modules.network.vpc import NetworkOutputs
from modules.storage.efs import Efs, EfsOutputs
from modules.storage.efs_policy import EfsPolicy
from stacks.base import AwsStack


class StorageStack(AwsStack):
    def __init__(self, scope: Construct, env: EnvironmentConfig, *, network: NetworkOutputs, cluster: ClusterOutputs) -> None:
        super().__init__(scope, env, "storage")
        efs = Efs(
            self,
            "efs",
            name=env.name,
            kms_key_arn=cluster.kms_key_arn,
            vpc_id=network.vpc_id,
            nfs_client_security_group_id=cluster.cluster_security_group_id,
            subnet_ids=network.private_subnet_ids,
            access_points=dict(env.storage.efs_access_points),
            backups=env.storage.efs_backups,
        )
        EfsPolicy(
            self,
            "efs-policy",
            file_system_id=efs.outputs.file_system_id,
            file_system_arn=efs.outputs.file_system_arn,
            require_access_point=env.storage.efs_require_access_point,
        )
        self.outputs: EfsOutputs = efs.outputs
        self.output("efs_id", efs.outputs.file_system_id, "EFS file system ID")
