"""VPC endpoints: S3 through a gateway endpoint (no NAT processing charge), and optional interface
endpoints so private nodes reach ECR, STS and CloudWatch Logs without the NAT gateway."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from catalog import names
from modules.shared.ingress_group import ingress_group


class VpcEndpoints(Construct):
    """The S3 gateway endpoint on the private route tables (Loki/Tempo chunks, ECR image layers,
    which ECR serves from S3, stop paying NAT data processing) and one interface endpoint per name
    in ``interface`` (``ecr.api``, ``ecr.dkr``, ``sts``, ``logs``) in the private subnets with
    private DNS, behind a security group admitting HTTPS from the VPC only: its primary CIDR and,
    with ``network.pod_network``, the pods' secondary CIDR. Under VPC CNI custom networking a pod
    has its own address in a pod subnet and keeps it as source address inside the VPC (the CNI
    SNATs to the node's address only traffic leaving the VPC: amazon-vpc-cni-k8s README,
    ``AWS_VPC_K8S_CNI_EXTERNALSNAT``), so a group admitting the primary CIDR alone drops every
    pod's call to STS (IRSA), ECR or Logs through these endpoints.

    https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html,
    https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        name: str,
        region: str,
        vpc_id: str,
        vpc_cidr: str,
        private_route_table_ids: list[str],
        private_subnet_ids: list[str],
        interface: tuple[str, ...],
        pod_cidr: str | None = None,
    ) -> None:
        super().__init__(scope, id_)
        VpcEndpoint(
            self,
            "s3",
            vpc_id=vpc_id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=private_route_table_ids,
            tags={"Name": f"{name}-s3"},
        )
        if not interface:
            return
        sg = ingress_group(
            self,
            name=names.endpoints_security_group(name),
            description=f"HTTPS to the interface endpoints of VPC {name} from inside the VPC only",
            vpc_id=vpc_id,
            rule_id="https-from-vpc",
            rule_description="HTTPS from the VPC",
            port=443,
            cidr_ipv4=vpc_cidr,
        )
        if pod_cidr is not None:
            VpcSecurityGroupIngressRule(
                self,
                "https-from-pods",
                security_group_id=sg.id,
                description="HTTPS from the pods' secondary CIDR",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=pod_cidr,
            )
        for service in interface:
            VpcEndpoint(
                self,
                service.replace(".", "-"),
                vpc_id=vpc_id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=private_subnet_ids,
                security_group_ids=[sg.id],
                tags={"Name": f"{name}-{service}"},
            )
