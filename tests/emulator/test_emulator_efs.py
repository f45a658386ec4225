"""The emulator's EFS file system policy operations (tools/emulator/efs.py) against botocore's EFS
service model, in the order ``aws_efs_file_system_policy`` calls them.

One in-process moto server with the extension registered; boto3 talks to it over HTTP. Every
request body and every raw response body is checked strictly against the operation's shapes
(tests/model_shapes.py); the last test checks that every handler was exercised here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
from botocore import xform_name  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from modules.shared.iam import document  # noqa: E402
from modules.storage.efs_policy import statements  # noqa: E402
from tests.model_shapes import ShapeRecorder  # noqa: E402
from tools.emulator import efs as extension  # noqa: E402

REGION = "eu-west-1"


@pytest.fixture(scope="module")
def recorder() -> ShapeRecorder:
    return ShapeRecorder(checked={"PutFileSystemPolicy", "DescribeFileSystemPolicy", "DeleteFileSystemPolicy"})


@pytest.fixture(scope="module")
def efs(recorder: ShapeRecorder) -> Iterator[Any]:
    from moto.server import ThreadedMotoServer

    extension.register()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    client = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION).client(
        "efs", endpoint_url=f"http://{host}:{port}"
    )
    client.meta.events.register("before-call.efs", recorder.before_call)
    client.meta.events.register("after-call.efs", recorder.after_call)
    yield client
    server.stop()


def _error(call: Any, **kwargs: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]["Code"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


def _file_system(efs: Any, token: str) -> tuple[str, str]:
    fs = efs.create_file_system(CreationToken=token, Encrypted=True)
    return fs["FileSystemId"], fs["FileSystemArn"]


def test_the_policy_lifecycle_terraform_drives(efs: Any) -> None:
    """Create (Put, then Describe), update (Put), read, destroy (Delete), read again: gone."""
    fs, arn = _file_system(efs, "lifecycle")
    assert _error(efs.describe_file_system_policy, FileSystemId=fs) == ("PolicyNotFound", 404)
    policy = document(*statements(arn, require_access_point=True))  # what the storage stack applies
    put = efs.put_file_system_policy(FileSystemId=fs, Policy=policy)
    assert (put["FileSystemId"], json.loads(put["Policy"])) == (fs, json.loads(policy))
    assert json.loads(efs.describe_file_system_policy(FileSystemId=fs)["Policy"]) == json.loads(policy)
    relaxed = document(*statements(arn, require_access_point=False))
    efs.put_file_system_policy(FileSystemId=fs, Policy=relaxed)
    assert json.loads(efs.describe_file_system_policy(FileSystemId=fs)["Policy"]) == json.loads(relaxed)
    efs.delete_file_system_policy(FileSystemId=fs)
    assert _error(efs.describe_file_system_policy, FileSystemId=fs) == ("PolicyNotFound", 404)
    efs.delete_file_system_policy(FileSystemId=fs)  # the default policy again: nothing to delete, no error


def test_an_unknown_file_system_is_file_system_not_found(efs: Any) -> None:
    """What the provider's read treats as gone and its delete ignores (file_system_policy.go)."""
    policy = document(*statements("arn:aws:elasticfilesystem:eu-west-1:123456789012:file-system/fs-00000000", require_access_point=True))
    assert _error(efs.put_file_system_policy, FileSystemId="fs-00000000", Policy=policy) == ("FileSystemNotFound", 404)
    assert _error(efs.describe_file_system_policy, FileSystemId="fs-00000000") == ("FileSystemNotFound", 404)
    assert _error(efs.delete_file_system_policy, FileSystemId="fs-00000000") == ("FileSystemNotFound", 404)


def test_the_policy_goes_with_its_file_system(efs: Any) -> None:
    fs, arn = _file_system(efs, "deleted")
    efs.put_file_system_policy(FileSystemId=fs, Policy=document(*statements(arn, require_access_point=False)))
    efs.delete_file_system(FileSystemId=fs)
    assert _error(efs.describe_file_system_policy, FileSystemId=fs) == ("FileSystemNotFound", 404)


@pytest.mark.parametrize(
    "policy",
    [
        "not json",
        json.dumps(["a", "list"]),
        json.dumps({"Version": "2012-10-17", "Statement": []}),
        json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "*", "Principal": "*"}]}),
        json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "x" * 20_000, "Effect": "Allow", "Action": "*", "Principal": "*"}]}),
    ],
    ids=["not-json", "not-an-object", "no-statements", "bad-effect", "over-20000-characters"],
)
def test_a_malformed_policy_is_invalid(efs: Any, policy: str, request: pytest.FixtureRequest) -> None:
    fs, _ = _file_system(efs, request.node.name)
    assert _error(efs.put_file_system_policy, FileSystemId=fs, Policy=policy) == ("InvalidPolicyException", 400)
    assert _error(efs.describe_file_system_policy, FileSystemId=fs) == ("PolicyNotFound", 404)


def test_a_policy_locking_out_its_author_needs_the_bypass(efs: Any) -> None:
    """The lockout safety check (simplified): an unconditioned Deny of everything to everyone."""
    fs, arn = _file_system(efs, "lockout")
    lockout = document({"Sid": "DenyAll", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "*", "Resource": arn})
    assert _error(efs.put_file_system_policy, FileSystemId=fs, Policy=lockout) == ("InvalidPolicyException", 400)
    efs.put_file_system_policy(FileSystemId=fs, Policy=lockout, BypassPolicyLockoutSafetyCheck=True)
    assert json.loads(efs.describe_file_system_policy(FileSystemId=fs)["Policy"]) == json.loads(lockout)


def test_the_nfs_rule_from_the_cluster_group_reads_back_its_description() -> None:
    """The correction ``keep_group_rule_descriptions`` (tools/emulator/server.py): without it the
    storage stack's rule (source: the cluster security group) reads back without its description,
    and every plan would set it again. In-process moto; the original property is restored."""
    from moto import mock_aws
    from moto.ec2.models.security_groups import SecurityGroupRule

    from tools.emulator.server import keep_group_rule_descriptions

    def rule_description() -> str | None:
        with mock_aws():
            ec2 = boto3.client("ec2", REGION)
            vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
            efs_group = ec2.create_security_group(GroupName="efs", Description="efs", VpcId=vpc)["GroupId"]
            cluster_group = ec2.create_security_group(GroupName="cluster", Description="cluster", VpcId=vpc)["GroupId"]
            pair = {"GroupId": cluster_group, "Description": "NFS from the cluster security group"}
            ec2.authorize_security_group_ingress(
                GroupId=efs_group, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [pair]}]
            )
            [rule] = [
                r for r in ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [efs_group]}])["SecurityGroupRules"] if not r["IsEgress"]
            ]
            assert rule["ReferencedGroupInfo"]["GroupId"] == cluster_group
            return rule.get("Description")

    original = SecurityGroupRule.__dict__["description"]
    try:
        assert rule_description() is None, "moto reports the description now: drop keep_group_rule_descriptions"
        keep_group_rule_descriptions()
        assert rule_description() == "NFS from the cluster security group"
    finally:
        SecurityGroupRule.description = original


def test_every_request_and_response_matches_the_model(recorder: ShapeRecorder) -> None:
    """Runs last in this file: every handler was exercised, and nothing deviated from the model."""
    assert recorder.errors == []
    assert recorder.checked and recorder.checked <= recorder.operations
    exercised = {xform_name(op) for op in recorder.operations}
    assert set(extension.HANDLERS) - exercised == set(), f"handlers never exercised here: {sorted(set(extension.HANDLERS) - exercised)}"
