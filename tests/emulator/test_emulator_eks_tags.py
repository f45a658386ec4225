"""Tags on a managed node group through the emulator (tools/emulator/eks/tags.py): EKS's
TagResource, UntagResource and ListTagsForResource take a node group's ARN as they take a cluster's
(EKS API reference, resourceArn), which the aws provider uses whenever a node group's tags change."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")

from tools.emulator import eks as extension  # noqa: E402


@pytest.fixture(scope="module")
def eks() -> Iterator[Any]:
    from moto.server import ThreadedMotoServer

    extension.register()
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="eu-west-1")
    url = f"http://{host}:{port}"
    iam, ec2 = session.client("iam", endpoint_url=url), session.client("ec2", endpoint_url=url)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    client = session.client("eks", endpoint_url=url)
    client.create_cluster(name="c", version="1.33", roleArn=role, resourcesVpcConfig={"subnetIds": [subnet]})
    yield client, role, subnet
    srv.stop()


def test_a_node_groups_tags_change_like_a_clusters(eks: tuple[Any, str, str]) -> None:
    client, role, subnet = eks
    group = client.create_nodegroup(clusterName="c", nodegroupName="g", nodeRole=role, subnets=[subnet], tags={"a": "1", "b": "2"})["nodegroup"]
    client.tag_resource(resourceArn=group["nodegroupArn"], tags={"c": "3"})
    client.untag_resource(resourceArn=group["nodegroupArn"], tagKeys=["a"])
    assert client.list_tags_for_resource(resourceArn=group["nodegroupArn"])["tags"] == {"b": "2", "c": "3"}
    assert client.describe_nodegroup(clusterName="c", nodegroupName="g")["nodegroup"]["tags"] == {"b": "2", "c": "3"}
    cluster = client.describe_cluster(name="c")["cluster"]["arn"]
    client.tag_resource(resourceArn=cluster, tags={"team": "x"})  # clusters as before
    assert client.list_tags_for_resource(resourceArn=cluster)["tags"] == {"team": "x"}
