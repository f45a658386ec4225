"""Every AWS-only stack of an environment applies to the emulator, converges, and destroys cleanly.

Run for ``environments/local.yaml`` (with the add-ons' AWS side: IRSA roles, buckets, interruption
queue) and for a wider shape of it (three AZs, a NAT gateway per AZ, two node groups, no add-ons).
Each environment gets its own emulator for the module; the tests of one environment run in order
(apply, add-on checks, plan, then for ``local`` a one-minor upgrade and a node group replacement,
destroy) against it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from catalog.eks_versions import ADDON_VERSIONS
from catalog.karpenter import addon as karpenter_charts
from catalog.karpenter.policy import EVENT_PATTERNS as KARPENTER_EVENTS
from catalog.karpenter.policy import NODE_ROLE_POLICIES, POLICY_KEYS, policy_name
from environments import load_environments
from environments.schema import EnvironmentConfig
from environments.teams import SECRET_STORE_SERVICE_ACCOUNT, secrets_role_name, team_fargate_profiles, team_group, workload_role_name
from modules.cluster.access_entries import access_policy_arn
from modules.storage.efs_policy import statements as efs_policy_statements
from tests import addon_facts
from tests.e2e.e2e_support import copy_stacks, local_environment, phase, wide_environment
from tests.e2e.upgrade_support import emulator_requests, local_yaml, plan_json, redeploy
from tools.emulator import Emulator
from tools.local import Workspace
from tools.plan_report import EXIT_HIGH_RISK
from tools.plan_report import main as plan_report_main
from tools.review.version_jump import jump_problem, recorded_version, state_pull

pytestmark = pytest.mark.e2e


@dataclass
class Deployment:
    env: EnvironmentConfig
    ws: Workspace

    def client(self, service: str):
        return self.ws.emulator.client(service, self.env.region)


@pytest.fixture(scope="module", params=["local", "localwide"])
def deployment(
    request: pytest.FixtureRequest,
    synthesized: Callable[[str], tuple[Path, list[str]]],
    tmp_path_factory: pytest.TempPathFactory,
    tf_env: dict[str, str],
) -> Iterator[Deployment]:
    name = request.param
    outdir, stacks = synthesized(name)
    if name == "local":
        env = load_environments(local_environment(tmp_path_factory.mktemp("env")), only=["local"])[0]
    else:
        env = load_environments(wide_environment(tmp_path_factory.mktemp("env")), only=[name])[0]
    base = tmp_path_factory.mktemp(f"{name}-deploy")
    emulator = Emulator(log_path=base / "emulator.log").start()
    try:
        ws = Workspace(outdir=copy_stacks(outdir, stacks, base), stacks=stacks, emulator=emulator, logs=base / "logs", base_env=tf_env)
        yield Deployment(env=env, ws=ws)
    finally:
        emulator.stop()


@dataclass(frozen=True)
class AddonsAwsSide:
    """What ``<env>-addons-aws`` must create for the environment's enabled add-ons, by physical name."""

    roles: dict[str, tuple[str, str]]  # role name -> (namespace, service account)
    buckets: list[str]
    queue: str | None


def _addons_aws_side(env: EnvironmentConfig) -> AddonsAwsSide:
    # Expected from the upstream projects (tests/addon_facts.py), not from the add-on specs.
    roles = {
        f"{env.cluster_name}-{name}": (addon_facts.RELEASES[name][1], addon_facts.SERVICE_ACCOUNTS[name])
        for name, options in env.addons.items()
        if addon_facts.calls_aws(name, options)
    }
    buckets = [
        f"{env.name}-{env.account_id}-{name}-{purpose}" for name, purposes in addon_facts.expected_bucket_purposes(env.addons).items() for purpose in purposes
    ]
    queue = f"{env.cluster_name}-node-termination" if addon_facts.needs_interruption_queue(env.addons) else None
    if env.karpenter is not None:  # Karpenter's controller role and queue are in the same stack
        roles[karpenter_charts.controller_role_name(env)] = (karpenter_charts.NAMESPACE, "karpenter")
        if env.karpenter.interruption_handling:
            queue = karpenter_charts.queue_name(env)
    return AddonsAwsSide(roles=roles, buckets=sorted(buckets), queue=queue)


