"""The emulator's EKS extension (tools/emulator/eks/) against botocore's EKS service model.

One in-process moto server with the extension registered; boto3 talks to it over HTTP. Every
request body that leaves the client and every raw response body that comes back is checked
strictly against the operation's input/output shape in botocore's model (no member outside the
shape, required members present, types and enums right) — botocore's own parser would silently
drop unknown members, so the raw JSON is checked, not the parsed answer. The last test checks
that every handler the extension registers was exercised here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
from botocore import xform_name  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from tests.model_shapes import ShapeRecorder, shape_errors  # noqa: E402
from tools.emulator import eks as extension  # noqa: E402
from tools.emulator.eks_catalog import default_version  # noqa: E402

REGION = "eu-west-1"
ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/platform-admins"
ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
VIEW = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    extension.register()
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    srv.start()
    host, port = srv.get_host_and_port()
    yield f"http://{host}:{port}"
    srv.stop()


@pytest.fixture(scope="module")
def recorder() -> ShapeRecorder:
    return ShapeRecorder()


@pytest.fixture(scope="module")
def clients(server: str, recorder: ShapeRecorder) -> dict[str, Any]:
    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    eks = session.client("eks", endpoint_url=server)
    eks.meta.events.register("before-call.eks", recorder.before_call)
    eks.meta.events.register("after-call.eks", recorder.after_call)
    iam = session.client("iam", endpoint_url=server)
    ec2 = session.client("ec2", endpoint_url=server)
    return {"eks": eks, "iam": iam, "ec2": ec2}


def _role(iam: Any, name: str) -> str:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    except ClientError:
        return iam.get_role(RoleName=name)["Role"]["Arn"]


def _trusting(iam: Any, name: str, *statements: dict[str, Any]) -> str:
    trust = {"Version": "2012-10-17", "Statement": list(statements)}
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]


# The trust policy EKS Pod Identity requires (EKS User Guide, pod-id-role.html).
POD_IDENTITY_TRUST = {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}


def _cluster(clients: dict[str, Any], name: str, version: str, *, api: bool = True) -> dict[str, Any]:
    ec2 = clients["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    kwargs: dict[str, Any] = {}
    if api:
        kwargs["accessConfig"] = {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    cluster = clients["eks"].create_cluster(
        name=name,
        version=version,
        roleArn=_role(clients["iam"], "cluster"),
        resourcesVpcConfig={"subnetIds": [subnet]},
        upgradePolicy={"supportType": "STANDARD"},
        **kwargs,
    )["cluster"]
    cluster["_subnet"] = subnet
    return cluster


def _error(call: Any, **kwargs: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["Error"].get("Message", "")


# -- tests -------------------------------------------------------------------------------------


def test_cluster_keeps_access_config_and_upgrade_policy(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    _cluster(clients, "keeps", "1.33")
    cluster = eks.describe_cluster(name="keeps")["cluster"]
    assert cluster["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert cluster["upgradePolicy"] == {"supportType": "STANDARD"}
    update = eks.update_cluster_config(name="keeps", upgradePolicy={"supportType": "EXTENDED"})["update"]
    assert (update["type"], update["status"]) == ("UpgradePolicyUpdate", "Successful")
    assert eks.describe_update(name="keeps", updateId=update["id"])["update"]["id"] == update["id"]
    assert eks.describe_cluster(name="keeps")["cluster"]["upgradePolicy"] == {"supportType": "EXTENDED"}
    assert eks.list_updates(name="keeps")["updateIds"] == [update["id"]]
    # API -> CONFIG_MAP is not a direction EKS allows.
    code, _ = _error(eks.update_cluster_config, name="keeps", accessConfig={"authenticationMode": "CONFIG_MAP"})
    assert code == "InvalidParameterException"


def test_creator_admin_entry_when_bootstrapped(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    ec2 = clients["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    eks.create_cluster(
        name="creator",
        version="1.34",
        roleArn=_role(clients["iam"], "cluster"),
        resourcesVpcConfig={"subnetIds": [subnet]},
        accessConfig={"authenticationMode": "API_AND_CONFIG_MAP", "bootstrapClusterCreatorAdminPermissions": True},
    )
    entries = eks.list_access_entries(clusterName="creator")["accessEntries"]
    assert entries == [f"arn:aws:iam::{ACCOUNT}:user/moto"]
    policies = eks.list_associated_access_policies(clusterName="creator", principalArn=entries[0])["associatedAccessPolicies"]
    assert [p["policyArn"] for p in policies] == [ADMIN]
    assert eks.list_access_entries(clusterName="creator", associatedPolicyArn=VIEW)["accessEntries"] == []


def test_version_upgrade_one_minor_at_a_time_nodes_follow(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    cluster = _cluster(clients, "upgrade", "1.33")
    node_role = _role(clients["iam"], "nodes")
    group = eks.create_nodegroup(clusterName="upgrade", nodegroupName="system", subnets=[cluster["_subnet"]], nodeRole=node_role)["nodegroup"]
    assert group["version"] == "1.33" and group["releaseVersion"].startswith("1.33.")  # follows the cluster, not moto's 1.19
    code, message = _error(eks.update_cluster_version, name="upgrade", version="1.35")
    assert code == "InvalidParameterException" and "1.33 to 1.35" in message
    code, _ = _error(eks.create_nodegroup, clusterName="upgrade", nodegroupName="ahead", subnets=[cluster["_subnet"]], nodeRole=node_role, version="1.34")
    assert code == "InvalidParameterException"

    update = eks.update_cluster_version(name="upgrade", version="1.34")["update"]
    assert (update["type"], update["status"]) == ("VersionUpdate", "Successful")
    assert {"type": "Version", "value": "1.34"} in update["params"]
    assert eks.describe_update(name="upgrade", updateId=update["id"])["update"]["status"] == "Successful"
    assert eks.describe_cluster(name="upgrade")["cluster"]["version"] == "1.34"
    # The node group is now one minor behind: the next control-plane bump waits for it.
    code, message = _error(eks.update_cluster_version, name="upgrade", version="1.35")
    assert code == "InvalidRequestException" and "system" in message

    group_update = eks.update_nodegroup_version(clusterName="upgrade", nodegroupName="system", version="1.34")["update"]
    assert group_update["status"] == "Successful"
    assert eks.describe_update(name="upgrade", updateId=group_update["id"], nodegroupName="system")["update"]["type"] == "VersionUpdate"
    code, _ = _error(eks.describe_update, name="upgrade", updateId=group_update["id"])  # a node group's update is not the cluster's
    assert code == "ResourceNotFoundException"
    described = eks.describe_nodegroup(clusterName="upgrade", nodegroupName="system")["nodegroup"]
    assert described["version"] == "1.34" and described["releaseVersion"].startswith("1.34.")
    assert eks.list_updates(name="upgrade", nodegroupName="system")["updateIds"] == [group_update["id"]]
    code, _ = _error(eks.update_nodegroup_version, clusterName="upgrade", nodegroupName="system", version="1.35")
    assert code == "InvalidParameterException"  # never ahead of the control plane


def test_addons_lifecycle_and_catalog(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    _cluster(clients, "addons", "1.33")
    versions = eks.describe_addon_versions(addonName="vpc-cni", kubernetesVersion="1.33")["addons"]
    assert [v["addonVersion"] for v in versions[0]["addonVersions"]] == [default_version("vpc-cni", "1.33")]
    all_names = {a["addonName"] for a in eks.describe_addon_versions()["addons"]}
    assert all_names == {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent"}

    values = json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true"}}, sort_keys=True)
    addon = eks.create_addon(
        clusterName="addons",
        addonName="vpc-cni",
        addonVersion=default_version("vpc-cni", "1.33"),
        configurationValues=values,
        serviceAccountRoleArn=ROLE,
        resolveConflicts="OVERWRITE",
        tags={"team": "platform"},
    )["addon"]
    assert (addon["status"], addon["configurationValues"], addon["serviceAccountRoleArn"]) == ("ACTIVE", values, ROLE)
    eks.create_addon(clusterName="addons", addonName="kube-proxy")  # no version: the default for the minor
    assert eks.describe_addon(clusterName="addons", addonName="kube-proxy")["addon"]["addonVersion"] == default_version("kube-proxy", "1.33")
    assert eks.list_addons(clusterName="addons")["addons"] == ["kube-proxy", "vpc-cni"]

    code, _ = _error(eks.create_addon, clusterName="addons", addonName="vpc-cni")
    assert code == "ResourceInUseException"
    code, message = _error(eks.create_addon, clusterName="addons", addonName="coredns", addonVersion=default_version("coredns", "1.36") + "9")
    assert code == "InvalidParameterException" and "not supported" in message
    code, _ = _error(eks.create_addon, clusterName="addons", addonName="coredns", configurationValues="replicaCount: [")
    assert code == "InvalidParameterException"
    code, _ = _error(eks.create_addon, clusterName="addons", addonName="no-such-addon")
    assert code == "InvalidParameterException"

    eks.update_cluster_version(name="addons", version="1.34")
    new = default_version("vpc-cni", "1.34")
    update = eks.update_addon(clusterName="addons", addonName="vpc-cni", addonVersion=new, configurationValues="{}", resolveConflicts="OVERWRITE")["update"]
    assert (update["type"], update["status"]) == ("AddonUpdate", "Successful")
    assert eks.describe_update(name="addons", updateId=update["id"], addonName="vpc-cni")["update"]["id"] == update["id"]
    assert eks.describe_addon(clusterName="addons", addonName="vpc-cni")["addon"]["addonVersion"] == new
    assert eks.list_updates(name="addons", addonName="vpc-cni")["updateIds"] == [update["id"]]

    deleted = eks.delete_addon(clusterName="addons", addonName="kube-proxy")["addon"]
    assert deleted["status"] == "DELETING"
    code, _ = _error(eks.describe_addon, clusterName="addons", addonName="kube-proxy")
    assert code == "ResourceNotFoundException"


def test_addon_downgrade_refused(clients: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    eks = clients["eks"]
    _cluster(clients, "downgrade", "1.33")
    from tools.emulator import eks_catalog

    older = "v0.0.1-eksbuild.1"
    table = {name: dict(rows) for name, rows in eks_catalog.ADDON_VERSIONS.items()}
    table["coredns"]["1.33"] = older
    monkeypatch.setattr(eks_catalog, "ADDON_VERSIONS", table)  # the server runs in this process
    eks.create_addon(clusterName="downgrade", addonName="coredns")
    table["coredns"]["1.33"] = "v9.9.9-eksbuild.1"
    eks.update_addon(clusterName="downgrade", addonName="coredns", addonVersion="v9.9.9-eksbuild.1")
    table["coredns"]["1.33"] = older
    code, message = _error(eks.update_addon, clusterName="downgrade", addonName="coredns", addonVersion=older)
    assert code == "InvalidParameterException" and "downgrade" in message


def test_access_entries_and_policies(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    cluster = _cluster(clients, "access", "1.34")
    entry = eks.create_access_entry(clusterName="access", principalArn=ROLE, type="STANDARD", tags={"a": "b"})["accessEntry"]
    assert entry["username"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/platform-admins/{{{{SessionName}}}}"
    assert eks.describe_access_entry(clusterName="access", principalArn=ROLE)["accessEntry"]["accessEntryArn"] == entry["accessEntryArn"]
    code, _ = _error(eks.create_access_entry, clusterName="access", principalArn=ROLE)
    assert code == "ResourceInUseException"
    code, _ = _error(eks.create_access_entry, clusterName="access", principalArn="arn:aws:iam::123456789012:group/x")
    assert code == "InvalidParameterException"
    updated = eks.update_access_entry(clusterName="access", principalArn=ROLE, kubernetesGroups=["platform"])["accessEntry"]
    assert updated["kubernetesGroups"] == ["platform"]

    associated = eks.associate_access_policy(clusterName="access", principalArn=ROLE, policyArn=ADMIN, accessScope={"type": "cluster"})
    assert associated["associatedAccessPolicy"]["accessScope"] == {"type": "cluster", "namespaces": []}
    eks.associate_access_policy(clusterName="access", principalArn=ROLE, policyArn=VIEW, accessScope={"type": "namespace", "namespaces": ["team-a"]})
    listed = eks.list_associated_access_policies(clusterName="access", principalArn=ROLE)["associatedAccessPolicies"]
    assert [(p["policyArn"], p["accessScope"]["type"]) for p in listed] == [(ADMIN, "cluster"), (VIEW, "namespace")]
    code, _ = _error(eks.associate_access_policy, clusterName="access", principalArn=ROLE, policyArn=VIEW, accessScope={"type": "namespace"})
    assert code == "InvalidParameterException"
    code, _ = _error(eks.associate_access_policy, clusterName="access", principalArn=ROLE, policyArn=ADMIN + "X", accessScope={"type": "cluster"})
    assert code == "ResourceNotFoundException"
    assert eks.list_access_entries(clusterName="access", associatedPolicyArn=VIEW)["accessEntries"] == [ROLE]
    names = {p["name"] for p in eks.list_access_policies()["accessPolicies"]}
    assert {"AmazonEKSClusterAdminPolicy", "AmazonEKSViewPolicy"} <= names

    # Managed node groups get their node role's EC2_LINUX entry, as on AWS.
    node_role = _role(clients["iam"], "access-nodes")
    eks.create_nodegroup(clusterName="access", nodegroupName="ng", subnets=[cluster["_subnet"]], nodeRole=node_role)
    node_entry = eks.describe_access_entry(clusterName="access", principalArn=node_role)["accessEntry"]
    assert (node_entry["type"], node_entry["username"]) == ("EC2_LINUX", "system:node:{{EC2PrivateDNSName}}")
    code, _ = _error(eks.associate_access_policy, clusterName="access", principalArn=node_role, policyArn=VIEW, accessScope={"type": "cluster"})
    assert code == "InvalidRequestException"

    eks.disassociate_access_policy(clusterName="access", principalArn=ROLE, policyArn=VIEW)
    code, _ = _error(eks.disassociate_access_policy, clusterName="access", principalArn=ROLE, policyArn=VIEW)
    assert code == "ResourceNotFoundException"
    eks.delete_access_entry(clusterName="access", principalArn=ROLE)
    code, _ = _error(eks.describe_access_entry, clusterName="access", principalArn=ROLE)
    assert code == "ResourceNotFoundException"
    assert eks.list_access_entries(clusterName="access")["accessEntries"] == [node_role]


def test_access_entries_need_api_authentication(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    _cluster(clients, "configmap", "1.34", api=False)
    assert eks.describe_cluster(name="configmap")["cluster"]["accessConfig"]["authenticationMode"] == "CONFIG_MAP"
    code, message = _error(eks.create_access_entry, clusterName="configmap", principalArn=ROLE)
    assert code == "InvalidRequestException" and "authentication mode" in message
    eks.update_cluster_config(name="configmap", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})
    eks.create_access_entry(clusterName="configmap", principalArn=ROLE)


def test_pod_identity_associations(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    _cluster(clients, "podid", "1.35")
    role = _trusting(clients["iam"], "podid-node", POD_IDENTITY_TRUST)
    association = eks.create_pod_identity_association(clusterName="podid", namespace="kube-system", serviceAccount="aws-node", roleArn=role, tags={"x": "y"})[
        "association"
    ]
    assert association["associationId"].startswith("a-")
    code, _ = _error(eks.create_pod_identity_association, clusterName="podid", namespace="kube-system", serviceAccount="aws-node", roleArn=role)
    assert code == "ResourceInUseException"
    other = f"arn:aws:iam::{ACCOUNT}:role/other"
    updated = eks.update_pod_identity_association(clusterName="podid", associationId=association["associationId"], roleArn=other)["association"]
    assert updated["roleArn"] == other
    assert eks.describe_pod_identity_association(clusterName="podid", associationId=association["associationId"])["association"]["roleArn"] == other
    listed = eks.list_pod_identity_associations(clusterName="podid", namespace="kube-system")["associations"]
    assert [a["associationId"] for a in listed] == [association["associationId"]]
    assert eks.list_pod_identity_associations(clusterName="podid", namespace="default")["associations"] == []
    eks.delete_pod_identity_association(clusterName="podid", associationId=association["associationId"])
    code, _ = _error(eks.describe_pod_identity_association, clusterName="podid", associationId=association["associationId"])
    assert code == "ResourceNotFoundException"

    # An add-on's own associations are created with it and owned by it.
    addon = eks.create_addon(clusterName="podid", addonName="vpc-cni", podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": ROLE}])["addon"]
    assert len(addon["podIdentityAssociations"]) == 1
    owned = eks.list_pod_identity_associations(clusterName="podid")["associations"]
    assert owned[0]["ownerArn"] == addon["addonArn"]
    code, _ = _error(eks.delete_pod_identity_association, clusterName="podid", associationId=owned[0]["associationId"])
    assert code == "InvalidRequestException"


def test_pod_identity_association_refused_for_a_role_that_does_not_trust_pod_identity(clients: dict[str, Any]) -> None:
    """EKS reads the role's trust policy when the association is created and answers
    ``InvalidParameterException: Trust policy of the role provided is invalid`` for a role that
    only trusts the cluster's OIDC provider (terraform-provider-aws#41483) or trusts
    ``pods.eks.amazonaws.com`` without ``sts:TagSession`` (aws-cdk#31522, and the trust EKS
    documents as required: EKS User Guide, pod-id-role.html)."""
    eks, iam = clients["eks"], clients["iam"]
    _cluster(clients, "podtrust", "1.35")
    oidc = {
        "Effect": "Allow",
        "Principal": {"Federated": f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.{REGION}.amazonaws.com/id/ABC"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {f"oidc.eks.{REGION}.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:lbc"}},
    }
    assume_only = {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}
    denied = {**POD_IDENTITY_TRUST, "Effect": "Deny"}
    for name, statements in (("oidc-only", [oidc]), ("assume-only", [assume_only]), ("denied", [denied, oidc])):
        code, message = _error(
            eks.create_pod_identity_association,
            clusterName="podtrust",
            namespace="kube-system",
            serviceAccount="lbc",
            roleArn=_trusting(iam, name, *statements),
        )
        assert (code, message) == ("InvalidParameterException", "Trust policy of the role provided is invalid."), name
    code, _ = _error(
        eks.create_pod_identity_association,
        clusterName="podtrust",
        namespace="kube-system",
        serviceAccount="lbc",
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/absent",
    )
    assert code == "InvalidParameterException"
    assert eks.list_pod_identity_associations(clusterName="podtrust")["associations"] == []
    # The migration phase's trust: OIDC and Pod Identity side by side, statement order aside; split statements count too.
    split = [
        {**POD_IDENTITY_TRUST, "Action": "sts:AssumeRole"},
        {**POD_IDENTITY_TRUST, "Action": "sts:TagSession", "Principal": {"Service": ["pods.eks.amazonaws.com"]}},
    ]
    for name, statements in (("both", [oidc, POD_IDENTITY_TRUST]), ("split", split)):
        role = _trusting(iam, name, *statements)
        created = eks.create_pod_identity_association(clusterName="podtrust", namespace="kube-system", serviceAccount=name, roleArn=role)["association"]
        assert created["roleArn"] == role


def test_pagination(clients: dict[str, Any]) -> None:
    eks = clients["eks"]
    _cluster(clients, "pages", "1.34")
    for i in range(3):
        eks.create_access_entry(clusterName="pages", principalArn=f"arn:aws:iam::{ACCOUNT}:role/r{i}")
    first = eks.list_access_entries(clusterName="pages", maxResults=2)
    second = eks.list_access_entries(clusterName="pages", maxResults=2, nextToken=first["nextToken"])
    assert len(first["accessEntries"]) == 2 and len(second["accessEntries"]) == 1 and "nextToken" not in second


def test_every_request_and_response_matches_the_model(recorder: ShapeRecorder) -> None:
    """Runs last in this file: every handler was exercised, and nothing deviated from the model."""
    assert recorder.errors == []
    assert recorder.requests >= len(recorder.operations) > 20
    handled = {name for name in extension.HANDLERS}
    exercised = {xform_name(op) for op in recorder.operations}
    assert handled - exercised == set(), f"handlers never exercised here: {sorted(handled - exercised)}"


def test_shape_check_catches_deviations() -> None:
    """The validator itself: an extra member, a missing required one, a wrong enum are reported."""
    model = boto3.session.Session().client("eks", region_name=REGION).meta.service_model.operation_model("DescribeUpdate").output_shape
    assert shape_errors({"update": {"id": "x", "status": "Done", "extra": 1}}, model) == [
        "update.status.: 'Done' not in UpdateStatus enum",
        "update.extra: not a member of Update",
    ]
    request = boto3.session.Session().client("eks", region_name=REGION).meta.service_model.operation_model("AssociateAccessPolicy").input_shape
    assert "policyArn: required by AssociateAccessPolicyRequest, missing" in shape_errors({"accessScope": {"type": "cluster"}}, request)
