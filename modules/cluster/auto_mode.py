"""EKS Auto Mode's AWS side: the cluster role's extra policies and trust, its ``aws_eks_cluster`` blocks,
and the node roles with the access entry the custom pools need.

Sources (Amazon EKS User Guide): "Amazon EKS Auto Mode cluster IAM role" (AmazonEKSComputePolicy,
AmazonEKSBlockStoragePolicy, AmazonEKSLoadBalancingPolicy, AmazonEKSNetworkingPolicy beside
AmazonEKSClusterPolicy; trust ``sts:AssumeRole`` and ``sts:TagSession``), "Amazon EKS Auto Mode node
IAM role" (AmazonEKSWorkerNodeMinimalPolicy, AmazonEC2ContainerRegistryPullOnly; trust ec2),
"Create a Node Class for Amazon EKS" (a NodeClass role other than the one the cluster's
``computeConfig`` names needs an access entry of type EC2 with AmazonEKSAutoNodePolicy; for the
``computeConfig`` role EKS creates it). Two node roles therefore: the built-in pools' role, whose entry
is EKS's, and the custom pools' role, whose entry is created here; one role for both would make the
entry collide with EKS's as soon as a built-in pool is switched on.
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.eks_access_policy_association import EksAccessPolicyAssociation, EksAccessPolicyAssociationAccessScope
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksClusterComputeConfig,
    EksClusterKubernetesNetworkConfig,
    EksClusterKubernetesNetworkConfigElasticLoadBalancing,
    EksClusterStorageConfig,
    EksClusterStorageConfigBlockStorage,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog import names
from environments.auto_mode import AutoModeConfig
from modules.shared.iam import document, managed_policy_arn, service_trust

CLUSTER_ROLE_POLICIES = ("AmazonEKSComputePolicy", "AmazonEKSBlockStoragePolicy", "AmazonEKSLoadBalancingPolicy", "AmazonEKSNetworkingPolicy")
NODE_ROLE_POLICIES = ("AmazonEKSWorkerNodeMinimalPolicy", "AmazonEC2ContainerRegistryPullOnly")
AUTO_NODE_ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy"


def cluster_trust(account_id: str) -> str:
    """The cluster role's trust with Auto Mode: EKS also tags its sessions (``sts:TagSession``)."""
    return document(
        {
            "Effect": "Allow",
            "Principal": {"Service": "eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        }
    )


def _node_role(scope: Construct, id_: str, name: str, description: str) -> IamRole:
    role = IamRole(scope, id_, name=name, description=description, assume_role_policy=service_trust("ec2.amazonaws.com"))
    for policy in NODE_ROLE_POLICIES:
        IamRolePolicyAttachment(scope, f"{id_}-{policy}", role=role.name, policy_arn=managed_policy_arn("aws", policy))
    return role


class AutoModeRoles(Construct):
    """The node roles (only while Auto Mode runs) and the cluster blocks that switch it on or off."""

    def __init__(self, scope: Construct, id_: str, *, config: AutoModeConfig, cluster_name: str) -> None:
        super().__init__(scope, id_)
        self.config = config
        self.custom_node_role_name: str | None = None
        # The built-in pools' role stays while the section exists, on or off: in aws 5.100.0 taking
        # compute_config.node_role_arn away from a cluster forces its replacement (provider issue
        # #40582, terraform-aws-eks #3321; fixed in 6.13), while turning Auto Mode off with the role
        # still named is an in-place update (provider issue #40411, the behaviours EKS defines).
        built_in = _node_role(self, "node-role", names.auto_node_role(cluster_name), f"Nodes of EKS Auto Mode's built-in pools in {cluster_name}")
        self.node_role_arn: str = built_in.arn
        if config.enabled and config.node_pools:
            custom = _node_role(
                self, "custom-node-role", names.auto_custom_node_role(cluster_name), f"Nodes of the platform's Auto Mode NodeClass in {cluster_name}"
            )
            self.custom_node_role_name = custom.name
            self._custom_role = custom

    def compute_config(self) -> EksClusterComputeConfig:
        pools = list(self.config.built_in_pools) if self.config.enabled else []
        return EksClusterComputeConfig(
            enabled=self.config.enabled,
            node_pools=pools or None,
            # Running, EKS takes a node role only with built-in pools (and creates its access entry
            # then); turned off, the role stays named (see __init__).
            node_role_arn=self.node_role_arn if pools or not self.config.enabled else None,
        )

    def storage_config(self) -> EksClusterStorageConfig:
        return EksClusterStorageConfig(block_storage=EksClusterStorageConfigBlockStorage(enabled=self.config.enabled))

    def network_config(self) -> EksClusterKubernetesNetworkConfig:
        return EksClusterKubernetesNetworkConfig(elastic_load_balancing=EksClusterKubernetesNetworkConfigElasticLoadBalancing(enabled=self.config.enabled))

    def access(self, cluster_ref: str) -> None:
        """The custom pools' node role may join the cluster: access entry type EC2, AmazonEKSAutoNodePolicy."""
        if self.custom_node_role_name is None:
            return
        entry = EksAccessEntry(self, "custom-node-entry", cluster_name=cluster_ref, principal_arn=self._custom_role.arn, type="EC2")
        EksAccessPolicyAssociation(
            self,
            "custom-node-policy",
            cluster_name=cluster_ref,
            principal_arn=entry.principal_arn,
            policy_arn=AUTO_NODE_ACCESS_POLICY,
            access_scope=EksAccessPolicyAssociationAccessScope(type="cluster"),
        )