def _state_objects(d: Deployment) -> dict[str, dict]:
    s3 = d.client("s3")
    listed = s3.list_objects_v2(Bucket=d.env.state_backend.bucket).get("Contents", [])
    return {o["Key"]: json.loads(s3.get_object(Bucket=d.env.state_backend.bucket, Key=o["Key"])["Body"].read()) for o in listed}


def test_every_aws_only_stack_applies_and_keeps_its_state_in_the_emulated_bucket(deployment: Deployment) -> None:
    d = deployment
    layers = [s.removeprefix(f"{d.env.name}-") for s in d.ws.stacks]
    assert layers[:4] == ["state", "network", "cluster", "storage"], layers
    with phase(f"apply {d.env.name}"):
        for stack in d.ws.stacks:
            d.ws.apply(stack)
    states = _state_objects(d)
    # The state stack bootstraps the bucket on local state; every other stack is in the bucket.
    expected = {f"{d.env.name}/{layer}.tfstate" for layer in layers[1:]}
    assert set(states) == expected, f"state objects in s3://{d.env.state_backend.bucket}: {sorted(states)}"
    for key, state in states.items():
        assert state["resources"], f"{key} holds no resources"
    assert "aws_s3_bucket" in {r["type"] for r in json.loads((d.ws.dir(d.ws.stacks[0]) / f"terraform.{d.ws.stacks[0]}.tfstate").read_text())["resources"]}


def test_the_addons_aws_side_exists_with_irsa_trust_bound_to_the_clusters_issuer(deployment: Deployment) -> None:
    d = deployment
    side = _addons_aws_side(d.env)
    if d.env.name != "local":
        assert f"{d.env.name}-addons-aws" not in d.ws.stacks and not side.roles
        pytest.skip(f"{d.env.name} enables no add-ons (environments/local.yaml covers their AWS side)")
    # Guard against a vacuous pass: local.yaml must exercise every kind of resource of the stack.
    assert f"{d.env.name}-addons-aws" in d.ws.stacks, d.ws.stacks
    assert len(side.roles) >= 5 and side.buckets and side.queue, side
    iam, s3, sqs, events = d.client("iam"), d.client("s3"), d.client("sqs"), d.client("events")

    # IRSA: trust bound to this cluster's OIDC issuer, exactly one service account, for STS only.
    issuer_url = d.client("eks").describe_cluster(name=d.env.cluster_name)["cluster"]["identity"]["oidc"]["issuer"]
    issuer = issuer_url.removeprefix("https://")
    providers = [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] if p["Arn"].endswith(f"oidc-provider/{issuer}")]
    assert len(providers) == 1, f"no IAM OIDC provider for {issuer_url}"
    for name, (namespace, service_account) in side.roles.items():
        role = iam.get_role(RoleName=name)["Role"]
        [statement] = _irsa_statement(name, role["AssumeRolePolicyDocument"]["Statement"])
        assert statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRoleWithWebIdentity", (name, statement)
        assert statement["Principal"] == {"Federated": providers[0]}, (name, statement)
        assert statement["Condition"] == {
            "StringEquals": {
                f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                f"{issuer}:aud": "sts.amazonaws.com",
            }
        }, (name, statement)
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        assert inline or attached, f"{name} has no permissions"
    # The EBS CSI driver's AWS-managed policy exists in the emulator only because moto loads them.
    ebs = iam.list_attached_role_policies(RoleName=f"{d.env.cluster_name}-aws-ebs-csi-driver")["AttachedPolicies"]
    assert [p["PolicyName"] for p in ebs] == ["AmazonEBSCSIDriverPolicy"], ebs

    # Buckets: present, SSE-KMS with the cluster's key, public access blocked.
    key_arn = d.ws.outputs(f"{d.env.name}-cluster")["kms_key_arn"]
    for bucket in side.buckets:
        [rule] = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
        assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}, (bucket, rule)
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()), (bucket, block)

    # Interruption queue: exists, and every EventBridge rule of it sends to it.
    assert side.queue is not None
    queue_url = sqs.get_queue_url(QueueName=side.queue)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rules = [r["Name"] for r in events.list_rules(NamePrefix=side.queue)["Rules"]]
    # NTH: scheduled change, spot interruption, rebalance, state change; Karpenter: + capacity reservation.
    assert len(rules) == (len(KARPENTER_EVENTS) if side.queue == karpenter_charts.queue_name(d.env) else 4), rules
    for rule in rules:
        targets = [t["Arn"] for t in events.list_targets_by_rule(Rule=rule)["Targets"]]
        assert targets == [queue_arn], (rule, targets)


