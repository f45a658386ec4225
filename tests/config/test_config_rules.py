"""One bad input per validation rule of environments/schema.py, each reported at its field.

The rules come from AWS and Kubernetes (label syntax, DNS-1123 names, S3 bucket names, Route53
zone IDs, EKS limits, CloudWatch retention values), so each row breaks one of them on an otherwise
valid copy of dev.yaml and expects ``environments/dev.yaml: <field>: <message>``. Deleting a rule
from the schema turns its row red. Pure config: milliseconds, no cdktf.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import load_environments
from tests.config.test_config import problems_for
from tests.conftest import ROOT

CLOUD = {
    "kind": "cloud",
    "organization": "acme",
    "project": "eks-platform",
    "workspace_prefix": "platform",
    "dynamic_credentials": {"role_name": "tfc-runs", "policy_arns": ["arn:aws:iam::aws:policy/PowerUserAccess"]},
}


def net(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["network"].update(changes)


def cluster(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["cluster"].update(changes)


def group(name: str, **changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["cluster"]["node_groups"][name].update(changes)


def storage(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["storage"].update(changes)


def access_point(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["storage"]["efs_access_points"]["shared"].update(changes)


def dns(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["dns"].update(changes)


def s3(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["state_backend"].update(changes)


def cloud(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.update(state_backend={**CLOUD, **changes})


def credentials(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.update(state_backend={**CLOUD, "dynamic_credentials": {**CLOUD["dynamic_credentials"], **changes}})


def selector(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["cluster"]["fargate_profiles"]["batch"]["selectors"][0].update(changes)


def entry(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["cluster"]["access_entries"][0].update(changes)


def taint(**changes: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["cluster"]["node_groups"]["spot"]["taints"][0].update(changes)


NG = "cluster.node_groups"
CASES = [
    # network
    ("vpc-cidr-not-a-network", net(vpc_cidr="10.10.0.0/33"), "network.vpc_cidr", "is not an IPv4 network"),
    ("more-than-six-azs", net(availability_zones=[f"eu-west-1{c}" for c in "abcdefg"]), "network.availability_zones", "at most 6 items"),
    ("duplicate-az", net(availability_zones=["eu-west-1a", "eu-west-1a"]), "network.availability_zones", "duplicate zone in ['eu-west-1a', 'eu-west-1a']"),
    ("two-public-subnets-overlap", net(public_subnets=["10.10.0.0/22", "10.10.2.0/23"]), "network.public_subnets.1", "overlaps public_subnets.0"),
    ("private-subnet-count", net(private_subnets=["10.10.32.0/19"]), "network.private_subnets", "one subnet per availability zone (2), got 1"),
    ("flow-log-retention-not-a-cloudwatch-value", net(flow_log_retention_days=10), "network.flow_log_retention_days", "Input should be 1, 3, 5"),
    # node groups
    ("no-instance-types", group("system", instance_types=[]), f"{NG}.system.instance_types", "at least 1 item"),
    ("unknown-capacity", group("system", capacity="RESERVED"), f"{NG}.system.capacity", "'ON_DEMAND' or 'SPOT'"),
    ("negative-min-size", group("system", min_size=-1), f"{NG}.system.min_size", "greater than or equal to 0"),
    ("negative-desired-size", group("spot", desired_size=-1), f"{NG}.spot.desired_size", "greater than or equal to 0"),
    ("zero-max-size", group("spot", max_size=0, desired_size=0), f"{NG}.spot.max_size", "greater than or equal to 1"),
    ("max-size-over-eks-limit", group("spot", max_size=451), f"{NG}.spot.max_size", "less than or equal to 450"),
    ("min-size-over-eks-limit", group("spot", min_size=451), f"{NG}.spot.min_size", "less than or equal to 450"),
    ("desired-size-over-eks-limit", group("spot", desired_size=451), f"{NG}.spot.desired_size", "less than or equal to 450"),
    ("disk-too-small", group("system", disk_size_gib=19), f"{NG}.system.disk_size_gib", "greater than or equal to 20"),
    ("disk-over-ebs-limit", group("system", disk_size_gib=16385), f"{NG}.system.disk_size_gib", "less than or equal to 16384"),
    ("unknown-ami-type", group("system", ami_type="AL2_x86_64"), f"{NG}.system.ami_type", "'AL2023_x86_64_STANDARD'"),
    ("label-key-invalid", group("system", labels={"-bad": "x"}), f"{NG}.system.labels.-bad.[key]", "not a valid Kubernetes label key"),
    ("label-key-prefix-invalid", group("system", labels={"Example.COM/x": "y"}), f"{NG}.system.labels.Example.COM/x.[key]", "not a valid Kubernetes label key"),
    ("label-value-invalid", group("system", labels={"workload": "has space"}), f"{NG}.system.labels.workload", "should match pattern"),
    # EC2's instance-type data (moto's copy of DescribeInstanceTypes): a typo, and a Graviton (arm64) type under an x86_64 AMI.
    (
        "instance-type-unknown",
        group("system", instance_types=["m6i.large", "m6i.larg"]),
        f"{NG}.system.instance_types.1",
        "'m6i.larg' is not an EC2 instance type",
    ),
    (
        "instance-type-architecture",
        group("system", instance_types=["m6g.large"]),
        f"{NG}.system.instance_types.0",
        "m6g.large runs arm64 only, but ami_type AL2023_x86_64_STANDARD needs x86_64",
    ),
    ("label-value-too-long", group("system", labels={"workload": "a" * 64}), f"{NG}.system.labels.workload", "should match pattern"),
    ("taint-key-invalid", taint(key="bad key"), f"{NG}.spot.taints.0.key", "not a valid Kubernetes label key"),
    ("taint-value-invalid", taint(value="-spot"), f"{NG}.spot.taints.0.value", "should match pattern"),
    (
        "node-group-name-not-dns-1123",
        cluster(node_groups={"System": {"instance_types": ["t3.large"], "min_size": 1, "desired_size": 1, "max_size": 1}}),
        f"{NG}.System.[key]",
        "should match pattern",
    ),
    ("no-node-groups", cluster(node_groups={}), f"{NG}", "at least 1 item"),
    # fargate
    ("fargate-namespace-not-dns-1123", selector(namespace="Batch_Jobs"), "cluster.fargate_profiles.batch.selectors.0.namespace", "should match pattern"),
    (
        "fargate-selector-label-key-invalid",
        selector(labels={"a b": "c"}),
        "cluster.fargate_profiles.batch.selectors.0.labels.a b.[key]",
        "not a valid Kubernetes label key",
    ),
    (
        "fargate-no-selectors",
        lambda d: d["cluster"]["fargate_profiles"]["batch"].update(selectors=[]),
        "cluster.fargate_profiles.batch.selectors",
        "at least 1 item",
    ),
    (
        "fargate-more-than-five-selectors",
        lambda d: d["cluster"]["fargate_profiles"]["batch"].update(selectors=[{"namespace": f"ns{i}"} for i in range(6)]),
        "cluster.fargate_profiles.batch.selectors",
        "at most 5 items",
    ),
    (
        "fargate-profile-name-invalid",
        lambda d: d["cluster"].update(fargate_profiles={"Batch": {"selectors": [{"namespace": "batch"}]}}),
        "cluster.fargate_profiles.Batch.[key]",
        "should match pattern",
    ),
    # access entries and cluster
    ("unknown-access-level", entry(access="owner"), "cluster.access_entries.0.access", "'admin', 'edit' or 'view'"),
    ("access-namespace-invalid", entry(namespaces=["Apps"]), "cluster.access_entries.0.namespaces.0", "should match pattern"),
    (
        "public-cidrs-without-public-endpoint",
        cluster(endpoint_public_access=False),
        "cluster.public_access_cidrs",
        "set only when endpoint_public_access is true",
    ),
    ("public-cidr-not-a-network", cluster(public_access_cidrs=["203.0.113.1/24"]), "cluster.public_access_cidrs.0", "is not an IPv4 network"),
    ("unknown-log-type", cluster(log_types=["api", "kubelet"]), "cluster.log_types.1", "'api', 'audit', 'authenticator', 'controllerManager' or 'scheduler'"),
    ("duplicate-log-type", cluster(log_types=["api", "audit", "api"]), "cluster.log_types", "duplicate entry in ['api', 'audit', 'api']"),
    ("log-retention-not-a-cloudwatch-value", cluster(log_retention_days=31), "cluster.log_retention_days", "Input should be 1, 3, 5"),
    # storage
    ("access-points-without-efs", storage(efs=False), "storage.efs_access_points", "access points need efs: true"),
    (
        "access-point-name-invalid",
        storage(efs_access_points={"Shared": {"path": "/shared", "uid": 1000, "gid": 1000}}),
        "storage.efs_access_points.Shared.[key]",
        "should match pattern",
    ),
    ("access-point-path-relative", access_point(path="shared"), "storage.efs_access_points.shared.path", "should match pattern"),
    ("access-point-path-with-dots", access_point(path="/shared/../etc"), "storage.efs_access_points.shared.path", "should match pattern"),
    ("access-point-negative-uid", access_point(uid=-1), "storage.efs_access_points.shared.uid", "greater than or equal to 0"),
    ("access-point-negative-gid", access_point(gid=-1), "storage.efs_access_points.shared.gid", "greater than or equal to 0"),
    (
        "access-point-root-uid",
        access_point(uid=0),
        "storage.efs_access_points.shared.uid",
        "0 is root; EFS would refuse it (the file system policy grants no ClientRootAccess)",
    ),
    ("access-point-root-gid", access_point(gid=0), "storage.efs_access_points.shared.gid", "0 is root; EFS would refuse it"),
    ("require-access-point-not-a-bool", storage(efs_require_access_point="sometimes"), "storage.efs_require_access_point", "valid boolean"),
    ("access-point-permissions-not-octal", access_point(permissions="0759"), "storage.efs_access_points.shared.permissions", "should match pattern"),
    ("access-point-permissions-too-long", access_point(permissions="00750"), "storage.efs_access_points.shared.permissions", "should match pattern"),
    # dns
    ("domain-uppercase", dns(domain="Dev.Example.com"), "dns.domain", "should match pattern"),
    ("domain-without-tld", dns(domain="localhost"), "dns.domain", "should match pattern"),
    ("domain-too-long", dns(domain=".".join(["a" * 63] * 4) + ".com"), "dns.domain", "at most 253 characters"),
    ("zone-id-not-route53", dns(hosted_zone_ids=["dev.example.com"]), "dns.hosted_zone_ids.0", "should match pattern"),
    ("no-zone-ids", dns(hosted_zone_ids=[]), "dns.hosted_zone_ids", "at least 1 item"),
    # S3 backend
    ("bucket-name-uppercase", s3(bucket="Acme-State"), "state_backend.s3.bucket", "should match pattern"),
    ("bucket-name-too-short", s3(bucket="ab"), "state_backend.s3.bucket", "should match pattern"),
    ("bucket-name-underscore", s3(bucket="acme_state"), "state_backend.s3.bucket", "should match pattern"),
    ("key-prefix-leading-slash", s3(key_prefix="/platform"), "state_backend.s3.key_prefix", "should match pattern"),
    ("key-prefix-trailing-slash", s3(key_prefix="platform/"), "state_backend.s3.key_prefix", "should match pattern"),
    ("keep-zero-state-versions", s3(keep_state_versions=0), "state_backend.s3.keep_state_versions", "greater than or equal to 1"),
    ("keep-over-100-state-versions", s3(keep_state_versions=101), "state_backend.s3.keep_state_versions", "less than or equal to 100"),
    # Terraform Cloud backend
    ("tfc-organization-invalid", cloud(organization="acme corp"), "state_backend.cloud.organization", "should match pattern"),
    ("tfc-project-invalid", cloud(project="-"), "state_backend.cloud.project", "should match pattern"),
    ("tfc-hostname-invalid", cloud(hostname="https://app.terraform.io"), "state_backend.cloud.hostname", "should match pattern"),
    ("tfc-role-name-invalid", credentials(role_name="tfc/runs"), "state_backend.cloud.dynamic_credentials.role_name", "should match pattern"),
    (
        "tfc-more-than-ten-policies",
        credentials(policy_arns=[f"arn:aws:iam::111111111111:policy/p{i}" for i in range(11)]),
        "state_backend.cloud.dynamic_credentials.policy_arns",
        "at most 10 items",
    ),
    ("tfc-empty-audience", credentials(audience=""), "state_backend.cloud.dynamic_credentials.audience", "at least 1 character"),
    ("tfc-plan-role-is-apply-role", credentials(plan_role_name="tfc-runs"), "state_backend.cloud.dynamic_credentials.plan_role_name", "need separate roles"),
    ("tfc-derived-plan-role-too-long", credentials(role_name="r" * 60), "state_backend.cloud.dynamic_credentials.plan_role_name", "longer than IAM's 64"),
    # top level
    ("env-name-uppercase", lambda d: d.update(name="Dev"), "name", "should match pattern"),
    ("env-name-too-long", lambda d: d.update(name="d" * 25), "name", "should match pattern"),
    ("env-name-trailing-hyphen", lambda d: d.update(name="dev-"), "name", "should match pattern"),
    ("tag-value-not-a-string", lambda d: d.update(tags={"owner": 7}), "tags.owner", 'write it in quotes, owner: "7"'),
    ("emulator-unknown-key", lambda d: d.update(emulator={"endpoint": "http://127.0.0.1"}), "emulator.endpoint", "Extra inputs are not permitted"),
]


@pytest.mark.parametrize(("mutate", "field", "expected"), [pytest.param(m, f, e, id=i) for i, m, f, e in CASES])
def test_each_rule_rejects_its_bad_input_at_its_field(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], field: str, expected: str) -> None:
    problems = problems_for(tmp_path, mutate)
    assert any(p.startswith(f"environments/dev.yaml: {field}: ") and expected in p for p in problems), problems


def test_the_cases_are_distinct() -> None:
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


def test_the_backend_discriminator_reads_dicts_and_models() -> None:
    """``kind`` picks the backend model; a file without it is S3 (the default), and an already
    built backend model keeps its own kind."""
    from environments.state_backend import CloudStateBackend, S3StateBackend, _backend_kind

    assert _backend_kind({"kind": "cloud"}) == "cloud" and _backend_kind({"bucket": "b"}) == "s3"
    s3 = S3StateBackend(bucket="acme-state", region="eu-west-1")
    cloud = CloudStateBackend.model_validate(CLOUD)
    assert (_backend_kind(s3), _backend_kind(cloud)) == ("s3", "cloud")
    assert _backend_kind(object()) == "s3"


def test_arm_instance_types_load_with_an_arm_ami_type(tmp_path: Path) -> None:
    """The architecture rule's other side: Graviton types with an ARM_64 AMI type are accepted."""
    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    raw["cluster"]["node_groups"]["system"].update(instance_types=["m6g.large", "t4g.large"], ami_type="AL2023_ARM_64_STANDARD")
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(raw))
    [env] = load_environments(tmp_path)
    assert env.cluster.node_groups["system"].instance_types == ("m6g.large", "t4g.large")
