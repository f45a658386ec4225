"""``<env>-network``: VPC, subnets, NAT, routes, flow logs."""

from __future__ import annotations

from constructs import Construct

from environments.schema import EnvironmentConfig
from modules.network.vpc import Network, NetworkOutputs
from stacks.base import AwsStack


class NetworkStack(AwsStack):
    def __init__(self, scope: Construct, env: EnvironmentConfig) -> None:
        super().__init__(scope, env, "network")
        network = Network(
            self,
            "network",
            config=env.network,
            name=env.name,
            cluster_name=env.cluster_name,
            account_id=env.account_id,
            region=env.region,
            karpenter_discovery=env.cluster.autoscaler == "karpenter",
        )
        self.outputs: NetworkOutputs = network.outputs
        self.output("vpc_id", network.outputs.vpc_id, "VPC ID")
        self.output("public_subnet_ids", network.outputs.public_subnet_ids, "Public subnet IDs, one per AZ")
        self.output("private_subnet_ids", network.outputs.private_subnet_ids, "Private subnet IDs, one per AZ")
