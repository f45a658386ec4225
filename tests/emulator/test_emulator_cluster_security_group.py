"""The emulator's EKS clusters get the security group EKS creates (tools/emulator/cluster_security_group.py):
reported in resourcesVpcConfig, a real EC2 group in the cluster's VPC that can be tagged, kept
through configuration updates, gone with the cluster. In-process moto: milliseconds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tools.emulator import cluster_security_group


@pytest.fixture
def aws() -> Iterator[dict[str, Any]]:
    from moto.eks.models import Cluster, EKSBackend

    saved = (EKSBackend.create_cluster, EKSBackend.delete_cluster, Cluster.__dict__.get("resources_vpc_config"))
    cluster_security_group.install()
    try:
        with mock_aws():
            ec2, eks = boto3.client("ec2", "eu-west-1"), boto3.client("eks", "eu-west-1")
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
            eks.create_cluster(name="c1", roleArn="arn:aws:iam::123456789012:role/r", resourcesVpcConfig={"subnetIds": [subnet]})
            yield {"ec2": ec2, "eks": eks, "vpc": vpc}
    finally:
        EKSBackend.create_cluster, EKSBackend.delete_cluster = saved[0], saved[1]
        if saved[2] is None:
            del Cluster.resources_vpc_config
        else:
            Cluster.resources_vpc_config = saved[2]


def test_the_cluster_reports_a_real_security_group_in_its_vpc(aws: dict[str, Any]) -> None:
    group = aws["eks"].describe_cluster(name="c1")["cluster"]["resourcesVpcConfig"]["clusterSecurityGroupId"]
    [sg] = aws["ec2"].describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert sg["VpcId"] == aws["vpc"] and {"Key": "kubernetes.io/cluster/c1", "Value": "owned"} in sg["Tags"]
    aws["ec2"].create_tags(Resources=[group], Tags=[{"Key": "karpenter.sh/discovery", "Value": "c1"}])
    [sg] = aws["ec2"].describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert {"Key": "karpenter.sh/discovery", "Value": "c1"} in sg["Tags"]


def test_the_group_survives_a_configuration_update_and_goes_with_the_cluster(aws: dict[str, Any]) -> None:
    eks, ec2 = aws["eks"], aws["ec2"]
    group = eks.describe_cluster(name="c1")["cluster"]["resourcesVpcConfig"]["clusterSecurityGroupId"]
    eks.update_cluster_config(name="c1", resourcesVpcConfig={"endpointPublicAccess": False})
    assert eks.describe_cluster(name="c1")["cluster"]["resourcesVpcConfig"]["clusterSecurityGroupId"] == group
    eks.delete_cluster(name="c1")
    with pytest.raises(ec2.exceptions.ClientError, match="InvalidGroup.NotFound"):
        ec2.describe_security_groups(GroupIds=[group])
