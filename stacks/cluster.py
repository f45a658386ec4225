"""``<env>-cluster``: EKS control plane, managed core add-ons, node groups, Fargate profiles, access entries."""

from __future__ import annotations

from constructs import Construct

from catalog import names
from environments.auto_mode import REPLACED_MANAGED_ADDONS, only_compute
from environments.karpenter import controller_node_labels
from environments.schema import EnvironmentConfig
from environments.teams import team_fargate_profiles
from modules.cluster.access_entries import AccessEntries
from modules.cluster.eks import Cluster, ClusterOutputs
from modules.cluster.grants import cluster_grants
from modules.cluster.managed_addons import ManagedAddons, eni_config_values
from modules.cluster.node_groups import NodeGroups
from modules.network.vpc import NetworkOutputs
from modules.shared.fargate import FargateLogGroup, FargateProfiles
from stacks.base import AwsStack


class ClusterStack(AwsStack):
    def __init__(self, scope: Construct, env: EnvironmentConfig, *, network: NetworkOutputs) -> None:
        super().__init__(scope, env, "cluster")
        fargate_logs = bool(env.cluster.fargate_profiles or team_fargate_profiles(env))
        cluster = Cluster(
            self,
            "eks",
            config=env.cluster,
            name=env.cluster_name,
            account_id=env.account_id,
            region=env.region,
            subnet_ids=network.private_subnet_ids,
            other_log_groups=(names.fargate_log_group(env.cluster_name),) if fargate_logs else (),
        )
        self.outputs: ClusterOutputs = cluster.outputs
        # Node groups, profiles, add-ons and entries name the cluster through its resource, so
        # Terraform orders them after it; the upgrade order is modules/cluster/managed_addons.py's.
        addons = ManagedAddons(
            self,
            "managed-addons",
            config=env.cluster,
            cluster_name=env.cluster_name,
            cluster_ref=cluster.outputs.name,
            oidc_provider_arn=cluster.outputs.oidc_provider_arn,
            oidc_issuer=cluster.outputs.oidc_issuer,
            custom_networking=env.network.pod_network is not None,
            # The ENIConfigs come with vpc-cni, before any node (modules/cluster/managed_addons.py says why).
            eni_config=eni_config_values(env.region, env.network.availability_zones, network.pod_subnet_ids, cluster.outputs.cluster_security_group_id)
            if env.network.pod_network is not None
            else None,
            # With no node group, Auto Mode runs these itself on its nodes (environments/auto_mode.py).
            without=REPLACED_MANAGED_ADDONS if only_compute(env) else (),
        )
        node_groups = NodeGroups(
            self,
            "node-groups",
            groups=dict(env.cluster.node_groups),
            cluster_name=env.cluster_name,
            cluster_ref=cluster.outputs.name,
            cluster_version_ref=cluster.outputs.version,
            subnet_ids=network.private_subnet_ids,
            depends_on=addons.before_compute,
            # Karpenter's controller selects its group by a label the group sets (environments/karpenter.py).
            extra_labels={env.karpenter.controller_node_group: controller_node_labels(env.karpenter)} if env.karpenter else None,
        )
        compute: list = list(node_groups.groups)
        if fargate_logs:
            # One group for every Fargate pod (the cluster's profiles and the teams'), created here
            # so the log router never needs to create it; encrypted with the cluster's key.
            FargateLogGroup(
                self, "fargate-logs", cluster_name=env.cluster_name, kms_key_arn=cluster.outputs.kms_key_arn, retention_days=env.cluster.log_retention_days
            )
        if env.cluster.fargate_profiles:
            fargate = FargateProfiles(
                self,
                "fargate",
                profiles=dict(env.cluster.fargate_profiles),
                cluster_name=env.cluster_name,
                cluster_ref=cluster.outputs.name,
                account_id=env.account_id,
                region=env.region,
                subnet_ids=network.private_subnet_ids,
            )
            compute.extend(fargate.profiles)
        addons.after_compute(compute)
        grants = cluster_grants(env)
        if grants:
            AccessEntries(self, "access", grants=grants, cluster_name=cluster.outputs.name)
        self.output("cluster_name", cluster.outputs.name, "EKS cluster name")
        self.output("cluster_endpoint", cluster.outputs.endpoint, "Kubernetes API endpoint")
        self.output("oidc_provider_arn", cluster.outputs.oidc_provider_arn, "IAM OIDC provider ARN for IRSA")
        self.output("kms_key_arn", cluster.outputs.kms_key_arn, "KMS key for Secrets envelope encryption")
