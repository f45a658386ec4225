"""The two contexts an add-on spec reads, each built here and only here from the outputs of the
stacks before it: :class:`~catalog.addons.base.AwsSide` for ``policy()`` in ``<env>-addons-aws``,
:class:`~catalog.addons.base.ClusterSide` for ``values()`` and ``custom_resources()`` in
``<env>-addons``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.addons.base import AwsSide, ClusterSide
from environments.schema import EnvironmentConfig
from modules.cluster.eks import ClusterOutputs
from modules.network.vpc import NetworkOutputs
from modules.storage.efs import EfsOutputs


def aws_side(
    env: EnvironmentConfig,
    options: Any,
    *,
    network: NetworkOutputs,
    cluster: ClusterOutputs,
    storage: EfsOutputs | None,
    bucket_arns: Mapping[str, str],
    queue_arn: str,
) -> AwsSide:
    return AwsSide(
        env=env,
        options=options,
        cluster_name=env.cluster_name,
        kms_key_arn=cluster.kms_key_arn,
        vpc_id=network.vpc_id,
        efs_file_system_arn=storage.file_system_arn if storage else "",
        bucket_arns=bucket_arns,
        queue_arn=queue_arn,
    )


def cluster_side(
    env: EnvironmentConfig,
    options: Any,
    *,
    network: NetworkOutputs | None = None,
    cluster: ClusterOutputs | None = None,
    storage: EfsOutputs | None = None,
    role_arn: str = "",
    identity: str = "irsa",
    bucket_names: Mapping[str, str] | None = None,
    queue_url: str = "",
) -> ClusterSide:
    return ClusterSide(
        env=env,
        options=options,
        cluster_name=env.cluster_name,
        kms_key_arn=cluster.kms_key_arn if cluster else "",
        vpc_id=network.vpc_id if network else "",
        efs_file_system_id=storage.file_system_id if storage else "",
        role_arn=role_arn,
        identity=identity,
        bucket_names=bucket_names or {},
        queue_url=queue_url,
    )
