"""A security group admitting one TCP port from one source, with no egress rule: the shape of the
EFS mount targets' group and the interface endpoints' group."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct


def ingress_group(
    scope: Construct,
    *,
    name: str,
    description: str,
    vpc_id: str,
    rule_id: str,
    rule_description: str,
    port: int,
    cidr_ipv4: str | None = None,
    source_security_group_id: str | None = None,
) -> SecurityGroup:
    """The group (construct ID ``sg``) and its one ingress rule (``rule_id``) in ``scope``, from
    ``cidr_ipv4`` or from ``source_security_group_id`` (exactly one). No egress rule: the services
    behind these groups only answer on connections made to them, which security groups track.

    The IDs are the callers' Terraform addresses: a new kind of source gets a new ``rule_id`` (the
    provider replaces a rule whose source type changes anyway: ``ModifyPlan`` of
    internal/service/ec2/vpc_security_group_ingress_rule.go), and ``sg`` and its description stay
    (either change replaces the group, detaching it from every ENI while it is swapped).
    """
    if (cidr_ipv4 is None) == (source_security_group_id is None):
        raise ValueError("ingress_group: give exactly one of cidr_ipv4 and source_security_group_id")
    sg = SecurityGroup(scope, "sg", name=name, description=description, vpc_id=vpc_id, tags={"Name": name})
    VpcSecurityGroupIngressRule(
        scope,
        rule_id,
        security_group_id=sg.id,
        description=rule_description,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        cidr_ipv4=cidr_ipv4,
        referenced_security_group_id=source_security_group_id,
    )
    return sg
