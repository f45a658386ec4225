"""The EKS cluster security group on the emulator.

AWS creates one security group per cluster in the cluster's VPC (tagged
``kubernetes.io/cluster/<name>: owned`` and ``aws:eks:cluster-name``), reports it as
``resourcesVpcConfig.clusterSecurityGroupId`` and deletes it with the cluster; managed nodes and
Karpenter's nodes use it. moto creates none and reports none, so nothing can be attached to it
(Karpenter's discovery tag). Here moto does what EKS does: a real EC2 security group created with
the cluster, reported through every later configuration update, deleted with the cluster.
"""

from __future__ import annotations

from typing import Any

KEY = "clusterSecurityGroupId"


def install() -> None:
    from moto.ec2.models import ec2_backends
    from moto.eks.models import Cluster, EKSBackend

    if isinstance(Cluster.__dict__.get("resources_vpc_config"), property):
        return  # installed already

    def ec2(backend: Any) -> Any:
        return ec2_backends[backend.account_id][backend.region_name]

    # Reported on every read, whatever later replaces the stored configuration (UpdateClusterConfig).
    def get_config(self: Any) -> dict[str, Any]:
        config = dict(self.__dict__.get("_resources_vpc_config") or {})
        group = self.__dict__.get("_cluster_security_group_id")
        if group:
            config[KEY] = group
        return config

    def set_config(self: Any, value: dict[str, Any]) -> None:
        self.__dict__["_resources_vpc_config"] = value

    Cluster.resources_vpc_config = property(get_config, set_config)  # type: ignore[assignment]  # moto declares a plain dict attribute; patched into a property
    create_cluster, delete_cluster = EKSBackend.create_cluster, EKSBackend.delete_cluster

    def create_cluster_with_security_group(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        cluster = create_cluster(self, name, *args, **kwargs)
        subnets = (cluster.resources_vpc_config or {}).get("subnetIds") or []
        if subnets:
            group = ec2(self).create_security_group(
                name=f"eks-cluster-sg-{name}",
                description="EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.",
                vpc_id=ec2(self).get_subnet(subnets[0]).vpc_id,
                tags={"aws:eks:cluster-name": name, f"kubernetes.io/cluster/{name}": "owned"},
            )
            cluster.__dict__["_cluster_security_group_id"] = group.id
        return cluster

    def delete_cluster_with_security_group(self: Any, name: str) -> Any:
        cluster = delete_cluster(self, name)
        group = cluster.__dict__.get("_cluster_security_group_id")
        if group:
            ec2(self).delete_security_group(group_id=group)
        return cluster

    EKSBackend.create_cluster = create_cluster_with_security_group  # type: ignore[method-assign]  # the patch this module exists for
    EKSBackend.delete_cluster = delete_cluster_with_security_group  # type: ignore[method-assign]  # the patch this module exists for
