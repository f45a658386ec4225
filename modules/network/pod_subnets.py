"""The pods' secondary CIDR: the VPC CIDR block association, a pod subnet per AZ, its routes.

Each pod subnet uses the private route table of its zone (NAT for egress, local routes for the
VPC), so pods reach what nodes reach. The subnets carry no load balancer role tags: load
balancers stay in the primary subnets. ENIConfigs naming these subnets are created by the
cluster stack's vpc-cni add-on, before any node (``modules/cluster/managed_addons.py``).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc_ipv4_cidr_block_association import VpcIpv4CidrBlockAssociation
from constructs import Construct

from environments.pod_network import PodNetwork


class PodSubnets(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: PodNetwork,
        vpc_id: str,
        name: str,
        zones: tuple[str, ...],
        route_table_ids: list[str],
        tags: dict[str, str],
    ) -> None:
        super().__init__(scope, id_)
        association = VpcIpv4CidrBlockAssociation(self, "cidr", vpc_id=vpc_id, cidr_block=config.cidr)
        self.subnet_ids: list[str] = []
        for i, (zone, cidr, route_table) in enumerate(zip(zones, config.subnets, route_table_ids, strict=True)):
            subnet = Subnet(
                self,
                f"subnet-{i}",
                # Through the association, so the subnet waits for the block to exist.
                vpc_id=association.vpc_id,
                cidr_block=cidr,
                availability_zone=zone,
                tags={"Name": f"{name}-pods-{zone}", **tags},
                depends_on=[association],
            )
            RouteTableAssociation(self, f"rta-{i}", subnet_id=subnet.id, route_table_id=route_table)
            self.subnet_ids.append(subnet.id)
