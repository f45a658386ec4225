"""VPC with one public and one private subnet per availability zone, NAT, routes and flow logs."""

from __future__ import annotations

from dataclasses import dataclass, field

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from constructs import Construct

from catalog import names
from environments.schema import NetworkConfig
from modules.network.endpoints import VpcEndpoints
from modules.network.pod_subnets import PodSubnets
from modules.shared.checkov import skip
from modules.shared.iam import document, service_trust
from modules.shared.kms import LogsKey


@dataclass(frozen=True)
class NetworkOutputs:
    vpc_id: str
    vpc_cidr: str
    public_subnet_ids: list[str]
    private_subnet_ids: list[str]
    pod_subnet_ids: list[str] = field(default_factory=list)  # network.pod_network, in zone order


class Network(Construct):
    """VPC across the configured AZs.

    Public subnets carry ``kubernetes.io/role/elb`` and private ones ``kubernetes.io/role/internal-elb``
    so the AWS Load Balancer Controller finds them; both carry the cluster's shared tag. NAT is one
    gateway for the VPC (``single``) or one per AZ (``one_per_az``, no cross-AZ dependency). With
    ``flow_logs`` every flow goes to a KMS-encrypted CloudWatch log group with bounded retention.
    The default security group is emptied so nothing can use it by accident.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: NetworkConfig,
        name: str,
        cluster_name: str,
        account_id: str,
        region: str,
        karpenter_discovery: bool = False,
    ) -> None:
        """``karpenter_discovery``: tag the private subnets ``karpenter.sh/discovery: <cluster>``,
        the tag Karpenter's EC2NodeClass selects its subnets by."""
        super().__init__(scope, id_)
        vpc = Vpc(
            self,
            "vpc",
            cidr_block=config.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
        )
        if not config.flow_logs:
            skip(vpc, "CKV2_AWS_11", "flow_logs is false in this environment's file: a cost choice for non-production")
        DefaultSecurityGroup(self, "default-sg", vpc_id=vpc.id, tags={"Name": f"{name}-default-deny"})
        igw = InternetGateway(self, "igw", vpc_id=vpc.id, tags={"Name": name})

        cluster_tag = {f"kubernetes.io/cluster/{cluster_name}": "shared"}
        private_tags = {"karpenter.sh/discovery": cluster_name} if karpenter_discovery else {}
        public: list[Subnet] = []
        private: list[Subnet] = []
        for i, (az, public_cidr, private_cidr) in enumerate(zip(config.availability_zones, config.public_subnets, config.private_subnets, strict=True)):
            public.append(
                Subnet(
                    self,
                    f"public-{i}",
                    vpc_id=vpc.id,
                    cidr_block=public_cidr,
                    availability_zone=az,
                    # Load balancers get their own addresses; nothing launched here needs one by default.
                    map_public_ip_on_launch=False,
                    tags={"Name": f"{name}-public-{az}", "kubernetes.io/role/elb": "1", **cluster_tag},
                )
            )
            private.append(
                Subnet(
                    self,
                    f"private-{i}",
                    vpc_id=vpc.id,
                    cidr_block=private_cidr,
                    availability_zone=az,
                    tags={"Name": f"{name}-private-{az}", "kubernetes.io/role/internal-elb": "1", **cluster_tag, **private_tags},
                )
            )

        public_rt = RouteTable(self, "public-rt", vpc_id=vpc.id, tags={"Name": f"{name}-public"})
        Route(self, "public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0", gateway_id=igw.id)
        for i, subnet in enumerate(public):
            RouteTableAssociation(self, f"public-rta-{i}", subnet_id=subnet.id, route_table_id=public_rt.id)

        nat_count = len(public) if config.nat_gateways == "one_per_az" else 1
        nats = []
        for i in range(nat_count):
            eip = Eip(self, f"nat-eip-{i}", domain="vpc", tags={"Name": f"{name}-nat-{i}"}, depends_on=[igw])
            nats.append(NatGateway(self, f"nat-{i}", allocation_id=eip.id, subnet_id=public[i].id, tags={"Name": f"{name}-nat-{i}"}, depends_on=[igw]))
        private_route_tables: list[str] = []
        for i, subnet in enumerate(private):
            rt = RouteTable(self, f"private-rt-{i}", vpc_id=vpc.id, tags={"Name": f"{name}-private-{i}"})
            Route(self, f"private-default-{i}", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0", nat_gateway_id=nats[min(i, nat_count - 1)].id)
            RouteTableAssociation(self, f"private-rta-{i}", subnet_id=subnet.id, route_table_id=rt.id)
            private_route_tables.append(rt.id)
        pod_subnet_ids: list[str] = []
        if config.pod_network is not None:
            pod_subnet_ids = PodSubnets(
                self,
                "pods",
                config=config.pod_network,
                vpc_id=vpc.id,
                name=name,
                zones=config.availability_zones,
                route_table_ids=private_route_tables,
                tags=cluster_tag,
            ).subnet_ids

        VpcEndpoints(
            self,
            "endpoints",
            name=name,
            region=region,
            vpc_id=vpc.id,
            vpc_cidr=config.vpc_cidr,
            private_route_table_ids=private_route_tables,  # the pod subnets' tables too
            private_subnet_ids=[s.id for s in private],
            interface=config.interface_endpoints,
            pod_cidr=config.pod_network.cidr if config.pod_network is not None else None,
        )

        if config.flow_logs:
            log_group_name = f"/aws/vpc/{name}/flow-logs"
            key = LogsKey(self, "flow-logs-key", name=names.flow_logs_key(name), account_id=account_id, region=region, log_group_name=log_group_name)
            log_group = CloudwatchLogGroup(self, "flow-logs", name=log_group_name, retention_in_days=config.flow_log_retention_days, kms_key_id=key.arn)
            if config.flow_log_retention_days < 365:
                skip(log_group, "CKV_AWS_338", f"network.flow_log_retention_days is {config.flow_log_retention_days} in this environment's file")
            role = IamRole(
                self,
                "flow-logs-role",
                name=names.flow_logs_role(name),
                assume_role_policy=service_trust(
                    "vpc-flow-logs.amazonaws.com",
                    conditions={"StringEquals": {"aws:SourceAccount": account_id}},
                ),
            )
            IamRolePolicy(
                self,
                "flow-logs-policy",
                role=role.id,
                name="write-flow-logs",
                policy=document(
                    {
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
                        "Resource": [log_group.arn, f"{log_group.arn}:*"],
                    }
                ),
            )
            FlowLog(
                self,
                "flow-log",
                vpc_id=vpc.id,
                traffic_type="ALL",
                log_destination_type="cloud-watch-logs",
                log_destination=log_group.arn,
                iam_role_arn=role.arn,
                max_aggregation_interval=60,
            )

        self.outputs = NetworkOutputs(
            vpc_id=vpc.id,
            vpc_cidr=config.vpc_cidr,
            public_subnet_ids=[s.id for s in public],
            private_subnet_ids=[s.id for s in private],
            pod_subnet_ids=pod_subnet_ids,
        )