def _team_roles(env: EnvironmentConfig) -> dict[str, list[str]]:
    """Role name -> the exact ``sub`` values its trust must name (teams' workload and secrets roles)."""
    roles: dict[str, list[str]] = {}
    for team, spec in env.teams.items():
        for sa, identity in spec.service_accounts.items():
            roles[workload_role_name(env, team, sa)] = [f"system:serviceaccount:{identity.namespace}:{sa}"]
        roles[secrets_role_name(env, team)] = [f"system:serviceaccount:{ns}:{SECRET_STORE_SERVICE_ACCOUNT}" for ns in sorted(spec.namespaces)]
    return roles


def test_the_teams_aws_side_exists_with_trust_naming_exactly_their_service_accounts(deployment: Deployment) -> None:
    d = deployment
    roles = _team_roles(d.env)
    if d.env.name != "local":
        assert f"{d.env.name}-teams-aws" not in d.ws.stacks and not roles
        pytest.skip(f"{d.env.name} declares no teams (environments/local.yaml covers their AWS side)")
    assert f"{d.env.name}-teams-aws" in d.ws.stacks, d.ws.stacks
    assert len(roles) >= 2 and team_fargate_profiles(d.env), roles  # guard against a vacuous pass
    iam, eks = d.client("iam"), d.client("eks")
    issuer = eks.describe_cluster(name=d.env.cluster_name)["cluster"]["identity"]["oidc"]["issuer"].removeprefix("https://")
    for name, subjects in roles.items():
        [statement] = _irsa_statement(name, iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]["Statement"])
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity" and statement["Principal"]["Federated"].endswith(f"oidc-provider/{issuer}")
        sub = statement["Condition"]["StringEquals"][f"{issuer}:sub"]
        assert ([sub] if isinstance(sub, str) else sub) == subjects, (name, statement)
        assert statement["Condition"]["StringEquals"][f"{issuer}:aud"] == "sts.amazonaws.com"
        [policy] = iam.list_role_policies(RoleName=name)["PolicyNames"]
        document = iam.get_role_policy(RoleName=name, PolicyName=policy)["PolicyDocument"]
        read = next(s for s in document["Statement"] if s["Sid"] == "ReadTeamParameters")
        team = next(t for t in d.env.teams if name.startswith(f"{d.env.cluster_name}-{t}-"))
        assert all(r.split(":parameter", 1)[1] in (f"/{d.env.name}/{team}", f"/{d.env.name}/{team}/*") for r in read["Resource"]), read
    # Team members: an access entry carrying only the team's group, never an access policy.
    members = {arn: team_group(t, access) for t, spec in d.env.teams.items() for access, arns in spec.members.items() for arn in arns}
    assert members, "environments/local.yaml's team must have members"
    for arn, group in members.items():
        entry = eks.describe_access_entry(clusterName=d.env.cluster_name, principalArn=arn)["accessEntry"]
        assert entry["kubernetesGroups"] == [group] and entry["type"] == "STANDARD", entry
        assert eks.list_associated_access_policies(clusterName=d.env.cluster_name, principalArn=arn)["associatedAccessPolicies"] == []
    profiles = eks.list_fargate_profiles(clusterName=d.env.cluster_name)["fargateProfileNames"]
    for profile, spec in team_fargate_profiles(d.env).items():
        assert profile in profiles, profiles
        selectors = eks.describe_fargate_profile(clusterName=d.env.cluster_name, fargateProfileName=profile)["fargateProfile"]["selectors"]
        assert [s["namespace"] for s in selectors] == [s.namespace for s in spec.selectors]


