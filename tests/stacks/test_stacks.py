"""The synthesized Terraform JSON of the AWS layers, asserted per behaviour against the env config."""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

import pytest
import yaml

from environments import ENVIRONMENTS_DIR, EnvironmentConfig
from tests.conftest import Synth

LAYERS = ("state", "network", "cluster", "storage")


def refs(value: Any) -> str:
    return json.dumps(value)


def policy(body: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    return json.loads(body[key])


@pytest.fixture(scope="module", params=["dev", "staging", "prod"])
def env(request: pytest.FixtureRequest, real_environments: dict[str, EnvironmentConfig]) -> EnvironmentConfig:
    return real_environments[request.param]


# --- every stack --------------------------------------------------------------------------------


def test_each_environment_has_its_own_stacks(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    for name, env in environments.items():
        expected = {f"{name}-{layer}" for layer in LAYERS if layer != "storage" or env.storage.efs}
        assert expected <= set(synth.stack_names)


@pytest.mark.parametrize("layer", ["network", "cluster", "storage"])
def test_remote_state_in_s3_per_env_and_layer_with_native_locking(synth: Synth, env: EnvironmentConfig, layer: str) -> None:
    backend = synth.stack(f"{env.name}-{layer}")["terraform"]["backend"]["s3"]
    assert backend == {
        "bucket": env.state_backend.bucket,
        "key": f"{env.name}/{layer}.tfstate",
        "region": env.state_backend.region,
        # no "encrypt": the bucket's SSE-KMS default applies (tests/stacks/test_state_encryption.py)
        "use_lockfile": True,
    }


def test_state_stack_starts_local_until_migrated(synth: Synth, real_environments: dict[str, EnvironmentConfig]) -> None:
    for env in real_environments.values():
        backend = synth.stack(f"{env.name}-state")["terraform"]["backend"]
        if env.state_backend.state_stack_in_s3:
            assert backend["s3"]["key"] == f"{env.name}/state.tfstate"
        else:
            assert backend == {"local": {"path": f"terraform.{env.name}-state.tfstate"}}


@pytest.mark.parametrize("layer", LAYERS)
def test_provider_is_aws_only_pinned_to_account_with_default_tags(synth: Synth, env: EnvironmentConfig, layer: str) -> None:
    doc = synth.stack(f"{env.name}-{layer}")
    assert set(doc["provider"]) == {"aws"}
    assert doc["terraform"]["required_providers"]["aws"]["version"] == "5.100.0"
    (provider,) = doc["provider"]["aws"]
    assert provider["region"] == env.region
    assert provider["allowed_account_ids"] == [env.account_id]
    tags = provider["default_tags"][0]["tags"]
    assert tags == {**env.tags, "environment": env.name, "managed-by": "cdktf", "platform-layer": layer}
    assert "skip_credentials_validation" not in provider and "access_key" not in provider


def test_cross_stack_values_are_remote_state_lookups(synth: Synth, env: EnvironmentConfig) -> None:
    lookups = synth.data(f"{env.name}-cluster", "terraform_remote_state")
    (network,) = [v for k, v in lookups.items() if k.endswith(f"-{env.name}-network")]
    assert network["config"]["key"] == f"{env.name}/network.tfstate"
    cluster = synth.one(f"{env.name}-cluster", "aws_eks_cluster")
    for subnet in cluster["vpc_config"]["subnet_ids"]:
        assert subnet.startswith("${data.terraform_remote_state.") and "cross-stack-output-aws_subnetnetwork_private" in subnet


@pytest.mark.parametrize(
    ("layer", "outputs"),
    [
        ("network", {"vpc_id", "public_subnet_ids", "private_subnet_ids"}),
        ("cluster", {"cluster_name", "cluster_endpoint", "oidc_provider_arn", "kms_key_arn"}),
        ("storage", {"efs_id"}),
        ("state", {"state_bucket"}),
    ],
)
def test_user_facing_outputs(synth: Synth, env: EnvironmentConfig, layer: str, outputs: set[str]) -> None:
    declared = synth.stack(f"{env.name}-{layer}")["output"]
    assert outputs <= set(declared)
    for name in outputs:
        assert declared[name]["description"]


def test_synthesis_is_deterministic(synth: Synth, tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.conftest import run_main

    again = tmp_path_factory.mktemp("again") / "cdktf.out"
    proc = run_main(again, only="dev")
    assert proc.returncode == 0, proc.stderr
    # PLATFORM_ENVIRONMENTS=dev: dev's stacks, every one of them, and nothing of another environment.
    written = sorted(p.parent.name for p in (again / "stacks").glob("*/cdk.tf.json"))
    assert written == [n for n in synth.stack_names if n.startswith("dev-")]
    manifest = json.loads((again / "manifest.json").read_text())
    assert sorted(manifest["stacks"]) == written
    for path in sorted((again / "stacks").glob("*/cdk.tf.json")):
        assert path.read_bytes() == (synth.outdir / "stacks" / path.parent.name / "cdk.tf.json").read_bytes(), path


# --- state ---------------------------------------------------------------------------------------


def test_state_bucket_is_versioned_encrypted_private_tls_only_with_lifecycle(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-state"
    assert synth.one(stack, "aws_s3_bucket")["bucket"] == env.state_backend.bucket
    assert synth.one(stack, "aws_s3_bucket_versioning")["versioning_configuration"]["status"] == "Enabled"
    sse = synth.one(stack, "aws_s3_bucket_server_side_encryption_configuration")["rule"][0]
    assert sse["apply_server_side_encryption_by_default"]["sse_algorithm"] == "aws:kms"
    assert "aws_kms_key" in sse["apply_server_side_encryption_by_default"]["kms_master_key_id"]
    block = synth.one(stack, "aws_s3_bucket_public_access_block")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
    # The TLS deny, next to the state-key denies (tests/stacks/test_state_encryption.py).
    deny = next((s for s in policy(synth.one(stack, "aws_s3_bucket_policy"))["Statement"] if s.get("Sid") == "DenyInsecureTransport"), None)
    assert deny is not None, "no DenyInsecureTransport statement"
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    [rule] = synth.one(stack, "aws_s3_bucket_lifecycle_configuration")["rule"]
    assert rule["status"] == "Enabled"
    # Old state versions expire after 90 days, but the newest keep_state_versions (10 unless the
    # file says otherwise; null: by age alone) are always kept.
    raw = yaml.safe_load((ENVIRONMENTS_DIR / f"{env.name}.yaml").read_text())["state_backend"]
    expiration = {"noncurrent_days": 90}
    if raw.get("keep_state_versions", 10) is not None:
        expiration["newer_noncurrent_versions"] = raw.get("keep_state_versions", 10)
    assert rule["noncurrent_version_expiration"] == [expiration]


# --- network -------------------------------------------------------------------------------------


def test_subnets_per_az_with_load_balancer_and_cluster_tags(synth: Synth, env: EnvironmentConfig) -> None:
    subnets = list(synth.resources(f"{env.name}-network", "aws_subnet").values())
    cluster_tag = f"kubernetes.io/cluster/{env.cluster_name}"
    public = sorted((s["availability_zone"], s["cidr_block"]) for s in subnets if "kubernetes.io/role/elb" in s["tags"])
    private = sorted((s["availability_zone"], s["cidr_block"]) for s in subnets if "kubernetes.io/role/internal-elb" in s["tags"])
    azs = env.network.availability_zones
    assert public == sorted(zip(azs, env.network.public_subnets, strict=False))
    assert private == sorted(zip(azs, env.network.private_subnets, strict=False))
    assert all(s["tags"][cluster_tag] == "shared" for s in subnets)
    assert all(s.get("map_public_ip_on_launch") is not True for s in subnets)
    vpc = ipaddress.ip_network(synth.one(f"{env.name}-network", "aws_vpc")["cidr_block"])
    assert all(ipaddress.ip_network(s["cidr_block"]).subnet_of(vpc) for s in subnets)


def test_nat_gateways_follow_config_and_private_routes_use_them(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-network"
    nats = synth.resources(stack, "aws_nat_gateway")
    expected = len(env.network.availability_zones) if env.network.nat_gateways == "one_per_az" else 1
    assert len(nats) == expected
    nat_routes = [r for r in synth.resources(stack, "aws_route").values() if "nat_gateway_id" in r]
    assert len(nat_routes) == len(env.network.private_subnets)
    assert len({r["nat_gateway_id"] for r in nat_routes}) == expected
    igw_routes = [r for r in synth.resources(stack, "aws_route").values() if "gateway_id" in r]
    assert len(igw_routes) == 1 and igw_routes[0]["destination_cidr_block"] == "0.0.0.0/0"


def test_flow_logs_only_where_enabled_encrypted_and_retained(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-network"
    flow_logs = synth.resources(stack, "aws_flow_log")
    if not env.network.flow_logs:
        assert flow_logs == {}
        return
    (flow_log,) = flow_logs.values()
    assert flow_log["traffic_type"] == "ALL" and flow_log["log_destination_type"] == "cloud-watch-logs"
    group = synth.one(stack, "aws_cloudwatch_log_group")
    assert group["retention_in_days"] == env.network.flow_log_retention_days
    assert "aws_kms_key" in group["kms_key_id"]
    (statement,) = policy(synth.one(stack, "aws_iam_role_policy"))["Statement"]
    assert "*" not in statement["Resource"]


def test_default_security_group_is_emptied(synth: Synth, env: EnvironmentConfig) -> None:
    sg = synth.one(f"{env.name}-network", "aws_default_security_group")
    assert "ingress" not in sg and "egress" not in sg


# --- cluster -------------------------------------------------------------------------------------


def test_kms_key_rotates_with_explicit_policy_and_alias(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-cluster"
    key = synth.one(stack, "aws_kms_key")
    assert key["enable_key_rotation"] is True
    statements = policy(key)["Statement"]
    # The key policy is exactly: the account administers the key through IAM (the default key
    # policy), and CloudWatch Logs in this region may use it only for the cluster's log group
    # (AWS docs, "Encrypt log data in CloudWatch Logs using AWS KMS") and, where pods run on Fargate,
    # the Fargate log router's group. Nothing else, nobody else.
    fargate = env.cluster.fargate_profiles or any(ns.fargate for t in env.teams.values() for ns in t.namespaces.values())
    groups = ["cluster", "fargate"] if fargate else ["cluster"]
    log_group = [f"arn:aws:logs:{env.region}:{env.account_id}:log-group:/aws/eks/{env.cluster_name}/{g}" for g in groups]
    assert sorted(statements, key=lambda st: st["Sid"]) == [
        {"Sid": "AccountAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{env.account_id}:root"}, "Action": "kms:*", "Resource": "*"},
        {
            "Sid": "CloudWatchLogsEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{env.region}.amazonaws.com"},
            "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
            "Resource": "*",
            "Condition": {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group}},
        },
    ]
    assert synth.one(stack, "aws_kms_alias")["name"] == f"alias/{env.cluster_name}-eks"


def test_cluster_encrypts_secrets_logs_and_uses_api_authentication(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-cluster"
    cluster = synth.one(stack, "aws_eks_cluster")
    assert cluster["name"] == env.cluster_name and cluster["version"] == env.cluster.version
    (encryption,) = cluster["encryption_config"] if isinstance(cluster["encryption_config"], list) else [cluster["encryption_config"]]
    assert encryption["resources"] == ["secrets"] and "aws_kms_key" in encryption["provider"]["key_arn"]
    assert cluster["access_config"]["authentication_mode"] == "API"
    assert cluster["enabled_cluster_log_types"] == list(env.cluster.log_types)
    vpc = cluster["vpc_config"]
    assert vpc["endpoint_private_access"] is True
    assert vpc["endpoint_public_access"] is env.cluster.endpoint_public_access
    assert vpc.get("public_access_cidrs") == (list(env.cluster.public_access_cidrs) if env.cluster.endpoint_public_access else None)
    [group] = [g for g in synth.resources(stack, "aws_cloudwatch_log_group").values() if g["name"] == f"/aws/eks/{env.cluster_name}/cluster"]
    assert group["retention_in_days"] == env.cluster.log_retention_days
    assert any("aws_cloudwatch_log_group" in d for d in cluster["depends_on"]), "log group must exist before EKS creates its own"


def test_oidc_provider_for_irsa(synth: Synth, env: EnvironmentConfig) -> None:
    oidc = synth.one(f"{env.name}-cluster", "aws_iam_openid_connect_provider")
    assert oidc["client_id_list"] == ["sts.amazonaws.com"]
    assert oidc["url"].startswith("${aws_eks_cluster.") and oidc["url"].endswith(".identity[0].oidc[0].issuer}")


def test_roles_have_required_managed_policies(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-cluster"
    roles = {body["name"]: name for name, body in synth.resources(stack, "aws_iam_role").items()}
    attached: dict[str, set[str]] = {}
    for body in synth.resources(stack, "aws_iam_role_policy_attachment").values():
        role_ref = body["role"]
        owner = next(role for role, logical in roles.items() if f"aws_iam_role.{logical}." in role_ref)
        attached.setdefault(owner, set()).add(body["policy_arn"].rsplit("/", 1)[-1])
    assert {"AmazonEKSClusterPolicy"} <= attached[f"{env.cluster_name}-cluster"]
    assert {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"} <= attached[f"{env.cluster_name}-node"]
    if env.cluster.fargate_profiles:
        assert attached[f"{env.cluster_name}-fargate-pods"] == {"AmazonEKSFargatePodExecutionRolePolicy"}


def test_node_groups_match_config_with_hardened_launch_templates(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-cluster"
    groups = {g["node_group_name_prefix"].removesuffix("-"): g for g in synth.resources(stack, "aws_eks_node_group").values()}
    templates = synth.resources(stack, "aws_launch_template")
    assert set(groups) == set(env.cluster.node_groups)
    effects = {"NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"}
    for name, config in env.cluster.node_groups.items():
        group = groups[name]
        assert group["capacity_type"] == config.capacity
        assert group["instance_types"] == list(config.instance_types)
        assert group["scaling_config"] == {"min_size": config.min_size, "desired_size": config.desired_size, "max_size": config.max_size}
        # Karpenter's controller group also labels its nodes for the controller's nodeSelector.
        extra = {"platform.example.com/node-group": name} if env.karpenter is not None and env.karpenter.controller_node_group == name else {}
        assert group.get("labels", {}) == {**config.labels, **extra}
        taints = [t for t in group.get("taint", [])]
        assert [(t["key"], t.get("value", ""), t["effect"]) for t in taints] == [(t.key, t.value, t.effect) for t in config.taints]
        assert all(t["effect"] in effects for t in taints)
        assert group["tags"]["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert group["tags"][f"k8s.io/cluster-autoscaler/{env.cluster_name}"] == "owned"
        assert "scaling_config[0].desired_size" in group["lifecycle"]["ignore_changes"]
        template_logical = group["launch_template"]["id"].split(".")[1]
        template = templates[template_logical]
        assert template["metadata_options"]["http_tokens"] == "required"
        assert template["metadata_options"]["http_put_response_hop_limit"] == 1
        ebs = template["block_device_mappings"][0]["ebs"]
        assert ebs["encrypted"] == "true" and ebs["volume_size"] == config.disk_size_gib


def test_spot_groups_carry_their_configured_labels_and_taints(synth: Synth, real_environments: dict[str, EnvironmentConfig]) -> None:
    seen = 0
    for env in real_environments.values():
        groups = {g["node_group_name_prefix"].removesuffix("-"): g for g in synth.resources(f"{env.name}-cluster", "aws_eks_node_group").values()}
        for name, config in env.cluster.node_groups.items():
            if config.capacity == "SPOT":
                seen += 1
                assert groups[name]["capacity_type"] == "SPOT"
                assert groups[name]["labels"] == dict(config.labels) and groups[name]["taint"]
    assert seen, "the shipped environments should exercise a spot group"


def test_fargate_profiles_with_scoped_pod_execution_role(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-cluster"
    profiles = synth.resources(stack, "aws_eks_fargate_profile")
    assert {p["fargate_profile_name"] for p in profiles.values()} == set(env.cluster.fargate_profiles)
    for profile in profiles.values():
        config = env.cluster.fargate_profiles[profile["fargate_profile_name"]]
        assert [s["namespace"] for s in profile["selector"]] == [s.namespace for s in config.selectors]
    if profiles:
        role = next(r for r in synth.resources(stack, "aws_iam_role").values() if r["name"].endswith("-fargate-pods"))
        (statement,) = policy(role, "assume_role_policy")["Statement"]
        assert statement["Condition"]["ArnLike"]["aws:SourceArn"].endswith(f":fargateprofile/{env.cluster_name}/*")


# The EKS access policies an access level maps to, from the AWS list of access policies
# (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html): cluster-wide
# admin is cluster-admin; admin in namespaces is the namespace admin policy.
EKS_ACCESS_POLICY = {
    ("admin", "cluster"): "AmazonEKSClusterAdminPolicy",
    ("admin", "namespace"): "AmazonEKSAdminPolicy",
    ("edit", "cluster"): "AmazonEKSEditPolicy",
    ("edit", "namespace"): "AmazonEKSEditPolicy",
    ("view", "cluster"): "AmazonEKSViewPolicy",
    ("view", "namespace"): "AmazonEKSViewPolicy",
}


def test_access_entries_map_roles_to_policies_and_scopes(synth: Synth, env: EnvironmentConfig) -> None:
    """Each association is paired with its entry through ``principal_arn`` (never list position),
    and the role -> (policy, scope) map equals the environment file's, read as plain YAML."""
    stack = f"{env.name}-cluster"
    raw = yaml.safe_load((ENVIRONMENTS_DIR / f"{env.name}.yaml").read_text())["cluster"].get("access_entries", [])
    expected = {}
    for item in raw:
        scope = "namespace" if item.get("namespaces") else "cluster"
        expected[item["role_arn"]] = (
            f"arn:aws:eks::aws:cluster-access-policy/{EKS_ACCESS_POLICY[(item['access'], scope)]}",
            {"type": "namespace", "namespaces": item["namespaces"]} if scope == "namespace" else {"type": "cluster"},
        )
    assert expected, f"{env.name}.yaml has no access entries: the test would pass vacuously"
    # The CI roles' entries: apply is cluster-admin; the plan role's namespaces are in tests/stacks/test_access.py.
    from environments.ci import role_arns

    ci = role_arns(env)
    if ci:
        expected[ci[1]] = ("arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", {"type": "cluster"})
        expected[ci[0]] = ("arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy", "namespaces of the Helm releases")
    entries = synth.resources(stack, "aws_eks_access_entry")
    assert sorted(e["principal_arn"] for e in entries.values()) == sorted(expected)
    assert all(e["type"] == "STANDARD" for e in entries.values())
    granted = {}
    for association in synth.resources(stack, "aws_eks_access_policy_association").values():
        ref = re.fullmatch(r"\$\{aws_eks_access_entry\.([\w-]+)\.principal_arn\}", association["principal_arn"])
        assert ref, f"association principal is not an access entry of this stack: {association['principal_arn']}"
        principal = entries[ref.group(1)]["principal_arn"]
        assert principal not in granted, f"{principal} has two policy associations"
        granted[principal] = (association["policy_arn"], association["access_scope"])
    if ci:
        assert granted[ci[0]][1]["type"] == "namespace"
        granted[ci[0]] = (granted[ci[0]][0], "namespaces of the Helm releases")
    assert granted == expected


# --- storage -------------------------------------------------------------------------------------


def test_efs_encrypted_with_cluster_key_mounted_in_every_private_subnet(synth: Synth, env: EnvironmentConfig) -> None:
    stack = f"{env.name}-storage"
    fs = synth.one(stack, "aws_efs_file_system")
    assert fs["encrypted"] is True
    assert "cross-stack-output-aws_kms_key" in fs["kms_key_id"], "EFS must use the cluster stack's key"
    mounts = synth.resources(stack, "aws_efs_mount_target")
    assert len(mounts) == len(env.network.private_subnets)
    assert synth.resources(stack, "aws_vpc_security_group_egress_rule") == {}
    # Each access point as the environment file gives it (read as plain YAML): owner and mode of
    # the directory EFS creates, and the POSIX identity every NFS request through it uses.
    raw = yaml.safe_load((ENVIRONMENTS_DIR / f"{env.name}.yaml").read_text())["storage"].get("efs_access_points", {})
    expected = {
        ap["path"]: (
            {"uid": ap["uid"], "gid": ap["gid"]},
            {"owner_uid": ap["uid"], "owner_gid": ap["gid"], "permissions": str(ap.get("permissions", "0750"))},
        )
        for ap in raw.values()
    }
    assert all(uid != 0 for (ids, _) in expected.values() for uid in ids.values()), "use a non-root identity in the files"
    points = synth.resources(stack, "aws_efs_access_point").values()
    got = {p["root_directory"]["path"]: (p["posix_user"], p["root_directory"]["creation_info"]) for p in points}
    assert got == expected


def test_efs_admits_nfs_only_from_the_cluster_security_group(synth: Synth, env: EnvironmentConfig) -> None:
    """NFS from the EKS cluster security group (every node and pod has it), never from a CIDR: the
    VPC CIDR also covers the public subnets and whatever else lives in the VPC."""
    stack = f"{env.name}-storage"
    (group,) = synth.resources(stack, "aws_security_group")
    (rule,) = synth.resources(stack, "aws_vpc_security_group_ingress_rule").values()
    assert rule["security_group_id"] == f"${{aws_security_group.{group}.id}}"
    assert (rule["ip_protocol"], rule["from_port"], rule["to_port"]) == ("tcp", 2049, 2049)
    assert not {"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} & set(rule), rule
    # The cluster stack's output of aws_eks_cluster.vpc_config[0].cluster_security_group_id.
    assert re.fullmatch(
        r"\$\{data\.terraform_remote_state\.cross-stack-reference-input-[\w-]+-cluster\.outputs\.cross-stack-output-aws_eks_cluster\w+vpc_config0cluster_security_group_id\}",
        rule["referenced_security_group_id"],
    ), rule["referenced_security_group_id"]
    for mount in synth.resources(stack, "aws_efs_mount_target").values():
        assert mount["security_groups"] == [f"${{aws_security_group.{group}.id}}"]


def test_efs_policy_mount_targets_only_tls_only_access_points_only_no_root(synth: Synth, env: EnvironmentConfig) -> None:
    """The file system policy, read as IAM would: anyone reaching a mount target may mount and
    write, nobody gets root, nothing without TLS, and with ``efs_require_access_point`` (the
    default, read from the file as plain YAML) no client action without an access point."""
    stack = f"{env.name}-storage"
    [fs] = synth.resources(stack, "aws_efs_file_system")
    arn = f"${{aws_efs_file_system.{fs}.arn}}"
    body = synth.one(stack, "aws_efs_file_system_policy")
    assert body["file_system_id"] == f"${{aws_efs_file_system.{fs}.id}}"
    assert body.get("bypass_policy_lockout_safety_check") in (None, False)
    statements = {s["Sid"]: s for s in policy(body)["Statement"]}
    assert all(s["Resource"] == arn and s["Principal"] == {"AWS": "*"} for s in statements.values())
    allows = [s for s in statements.values() if s["Effect"] == "Allow"]
    assert allows == [statements["MountTargetClients"]]
    assert sorted(allows[0]["Action"]) == ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"]
    assert allows[0]["Condition"] == {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}}
    tls = statements["DenyNonTls"]
    assert (tls["Effect"], tls["Action"], tls["Condition"]) == ("Deny", "*", {"Bool": {"aws:SecureTransport": "false"}})
    raw = yaml.safe_load((ENVIRONMENTS_DIR / f"{env.name}.yaml").read_text())["storage"]
    without = statements.get("DenyWithoutAccessPoint")
    if raw.get("efs_require_access_point", True):
        assert without is not None, "access without an access point must be denied"
        assert without["Effect"] == "Deny"
        assert sorted(without["Action"]) == sorted(["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite", "elasticfilesystem:ClientRootAccess"])
        assert without["Condition"] == {"Null": {"elasticfilesystem:AccessPointArn": "true"}}
    else:
        assert without is None
    assert set(statements) <= {"MountTargetClients", "DenyNonTls", "DenyWithoutAccessPoint"}


def test_efs_backup_policy_unless_the_file_turns_backups_off(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    """AWS Backup's automatic backups are on for every file system; only an environment file that
    says ``efs_backups: false`` (the emulator's) goes without."""
    seen = set()
    for name in environments:
        raw = yaml.safe_load((ENVIRONMENTS_DIR / f"{name}.yaml").read_text()).get("storage", {})
        if raw.get("efs") is False:
            continue
        policies = list(synth.resources(f"{name}-storage", "aws_efs_backup_policy").values())
        if raw.get("efs_backups", True):
            [fs] = synth.resources(f"{name}-storage", "aws_efs_file_system")
            assert policies == [{**policies[0], "file_system_id": f"${{aws_efs_file_system.{fs}.id}}", "backup_policy": {"status": "ENABLED"}}], name
        else:
            assert policies == [], name
        seen.add(raw.get("efs_backups", True))
    assert seen == {True, False}, "the environments should exercise backups on and off"
