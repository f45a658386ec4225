"""The emulator's EKS Auto Mode (tools/emulator/eks/auto_mode.py) against botocore's EKS model and
what EKS documents: CreateCluster, DescribeCluster and UpdateClusterConfig keep ``computeConfig``,
``storageConfig`` and ``kubernetesNetworkConfig.elasticLoadBalancing``; the three move together;
node pools come with a node role, whose EC2 access entry EKS creates.

Every request and raw response of these operations is checked strictly against the operation's
shape in botocore's model (tests/model_shapes.py), as tests/emulator/test_emulator_eks.py does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.exceptions import ClientError  # noqa: E402

from tests.model_shapes import ShapeRecorder  # noqa: E402
from tools.emulator import eks as extension  # noqa: E402

REGION = "eu-west-1"
CHECKED = {
    "CreateCluster",
    "DescribeCluster",
    "UpdateClusterConfig",
    "DescribeUpdate",
    "ListAccessEntries",
    "DescribeAccessEntry",
    "ListAssociatedAccessPolicies",
}
ON = {
    "computeConfig": {"enabled": True, "nodePools": ["general-purpose", "system"]},
    "storageConfig": {"blockStorage": {"enabled": True}},
    "kubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": True}},
}


@pytest.fixture(scope="module")
def recorder() -> ShapeRecorder:
    return ShapeRecorder(CHECKED)


@pytest.fixture(scope="module")
def clients(recorder: ShapeRecorder) -> Iterator[dict[str, Any]]:
    from moto.server import ThreadedMotoServer

    extension.register()
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    eks = session.client("eks", endpoint_url=f"http://{host}:{port}")
    eks.meta.events.register("before-call.eks", recorder.before_call)
    eks.meta.events.register("after-call.eks", recorder.after_call)
    yield {"eks": eks, "iam": session.client("iam", endpoint_url=f"http://{host}:{port}"), "ec2": session.client("ec2", endpoint_url=f"http://{host}:{port}")}
    srv.stop()


def _role(iam: Any, name: str, service: str) -> str:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except ClientError:
        return iam.get_role(RoleName=name)["Role"]["Arn"]


def _create(clients: dict[str, Any], name: str, **auto: Any) -> dict[str, Any]:
    ec2 = clients["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    return clients["eks"].create_cluster(
        name=name,
        version="1.33",
        roleArn=_role(clients["iam"], "cluster", "eks.amazonaws.com"),
        resourcesVpcConfig={"subnetIds": [subnet]},
        accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
        **auto,
    )["cluster"]


def _on(node_role: str) -> dict[str, Any]:
    return {**ON, "computeConfig": {**ON["computeConfig"], "nodeRoleArn": node_role}}


def _code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


def test_create_with_auto_mode_is_described_back_and_maps_the_node_role(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    node = _role(clients["iam"], "auto-node", "ec2.amazonaws.com")
    _create(clients, "auto", **_on(node))
    cluster = eks.describe_cluster(name="auto")["cluster"]
    assert cluster["computeConfig"] == {"enabled": True, "nodePools": ["general-purpose", "system"], "nodeRoleArn": node}
    assert cluster["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert cluster["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": True}
    assert eks.describe_access_entry(clusterName="auto", principalArn=node)["accessEntry"]["type"] == "EC2"
    policies = eks.list_associated_access_policies(clusterName="auto", principalArn=node)["associatedAccessPolicies"]
    assert [p["policyArn"].rsplit("/", 1)[1] for p in policies] == ["AmazonEKSAutoNodePolicy"]


def test_enabling_and_disabling_on_an_existing_cluster_is_an_update_not_a_new_cluster(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    before = _create(clients, "moving")
    assert "computeConfig" not in eks.describe_cluster(name="moving")["cluster"]
    node = _role(clients["iam"], "moving-node", "ec2.amazonaws.com")
    update = eks.update_cluster_config(name="moving", **_on(node))["update"]
    assert (update["type"], update["status"]) == ("AutoModeUpdate", "Successful")
    assert {p["type"] for p in update["params"]} == {"ComputeConfig", "StorageConfig", "KubernetesNetworkConfig"}
    assert eks.describe_update(name="moving", updateId=update["id"])["update"]["type"] == "AutoModeUpdate"
    after = eks.describe_cluster(name="moving")["cluster"]
    assert (after["arn"], after["createdAt"]) == (before["arn"], before["createdAt"])
    assert after["computeConfig"]["enabled"] is True
    # Off with the node role still named: in place (hashicorp/terraform-provider-aws #40411).
    off = {
        "computeConfig": {"enabled": False, "nodeRoleArn": node},
        "storageConfig": {"blockStorage": {"enabled": False}},
        "kubernetesNetworkConfig": {"elasticLoadBalancing": {"enabled": False}},
    }
    eks.update_cluster_config(name="moving", **off)
    cluster = eks.describe_cluster(name="moving")["cluster"]
    assert cluster["computeConfig"] == {"enabled": False, "nodeRoleArn": node} and cluster["storageConfig"] == {"blockStorage": {"enabled": False}}
    assert cluster["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": False}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({**ON, "storageConfig": {"blockStorage": {"enabled": False}}}, id="storage-off-compute-on"),
        pytest.param({"computeConfig": {"enabled": True}}, id="compute-alone"),
        pytest.param({**ON, "computeConfig": {"enabled": True, "nodePools": ["system"]}}, id="pools-without-role"),
        pytest.param({**ON, "computeConfig": {"enabled": True, "nodeRoleArn": "arn:aws:iam::123456789012:role/n"}}, id="running-role-without-pools"),
        pytest.param({**ON, "computeConfig": {"enabled": True, "nodePools": ["gpu"], "nodeRoleArn": "arn:aws:iam::123456789012:role/n"}}, id="unknown-pool"),
    ],
)
def test_what_eks_refuses(clients: dict[str, Any], change: dict[str, Any]) -> None:
    eks = clients["eks"]
    if "refused" not in {c["name"] if isinstance(c, dict) else c for c in eks.list_clusters()["clusters"]}:
        _create(clients, "refused")
    assert _code(eks.update_cluster_config, name="refused", **change) == "InvalidParameterException"
    assert _code(
        eks.create_cluster, name="refused-new", version="1.33", roleArn="arn:aws:iam::123456789012:role/c", resourcesVpcConfig={"subnetIds": []}, **change
    ) == ("InvalidParameterException")


def test_a_custom_node_class_role_takes_the_auto_node_policy_only(clients: dict[str, Any]) -> None:
    """The platform's NodeClass role: an EC2 entry with AmazonEKSAutoNodePolicy ("Create a Node Class")."""
    eks = clients["eks"]
    _create(clients, "custom")
    role = _role(clients["iam"], "custom-node", "ec2.amazonaws.com")
    eks.create_access_entry(clusterName="custom", principalArn=role, type="EC2")
    auto_node = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAutoNodePolicy"
    eks.associate_access_policy(clusterName="custom", principalArn=role, policyArn=auto_node, accessScope={"type": "cluster"})
    policies = eks.list_associated_access_policies(clusterName="custom", principalArn=role)["associatedAccessPolicies"]
    assert [p["policyArn"] for p in policies] == [auto_node]
    view = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
    code = _code(eks.associate_access_policy, clusterName="custom", principalArn=role, policyArn=view, accessScope={"type": "cluster"})
    assert code == "InvalidRequestException"


def test_every_request_and_response_matches_the_model(recorder: ShapeRecorder) -> None:
    """Runs last in this file: nothing deviated from botocore's model."""
    assert recorder.errors == []
    assert {"CreateCluster", "DescribeCluster", "UpdateClusterConfig", "DescribeUpdate"} <= recorder.operations