def test_karpenters_aws_side_exists_and_nodes_can_join(deployment: Deployment) -> None:
    d = deployment
    if d.env.karpenter is None:
        pytest.skip(f"{d.env.name} does not use Karpenter (environments/local.yaml does)")
    iam, ec2, eks = d.client("iam"), d.client("ec2"), d.client("eks")
    cluster = d.env.cluster_name
    # Controller: the six policies of Karpenter v1.14.1's template, attached to its IRSA role.
    attached = iam.list_attached_role_policies(RoleName=karpenter_charts.controller_role_name(d.env))["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in attached) == sorted(policy_name(cluster, k) for k in POLICY_KEYS)
    # Nodes: the role with the template's managed policies, joined by an EC2_LINUX access entry.
    node_role = iam.get_role(RoleName=karpenter_charts.node_role_name(d.env))["Role"]
    node_policies = iam.list_attached_role_policies(RoleName=node_role["RoleName"])["AttachedPolicies"]
    assert sorted(p["PolicyName"] for p in node_policies) == sorted(NODE_ROLE_POLICIES)
    entry = eks.describe_access_entry(clusterName=cluster, principalArn=node_role["Arn"])["accessEntry"]
    assert entry["type"] == "EC2_LINUX", entry
    # Discovery: the private subnets and the cluster security group carry karpenter.sh/discovery.
    tagged = ec2.describe_subnets(Filters=[{"Name": "tag:karpenter.sh/discovery", "Values": [cluster]}])["Subnets"]
    names = sorted(next(t["Value"] for t in s["Tags"] if t["Key"] == "Name") for s in tagged)
    assert names == sorted(f"{d.env.name}-private-{az}" for az in d.env.network.availability_zones)
    group = eks.describe_cluster(name=cluster)["cluster"]["resourcesVpcConfig"]["clusterSecurityGroupId"]
    [sg] = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    assert {"Key": "karpenter.sh/discovery", "Value": cluster} in sg["Tags"], sg["Tags"]


def test_the_clusters_access_entries_exist_with_their_access_policies(deployment: Deployment) -> None:
    """Access entries apply on the emulator (its EKS extension) and read back as configured."""
    d = deployment
    if d.env.name == "local":
        assert d.env.cluster.access_entries, "environments/local.yaml must configure access entries"
    eks = d.client("eks")
    cluster = eks.describe_cluster(name=d.env.cluster_name)["cluster"]
    assert cluster["accessConfig"]["authenticationMode"] == "API"
    listed = set(eks.list_access_entries(clusterName=d.env.cluster_name)["accessEntries"])
    for entry in d.env.cluster.access_entries:
        assert entry.role_arn in listed, (entry.role_arn, listed)
        described = eks.describe_access_entry(clusterName=d.env.cluster_name, principalArn=entry.role_arn)["accessEntry"]
        assert described["type"] == "STANDARD"
        policies = eks.list_associated_access_policies(clusterName=d.env.cluster_name, principalArn=entry.role_arn)["associatedAccessPolicies"]
        scope = {"type": "namespace", "namespaces": list(entry.namespaces)} if entry.namespaces else {"type": "cluster", "namespaces": []}
        assert [(p["policyArn"], p["accessScope"]) for p in policies] == [(access_policy_arn(entry), scope)], policies
    # The CI plan role: its group (bound by <env>-teams' RBAC) applies with the entry.
    from environments.ci import PLAN_GROUP, role_arns

    if role_arns(d.env) is not None and d.env.teams:  # (localwide has neither add-ons nor teams: no plan entry)
        plan = eks.describe_access_entry(clusterName=d.env.cluster_name, principalArn=role_arns(d.env)[0])["accessEntry"]
        assert plan["kubernetesGroups"] == [PLAN_GROUP], plan


def _efs_file_system(d: Deployment) -> dict:
    [fs] = [f for f in d.client("efs").describe_file_systems()["FileSystems"] if f.get("CreationToken") == d.env.name]
    return fs


def test_efs_admits_nfs_from_the_cluster_security_group_only_under_its_policy(deployment: Deployment) -> None:
    """EFS as applied: the mount targets' group admits TCP 2049 from the EKS cluster security
    group and nothing else, and the file system policy reads back as the storage stack wrote it."""
    d = deployment
    ec2, efs = d.client("ec2"), d.client("efs")
    fs = _efs_file_system(d)
    cluster_group = d.client("eks").describe_cluster(name=d.env.cluster_name)["cluster"]["resourcesVpcConfig"]["clusterSecurityGroupId"]
    mounts = efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]
    assert len(mounts) == len(d.env.network.private_subnets)
    groups = {g for m in mounts for g in efs.describe_mount_target_security_groups(MountTargetId=m["MountTargetId"])["SecurityGroups"]}
    [group] = groups
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    ingress = [
        (r["IpProtocol"], r["FromPort"], r["ToPort"], r.get("CidrIpv4"), r.get("ReferencedGroupInfo", {}).get("GroupId")) for r in rules if not r["IsEgress"]
    ]
    assert ingress == [("tcp", 2049, 2049, None, cluster_group)], ingress
    applied = json.loads(efs.describe_file_system_policy(FileSystemId=fs["FileSystemId"])["Policy"])
    expected = efs_policy_statements(fs["FileSystemArn"], require_access_point=d.env.storage.efs_require_access_point)
    assert applied == {"Version": "2012-10-17", "Statement": expected}, applied


def test_the_pod_network_is_a_secondary_cidr_with_a_routed_pod_subnet_per_zone(deployment: Deployment) -> None:
    """network.pod_network as applied (localwide): the block associated with the VPC, one pod subnet
    per zone inside it routed through that zone's private route table, and vpc-cni told to use
    custom networking. Expectations from the environment file (written by wide_environment)."""
    d = deployment
    pods = d.env.network.pod_network
    if pods is None:
        pytest.skip(f"{d.env.name} has no pod network (the localwide shape has one)")
    ec2, eks = d.client("ec2"), d.client("eks")
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [d.env.name]}])["Vpcs"]
    blocks = {b["CidrBlock"]: b["CidrBlockState"]["State"] for b in vpc["CidrBlockAssociationSet"]}
    assert blocks == {d.env.network.vpc_cidr: "associated", pods.cidr: "associated"}, blocks
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]
    pod_subnets = {s["CidrBlock"]: s for s in subnets if s["CidrBlock"] in pods.subnets}
    assert sorted(pod_subnets) == sorted(pods.subnets)
    assert sorted(s["AvailabilityZone"] for s in pod_subnets.values()) == sorted(d.env.network.availability_zones)
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]
    by_subnet = {a["SubnetId"]: t for t in tables for a in t.get("Associations", []) if a.get("SubnetId")}
    private = {s["AvailabilityZone"]: s["SubnetId"] for s in subnets if s["CidrBlock"] in d.env.network.private_subnets}
    for subnet in pod_subnets.values():
        table = by_subnet[subnet["SubnetId"]]
        assert table is by_subnet[private[subnet["AvailabilityZone"]]], "a pod subnet shares its zone's private route table"
        assert any(r.get("NatGatewayId") and r.get("DestinationCidrBlock") == "0.0.0.0/0" for r in table["Routes"]), table["Routes"]
    cni = eks.describe_addon(clusterName=d.env.cluster_name, addonName="vpc-cni")["addon"]
    values = json.loads(cni["configurationValues"])
    assert values["env"]["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] == "true" and values["env"]["ENI_CONFIG_LABEL_DEF"] == "topology.kubernetes.io/zone"


def test_a_second_plan_of_every_stack_has_no_changes(deployment: Deployment) -> None:
    d = deployment
    with phase(f"plan {d.env.name}"):
        changed = [stack for stack in d.ws.stacks if not d.ws.plan_is_empty(stack)]
    assert not changed, f"changes planned in {changed}; see {[str(d.ws.log(s)) for s in changed]}"


def _irsa_statement(role: str, statements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The role's IRSA statement(s); every other statement must be EKS Pod Identity's trust (a role
    in the ``both`` migration phase trusts both: EKS User Guide, "Create an IAM role for Pod Identity")."""
    irsa = [s for s in statements if "Federated" in s["Principal"]]
    others = [s for s in statements if "Federated" not in s["Principal"]]
    assert all(s["Principal"] == {"Service": "pods.eks.amazonaws.com"} for s in others), (role, others)
    return irsa


def _next_minor(version: str) -> str:
    major, minor = version.split(".")
    return f"{major}.{int(minor) + 1}"


def test_a_one_minor_upgrade_moves_cluster_node_groups_and_addons_and_converges(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> None:
    """N -> N+1 in one deploy: the plan report calls it HIGH (exit 3), then everything reads back N+1."""
    d = deployment
    if d.env.name != "local":
        pytest.skip("the upgrade runs once, on local")
    old, new = d.env.cluster.version, _next_minor(d.env.cluster.version)
    work = tmp_path_factory.mktemp("upgrade")
    with phase("upgrade local"):
        changed = redeploy(d.ws, local_yaml(lambda raw: raw["cluster"].update(version=new)), work)
        assert "local-cluster" in changed, changed
        plan = plan_json(d.ws, "local-cluster", work)
        report = work / "report.md"
        assert plan_report_main([f"local-cluster={plan}", "--out", str(report)]) == EXIT_HIGH_RISK
        text = report.read_text()
        assert f"Kubernetes {old} -> {new}: irreversible" in text and "one minor at a time" in text, text
        assert "Node groups rolling to" in text, text
        d.ws.apply("local-cluster")
    eks = d.client("eks")
    assert eks.describe_cluster(name=d.env.cluster_name)["cluster"]["version"] == new
    groups = eks.list_nodegroups(clusterName=d.env.cluster_name)["nodegroups"]
    assert groups and all(eks.describe_nodegroup(clusterName=d.env.cluster_name, nodegroupName=g)["nodegroup"]["version"] == new for g in groups)
    addons = {
        a: eks.describe_addon(clusterName=d.env.cluster_name, addonName=a)["addon"]["addonVersion"]
        for a in eks.list_addons(clusterName=d.env.cluster_name)["addons"]
    }
    assert addons == {name: rows[new] for name, rows in ADDON_VERSIONS.items()}, addons
    # The state now records N+1: a file that jumps to N+3 is refused before any plan.
    state = state_pull(d.ws.dir("local-cluster"), d.ws.env)
    assert state is not None and recorded_version(state) == new
    too_far = _next_minor(_next_minor(new))
    assert f"cluster.version: {too_far} is more than one minor past {new}" in str(jump_problem(recorded_version(state), too_far))
    with phase("upgrade local"):  # the stacks whose JSON the bump changed; the others planned empty above
        planned = [stack for stack in changed if not d.ws.plan_is_empty(stack)]
    assert not planned, f"changes planned after the upgrade in {planned}; see {[str(d.ws.log(s)) for s in planned]}"


def test_an_instance_type_change_creates_the_new_group_before_the_old_one_goes(deployment: Deployment, tmp_path_factory: pytest.TempPathFactory) -> None:
    d = deployment
    if d.env.name != "local":
        pytest.skip("runs once, on local")
    eks = d.client("eks")
    [old_group] = eks.list_nodegroups(clusterName=d.env.cluster_name)["nodegroups"]
    new_version = _next_minor(d.env.cluster.version)

    def change(raw: dict) -> None:
        raw["cluster"]["version"] = new_version
        raw["cluster"]["node_groups"]["system"]["instance_types"] = ["t3.xlarge"]

    work = tmp_path_factory.mktemp("instance-type")
    seen = len(emulator_requests(d.ws))
    with phase("replace node group local"):
        redeploy(d.ws, local_yaml(change), work)
        d.ws.apply("local-cluster")
    [new_group] = eks.list_nodegroups(clusterName=d.env.cluster_name)["nodegroups"]
    assert new_group != old_group and new_group.startswith("system-")
    assert eks.describe_nodegroup(clusterName=d.env.cluster_name, nodegroupName=new_group)["nodegroup"]["instanceTypes"] == ["t3.xlarge"]
    calls = emulator_requests(d.ws)[seen:]
    base = f"/clusters/{d.env.cluster_name}/node-groups"
    created = calls.index(f"POST {base}")
    ready = calls.index(f"GET {base}/{new_group}")
    deleted = calls.index(f"DELETE {base}/{old_group}")
    assert created < ready < deleted, calls[created : deleted + 1]
    assert d.ws.plan_is_empty("local-cluster")


def _leftovers(d: Deployment) -> dict[str, list[str]]:
    """What of this environment the emulator still holds, by kind."""
    ec2, eks, efs, iam = d.client("ec2"), d.client("eks"), d.client("efs"), d.client("iam")
    mine = [{"Name": "tag:environment", "Values": [d.env.name]}]
    clusters = [c for c in eks.list_clusters()["clusters"] if c == d.env.cluster_name]
    left = {
        "vpcs": [v["VpcId"] for v in ec2.describe_vpcs(Filters=mine)["Vpcs"]],
        "subnets": [s["SubnetId"] for s in ec2.describe_subnets(Filters=mine)["Subnets"]],
        "nat gateways": [n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filters=mine)["NatGateways"] if n["State"] not in ("deleted", "deleting")],
        "eks clusters": clusters,
        "node groups": [g for c in clusters for g in eks.list_nodegroups(clusterName=c)["nodegroups"]],
        "efs file systems": [f["FileSystemId"] for f in efs.describe_file_systems()["FileSystems"] if f.get("CreationToken") == d.env.name],
        "iam roles": [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(f"{d.env.name}-")],
        "buckets": [b["Name"] for b in d.client("s3").list_buckets()["Buckets"] if b["Name"] == d.env.state_backend.bucket],
    }
    side = _addons_aws_side(d.env)
    if side.roles:  # IRSA roles are <cluster>-<add-on>, counted under "iam roles" too
        left["irsa roles"] = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"] in side.roles]
    if d.env.teams:
        left["team roles"] = [r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"] in _team_roles(d.env)]
        profiles = eks.list_fargate_profiles(clusterName=clusters[0])["fargateProfileNames"] if clusters else []
        left["team fargate profiles"] = [p for p in profiles if p in team_fargate_profiles(d.env)]
    if side.buckets:
        left["add-on buckets"] = [b["Name"] for b in d.client("s3").list_buckets()["Buckets"] if b["Name"] in side.buckets]
    if d.env.karpenter is not None:
        mine = {policy_name(d.env.cluster_name, k) for k in POLICY_KEYS}
        left["karpenter policies"] = [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"] if p["PolicyName"] in mine]
    if side.queue:
        sqs = d.client("sqs")
        left["interruption queues"] = [u for u in sqs.list_queues(QueueNamePrefix=side.queue).get("QueueUrls", []) if u.endswith(f"/{side.queue}")]
        left["eventbridge rules"] = [r["Name"] for r in d.client("events").list_rules(NamePrefix=side.queue)["Rules"]]
    return left


def _key_states(d: Deployment) -> list[str]:
    kms = d.client("kms")
    return [kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] for k in kms.list_keys()["Keys"]]


def test_destroy_in_reverse_order_leaves_nothing_of_the_environment(deployment: Deployment) -> None:
    d = deployment
    before = _leftovers(d)
    # Guard against a vacuous pass: everything checked below must exist before the destroy.
    assert all(before.values()), f"not deployed: {[k for k, v in before.items() if not v]}"
    assert len(before["node groups"]) == len(d.env.cluster.node_groups)
    assert len(before["nat gateways"]) == (len(d.env.network.availability_zones) if d.env.network.nat_gateways == "one_per_az" else 1)
    side = _addons_aws_side(d.env)
    assert sorted(before.get("irsa roles", [])) == sorted(side.roles)
    assert sorted(before.get("add-on buckets", [])) == side.buckets
    assert sorted(before.get("team roles", [])) == sorted(_team_roles(d.env))
    policy_path = f"/2015-02-01/file-systems/{_efs_file_system(d)['FileSystemId']}/policy"
    with phase(f"destroy {d.env.name}"):
        for stack in reversed(d.ws.stacks):
            if stack == d.ws.stacks[0]:
                d.ws.emulator.empty_bucket(d.env.state_backend.bucket, d.env.region)
            d.ws.destroy(stack)
    after = _leftovers(d)
    # The file system policy was deleted by its own destroy (DeleteFileSystemPolicy), not just
    # dropped with the file system.
    assert f"DELETE {policy_path}" in emulator_requests(d.ws), f"no DeleteFileSystemPolicy for {policy_path}"
    assert not any(after.values()), f"left behind: { {k: v for k, v in after.items() if v} }"
    states = _key_states(d)
    assert states and set(states) == {"PendingDeletion"}, states
