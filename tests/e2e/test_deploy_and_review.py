"""`cdktf deploy` and the plan report, for real: the pinned CDKTF CLI deploys the emulator
environment's AWS-only stacks to moto, then changed configurations are planned by Terraform and
reviewed by ``tools.plan_report`` the way the pull-request workflow does.

One emulator for the module (127.0.0.1, a free port). The environment is environments/local.yaml,
copied to a temporary directory so each scenario can change it (PLATFORM_ENVIRONMENTS_DIR).
Plans are never applied: every scenario is compared with the deployed state.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.e2e_support import phase
from tools.emulator import Emulator
from tools.plan_report import EXIT_HIGH_RISK, NOT_SYNTHESIZED
from tools.terraform import ROOT

pytestmark = pytest.mark.e2e

ENV = "local"
LOCAL = yaml.safe_load((ROOT / "environments" / "local.yaml").read_text())
BUCKET = LOCAL["state_backend"]["bucket"]
REGION = LOCAL["region"]
CLUSTER = f"{ENV}-eks"
AWS_STACKS = [f"{ENV}-state", f"{ENV}-network", f"{ENV}-cluster", f"{ENV}-storage"]


@dataclass
class Deployed:
    emulator: Emulator
    outdir: Path  # cdktf's output directory, with each stack's .terraform and the state stack's local state
    work: Path
    env: dict[str, str]  # pointed at the emulator only

    def run(self, name: str, *args: str, environments: Path, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """``python -m <args>`` from the repository root against the emulator; output in ``<name>.log``."""
        env = {**self.env, "PLATFORM_ENVIRONMENTS_DIR": str(environments), **(extra or {})}
        result = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
        (self.work / f"{name}.log").write_text(f"$ {' '.join(args)}\n{result.stdout}\n--- stderr ---\n{result.stderr}")
        return result


def write_environment(directory: Path, change: Callable[[dict[str, Any]], None] | None = None) -> Path:
    raw = json.loads(json.dumps(LOCAL))
    # The add-ons' AWS side (<env>-addons-aws) is applied by the lifecycle tests; leaving it out
    # here keeps this module to about three minutes.
    raw.pop("addons", None)
    # Without add-ons, teams (each gets an external-secrets SecretStore) and Karpenter (its AWS
    # side lives in <env>-addons-aws) go too; the lifecycle tests apply them.
    raw.pop("teams", None)
    raw.pop("karpenter", None)
    raw["cluster"].pop("autoscaler", None)
    if change:
        change(raw)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{ENV}.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return directory


def tail(result: subprocess.CompletedProcess[str], lines: int = 60) -> str:
    return "\n".join((result.stdout + "\n" + result.stderr).splitlines()[-lines:])


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str]) -> Iterator[Deployed]:
    with phase("cdktf-install (npm ci)"):
        subprocess.run(["make", "-s", "cdktf-install"], cwd=ROOT, check=True, capture_output=True)
    work = tmp_path_factory.mktemp("deploy")
    emulator = Emulator(log_path=work / "emulator.log").start()
    try:
        # tf_env proves terraform and the mirror exist; tools.delivery builds its own from os.environ.
        env = emulator.terraform_env(dict(os.environ))
        state = Deployed(emulator=emulator, outdir=work / "cdktf.out", work=work, env=env)
        with phase("cdktf deploy local (aws-only)"):
            result = state.run(
                "deploy",
                "tools.delivery", "cdktf", "deploy", ENV, "--aws-only", "--outdir", str(state.outdir),
                environments=write_environment(work / "environments"),
            )  # fmt: skip
        assert result.returncode == 0, f"cdktf deploy failed (log: {work / 'deploy.log'}):\n{tail(result)}"
        yield state
    finally:
        emulator.stop()


def review(
    deployed: Deployed,
    name: str,
    change: Callable[[dict[str, Any]], None],
    *,
    edit_json: Callable[[Path], None] | None = None,
    stacks: list[str] = AWS_STACKS,
) -> tuple[int, str, list[str]]:
    """Synthesize the changed environment with the cdktf CLI into the deployed output directory,
    plan every AWS stack with ``tools.delivery plan``, and report ``stacks``' plans with ``tools.plan_report``."""
    environments = write_environment(deployed.work / name / "environments", change)
    with phase(f"review {name}: cdktf synth"):
        synth = deployed.run(f"{name}-synth", "tools.delivery", "cdktf", "synth", ENV, "--outdir", str(deployed.outdir), environments=environments)
    assert synth.returncode == 0, tail(synth)
    if edit_json:
        edit_json(deployed.outdir)
    plans = deployed.work / name / "plans"
    with phase(f"review {name}: terraform plan"):
        planned = deployed.run(f"{name}-plan", "tools.delivery", "plan", ENV, "--outdir", str(deployed.outdir), "--out", str(plans), environments=environments)
    assert planned.returncode == 0, tail(planned)
    out = deployed.work / name / "report.md"
    inputs = [str(plans / f"{stack}.json") for stack in stacks]
    report = deployed.run(f"{name}-report", "tools.plan_report", *inputs, "--out", str(out), environments=environments)
    assert report.returncode in (0, EXIT_HIGH_RISK), tail(report)
    return report.returncode, out.read_text(), inputs


# --- cdktf deploy ---------------------------------------------------------------------------------


def test_cdktf_deploy_writes_each_stacks_state_to_the_bucket_the_state_stack_created(deployed: Deployed) -> None:
    s3 = deployed.emulator.client("s3", REGION)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
    assert keys == [f"{ENV}/cluster.tfstate", f"{ENV}/network.tfstate", f"{ENV}/storage.tfstate"]
    cluster_state = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{ENV}/cluster.tfstate")["Body"].read())
    assert {r["type"] for r in cluster_state["resources"]} >= {"aws_eks_cluster", "aws_eks_node_group", "aws_kms_key"}
    # The state stack keeps its own state locally until it is migrated (README, "State bootstrap").
    local_state = json.loads((deployed.outdir / "stacks" / f"{ENV}-state" / f"terraform.{ENV}-state.tfstate").read_text())
    assert any(r["type"] == "aws_s3_bucket" for r in local_state["resources"])


def test_every_state_and_lock_object_is_encrypted_with_the_state_key(deployed: Deployed) -> None:
    """Every version of every state object and of every lock object (``.tflock``, deleted
    when the lock is released, so only its versions remain) is SSE-KMS with the state key, not the
    AES256 the backend's ``encrypt = true`` used to ask for."""
    s3 = deployed.emulator.client("s3", REGION)
    state_key = deployed.emulator.client("kms", REGION).describe_key(KeyId=f"alias/{BUCKET}-state")["KeyMetadata"]["Arn"]
    versions = s3.list_object_versions(Bucket=BUCKET)["Versions"]
    seen: dict[str, int] = {}
    for version in versions:
        head = s3.head_object(Bucket=BUCKET, Key=version["Key"], VersionId=version["VersionId"])
        assert (head.get("ServerSideEncryption"), head.get("SSEKMSKeyId")) == ("aws:kms", state_key), version["Key"]
        suffix = version["Key"].rsplit(".", 1)[1]
        seen[suffix] = seen.get(suffix, 0) + 1
    # Three stacks' state (several versions each) and their released locks were all checked.
    assert seen.get("tfstate", 0) >= 3 and seen.get("tflock", 0) >= 3, seen


def test_cdktf_deploy_created_the_cluster_its_node_group_and_the_file_system(deployed: Deployed) -> None:
    eks = deployed.emulator.client("eks", REGION)
    cluster = eks.describe_cluster(name=CLUSTER)["cluster"]
    assert cluster["version"] == LOCAL["cluster"]["version"]
    assert cluster["resourcesVpcConfig"]["endpointPublicAccess"] is False
    # Node groups are named from a prefix (create-before-destroy needs a fresh name): system-<suffix>.
    [group] = eks.list_nodegroups(clusterName=CLUSTER)["nodegroups"]
    assert group.startswith("system-") and len(group) > len("system-"), group
    scaling = eks.describe_nodegroup(clusterName=CLUSTER, nodegroupName=group)["nodegroup"]["scalingConfig"]
    assert scaling == {"minSize": 1, "desiredSize": 1, "maxSize": 2}
    efs = deployed.emulator.client("efs", REGION).describe_file_systems()["FileSystems"]
    assert len(efs) == 1 and efs[0]["Encrypted"] is True


# --- plan report on real plans ------------------------------------------------------------------


def scale_system_group(raw: dict[str, Any]) -> None:
    raw["cluster"]["node_groups"]["system"].update(desired_size=2, max_size=3)


def test_node_group_scaling_is_low_risk_and_exits_0(deployed: Deployed) -> None:
    code, report, _ = review(deployed, "scale", scale_system_group)
    assert code == 0, report
    assert "**Risk: low** - 4 stack(s), 1 resource change(s)." in report
    # Re-synthesizing kept the state stack's local state: nothing to create there.
    assert f"| {ENV}-state | 0 | 0 | 0 | 0 |" in report
    assert f"| {ENV}-network | 0 | 0 | 0 | 0 |" in report
    assert f"| {ENV}-cluster | 0 | 1 | 0 | 0 |" in report
    assert "update (1):\n- `aws_eks_node_group.node-groups_system_77E59899` (scaling_config)\n" in report
    assert "No change on the EKS risk list" in report


def rename_in_json(outdir: Path, layer: str, type_: str, attribute: str, current: str) -> None:
    """Rename the one ``type_`` resource of ``<env>-<layer>`` (its ``attribute``, now ``current``) to
    ``<current>-v2``: a code change to a derived name, made where it would land, the stack's JSON."""
    path = outdir / "stacks" / f"{ENV}-{layer}" / "cdk.tf.json"
    doc = json.loads(path.read_text())
    (body,) = doc["resource"][type_].values()
    assert body[attribute] == current
    body[attribute] = f"{current}-v2"
    path.write_text(json.dumps(doc, indent=2))


def rename_cluster(outdir: Path) -> None:
    """The cluster's name is derived from the environment's (``<env>-eks``): renaming it is a code change."""
    rename_in_json(outdir, "cluster", "aws_eks_cluster", "name", CLUSTER)


def drop_flow_logs(raw: dict[str, Any]) -> None:
    raw["network"]["flow_logs"] = False
    del raw["network"]["flow_log_retention_days"]


def test_cluster_rename_and_dropping_flow_logs_are_high_risk_in_plain_words(deployed: Deployed) -> None:
    code, report, inputs = review(deployed, "rename", drop_flow_logs, edit_json=rename_cluster)
    assert code == EXIT_HIGH_RISK, report
    assert "**Risk: HIGH**" in report
    high = [line for line in report.splitlines() if line.startswith("- **HIGH**")]
    # The node groups are create_before_destroy, and Terraform carries that to what they depend on:
    # the renamed cluster is created first too (a new name, so both can exist at once).
    assert (
        f"- **HIGH** `{ENV}-cluster` `aws_eks_cluster.eks_cluster_55B0C966`: The EKS cluster (every workload, node and "
        "in-cluster object goes with it; the API endpoint and the IRSA OIDC issuer change) will be replaced "
        "(the new one is created and ready first, then the old one destroyed) because name changed."
    ) in high
    # The node group belongs to the cluster: it is replaced with it, and says so.
    assert any(
        line.startswith(f"- **HIGH** `{ENV}-cluster` `aws_eks_node_group.node-groups_system_77E59899`: A node group") and "will be replaced" in line
        for line in high
    )
    # Destroy side: the flow logs' key goes with them, and is only scheduled for deletion.
    key = (
        f'- **HIGH** `{ENV}-network` `aws_kms_key.network_flow-logs-key_1EE8C985`: KMS key "Encrypts CloudWatch log group '
        f'/aws/vpc/{ENV}/flow-logs" will be scheduled for deletion (in 30 days).'
    )
    assert any(line.startswith(key) for line in high), high
    # The issuer changes with the cluster: every IRSA role's trust goes with the OIDC provider, and
    # every access entry is created again on the new cluster.
    assert any(line.startswith(f"- **HIGH** `{ENV}-cluster` `aws_iam_openid_connect_provider.") and "will be replaced" in line for line in high), high
    entries = [line for line in high if line.startswith(f"- **HIGH** `{ENV}-cluster` `aws_eks_access_entry.")]
    synthesized = json.loads((deployed.outdir / "stacks" / f"{ENV}-cluster" / "cdk.tf.json").read_text())["resource"]["aws_eks_access_entry"]
    assert len(entries) == len(synthesized) and all("(forced by cluster_name)" in line for line in entries), entries
    # The cluster stack's own IRSA role (vpc-cni's) trusts the old issuer: its trust changes with it.
    irsa = [line for line in high if line.startswith(f"- **HIGH** `{ENV}-cluster` `aws_iam_role.") and "IRSA trust policy" in line]
    assert len(irsa) == 1 and "vpc-cni" in irsa[0], high
    assert len(high) == 5 + len(entries), high
    assert f"| {ENV}-network | 0 | 0 | 0 | 6 |" in report
    assert "- `aws_eks_cluster.eks_cluster_55B0C966` (forced by name)" in report

    # Explicitly allowed (the PR author accepts it): the same report, exit 0.
    allowed = deployed.run("rename-allowed", "tools.plan_report", *inputs, "--allow-high-risk", environments=deployed.work / "environments")
    assert allowed.returncode == 0, tail(allowed)
    assert allowed.stdout == report


def drop_efs(raw: dict[str, Any]) -> None:
    raw["storage"]["efs"] = False
    del raw["storage"]["efs_access_points"]


def test_turning_off_efs_reports_the_storage_stack_left_in_aws_as_high_risk(deployed: Deployed) -> None:
    """With ``storage.efs: false`` nothing synthesizes (so nothing plans) ``local-storage``, but its
    state object and everything it records are still there: the review must say so."""
    s3 = deployed.emulator.client("s3", REGION)
    state = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{ENV}/storage.tfstate")["Body"].read())
    recorded = sum(len(r["instances"]) for r in state["resources"] if r["mode"] == "managed")
    assert recorded > 0
    synthesized = [s for s in AWS_STACKS if s != f"{ENV}-storage"]
    code, report, _ = review(deployed, "no-efs", drop_efs, stacks=synthesized)
    plans = deployed.work / "no-efs" / "plans"
    assert not (plans / f"{ENV}-storage.json").exists()
    listed = json.loads((plans / NOT_SYNTHESIZED).read_text())
    assert listed["checked"] is True
    assert listed["stacks"] == [{"stack": f"{ENV}-storage", "state": f"s3://{BUCKET}/{ENV}/storage.tfstate", "resources": recorded}]
    assert code == EXIT_HIGH_RISK, report
    assert "**Risk: HIGH** - 3 stack(s)," in report
    high = [line for line in report.splitlines() if line.startswith("- **HIGH**")]
    assert high == [
        f"- **HIGH** `{ENV}-storage` `s3://{BUCKET}/{ENV}/storage.tfstate`: Stack {ENV}-storage is no longer synthesized; "
        f"its {recorded} resources stay in AWS unmanaged \u2014 destroy it first or keep it."
    ], report
    # The file system is still there: the review reported, it did not destroy.
    assert len(deployed.emulator.client("efs", REGION).describe_file_systems()["FileSystems"]) == 1


# --- protection and the hardening rules on real plans ---------------------


def protect_environment(raw: dict[str, Any]) -> None:
    raw["protect"] = True
    raw["network"]["private_subnets"][1] = "10.50.96.0/19"  # a new subnet: its route table association follows


def break_platform_plumbing(outdir: Path) -> None:
    """Changes no environment file can make, made on the synthesized JSON where such a code change
    would land: each forces Terraform to replace a resource the issue names."""

    def edit(stack: str, change: Callable[[dict[str, Any]], None]) -> None:
        path = outdir / "stacks" / f"{ENV}-{stack}" / "cdk.tf.json"
        doc = json.loads(path.read_text())
        change(doc["resource"])
        path.write_text(json.dumps(doc, indent=2))

    def network(r: dict[str, Any]) -> None:
        (route,) = [v for k, v in r["aws_route"].items() if "private-default-0" in k]
        route["destination_cidr_block"] = "0.0.0.0/1"  # forces a new route

    def cluster(r: dict[str, Any]) -> None:
        (oidc,) = r["aws_iam_openid_connect_provider"].values()
        oidc["url"] = "https://oidc.eks.eu-west-1.amazonaws.com/id/REPLACED"  # url forces a new provider
        (node_role,) = [v for v in r["aws_iam_role"].values() if v["name"] == f"{CLUSTER}-node"]
        node_role["name"] = f"{CLUSTER}-node-v2"  # name forces a new role

    def state(r: dict[str, Any]) -> None:
        (bucket,) = r["aws_s3_bucket"].values()
        bucket["bucket"] = f"{BUCKET}-v2"  # forces a new state bucket: protect must block it

    def storage(r: dict[str, Any]) -> None:
        mount = next(v for k, v in sorted(r["aws_efs_mount_target"].items()))
        mount["ip_address"] = "10.50.40.10"  # forces a new mount target
        (sg,) = r["aws_security_group"].values()
        sg["description"] = "NFS to EFS, reworded"  # description forces a new security group

    edit("state", state)
    edit("network", network)
    edit("cluster", cluster)
    edit("storage", storage)


def test_protected_state_bucket_blocks_the_plan_and_the_hardening_rules_speak_plainly(deployed: Deployed) -> None:
    code, report, _ = review(deployed, "hardening", protect_environment, edit_json=break_platform_plumbing)
    assert code == EXIT_HIGH_RISK, report
    high = [line for line in report.splitlines() if line.startswith("- **HIGH**")]

    def one(stack: str, text: str) -> str:
        found = [line for line in high if line.startswith(f"- **HIGH** `{ENV}-{stack}` ") and text in line]
        assert len(found) == 1, f"{text!r} in:\n" + "\n".join(high)
        return found[0]

    # 10.8: Terraform refused the state stack's plan (prevent_destroy); the report names the resource.
    assert f"| {ENV}-state (plan errored) |" in report and "(plan errored)" not in report.replace(f"{ENV}-state (plan errored)", "")
    one("state", "BLOCKED: an S3 bucket (the Terraform state or an add-on's data) `aws_s3_bucket.")
    assert (
        "is protected (protect: true, prevent_destroy) and this change would have it replaced (destroyed, then created again); Terraform refused the plan"
        in report
    )
    # 10.10, each rule on a real plan of the emulator.
    assert "will be replaced" in one("cluster", "The IAM OIDC provider oidc.eks.eu-west-1.amazonaws.com/id/")
    one("cluster", f"Role {CLUSTER}-node, the node IAM role")
    one("network", "A route will be replaced (destroyed, then created again): private subnets lose their way out through NAT")
    one("network", "A route table association will be replaced (destroyed, then created again): private subnets lose")
    one("storage", "An EFS mount target will be replaced (destroyed, then created again): pods in its zone lose their EFS volumes")
    one("storage", "The EFS security group will be replaced (destroyed, then created again)")


def grow_system_disks(raw: dict[str, Any]) -> None:
    raw["cluster"]["node_groups"]["system"]["disk_size_gib"] = 80
    # ... and let clients mount EFS without an access point: the file system policy loses a Deny.
    raw["storage"]["efs_require_access_point"] = False


def rename_state_bucket(outdir: Path) -> None:
    """A state bucket rename (a code change to its name)."""
    rename_in_json(outdir, "state", "aws_s3_bucket", "bucket", BUCKET)


def test_node_group_roll_and_state_bucket_replacement_on_real_plans(deployed: Deployed) -> None:
    """The rules the other scenarios leave out, on Terraform's own plan of the emulator: a bigger
    disk is a new launch template version, which EKS rolls out node by node (medium); a renamed
    state bucket is a replacement of the bucket every stack keeps its state in (high); an EFS policy
    that drops its access-point Deny is loosened (medium)."""
    code, report, _ = review(deployed, "roll", grow_system_disks, edit_json=rename_state_bucket)
    assert code == EXIT_HIGH_RISK, report
    lines = report.splitlines()
    assert (
        f"- medium `{ENV}-cluster` `aws_eks_node_group.node-groups_system_77E59899`: Node group nodes are replaced one batch "
        "at a time (launch_template changes): expect pod evictions."
    ) in lines, report
    assert (
        f"- **HIGH** `{ENV}-state` `aws_s3_bucket.state-bucket_828F7150`: The Terraform state bucket {BUCKET} will be replaced: "
        "every stack of the environment keeps its state there."
    ) in lines, report
    assert f"| {ENV}-cluster | 0 | 2 | 0 | 0 |" in report  # the launch template and the node group, in place
    [efs] = [line for line in lines if line.startswith(f"- medium `{ENV}-storage` `aws_efs_file_system_policy.")]
    assert "The EFS file system policy is loosened (Deny statements dropped or changed: DenyWithoutAccessPoint)" in efs, efs


# --- stacks planned at once ----------------------------------------------------------------------


def first_difference(a: Any, b: Any, path: str = "") -> str | None:
    """Where two runs' reports first differ (``1/local-cluster.json/resource_changes/3/...``), or None."""
    if isinstance(a, (dict, list, tuple)) and type(a) is type(b) and (isinstance(a, dict) or len(a) == len(b)):
        keys = sorted(set(a) | set(b), key=str) if isinstance(a, dict) else range(len(a))
        pairs = ((k, a.get(k), b.get(k)) if isinstance(a, dict) else (k, a[k], b[k]) for k in keys)
        return next((found for k, x, y in pairs if (found := first_difference(x, y, f"{path}/{k}"))), None)
    return None if a == b else f"{path}: {json.dumps(a, default=str)[:300]} != {json.dumps(b, default=str)[:300]}"


def test_stacks_planned_at_once_report_what_one_after_another_reports(deployed: Deployed) -> None:
    """plan.yml's command, each run in stack directories never initialized, with the stacks planned
    at once (``--jobs 2``) and one after another (``--jobs 1``), each stack's state read, plan and
    show served by one AWS provider process (the default), against the plan as it was made before:
    one stack after another, Terraform starting the provider for each command (``--jobs 1
    --no-reuse-provider``). On the same change: the same JSON
    per stack (Terraform's ``timestamp`` of the plan and the order of its ``relevant_attributes``
    aside), the same deferred stacks, messages and exit code. The change renames the cluster, so
    Terraform replaces it and its outputs change: the stacks reading them are deferred, whether
    their plans ran beside the cluster's or not. Terraform's own debug log says whether it started
    the hashicorp/aws plugin or used the one it was given ("unmanaged provider")."""
    environments = write_environment(deployed.work / "jobs" / "environments", drop_flow_logs)
    synth = deployed.run("jobs-synth", "tools.delivery", "cdktf", "synth", ENV, "--outdir", str(deployed.outdir), environments=environments)
    assert synth.returncode == 0, tail(synth)
    rename_cluster(deployed.outdir)
    runs, started, reattached = {}, {}, {}
    for label, flags in (("before", ["--jobs", "1", "--no-reuse-provider"]), ("1", ["--jobs", "1"]), ("2", ["--jobs", "2"])):
        # As a pull request's runner has them: synthesized, never initialized (no .terraform, no
        # lock file), so with reuse the first stack's init installs hashicorp/aws for the others.
        outdir = deployed.work / "jobs" / f"stacks-{label}"
        shutil.copytree(deployed.outdir, outdir, ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "tfplan"))
        plans = deployed.work / "jobs" / f"plans-{label}"
        log = deployed.work / "jobs" / f"terraform-{label}.log"
        with phase(f"plan {' '.join(flags)}"):
            planned = deployed.run(
                f"jobs-{label}", "tools.delivery", "plan", ENV, "--defer", "--no-cluster-refresh",
                "--outdir", str(outdir), "--out", str(plans), *flags, environments=environments,
                extra={"TF_LOG": "debug", "TF_LOG_PATH": str(log)},
            )  # fmt: skip
        files = {}
        for path in sorted(plans.iterdir()):
            doc = json.loads(path.read_text()) if path.suffix == ".json" else path.read_text()
            if isinstance(doc, dict):
                doc.pop("timestamp", None)
                # Terraform 1.11 lists these in no fixed order, one run to the next, however run
                # (sorted from a later release: hashicorp/terraform#36076, "the order ... is not important").
                doc["relevant_attributes"] = sorted(doc.get("relevant_attributes") or [], key=json.dumps)
            files[path.name] = doc
        # What the command says (each Terraform command it runs, in order, and each deferral); not
        # Terraform's own lines, which carry timings ("Read complete after 1s").
        said = [
            line for line in planned.stderr.replace(str(plans), "<out>").splitlines() if line.startswith(("+ (", "tools.delivery")) or ": deferred: " in line
        ]
        runs[label] = (planned.returncode, files, said)
        text = log.read_text()
        started[label] = len(re.findall(r"starting plugin: path=\S*terraform-provider-aws", text))
        reattached[label] = text.count('Provider registry.terraform.io/hashicorp/aws is overridden as an "unmanaged provider"')
    assert runs["before"][0] == 0, runs["before"][2]
    assert runs["1"] == runs["before"], first_difference(runs["before"], runs["1"])
    assert runs["2"] == runs["before"], first_difference(runs["before"], runs["2"])
    deferred = runs["before"][1]["deferred.txt"]
    assert f"{ENV}-storage\tplanned after {ENV}-cluster is applied" in deferred, deferred
    assert f"{ENV}-cluster.json" in runs["before"][1] and f"{ENV}-storage.json" not in runs["before"][1]
    # Before: Terraform started hashicorp/aws itself, several times per planned stack. Now: never
    # for plan, show or the state read; every one of them used the process it was given.
    planned_stacks = len([n for n in runs["before"][1] if n.startswith(f"{ENV}-")])
    assert started["before"] >= 2 * planned_stacks and reattached["before"] == 0, (started, reattached)
    for label in ("1", "2"):
        assert started[label] == 0 and reattached[label] >= 2 * planned_stacks, (label, started, reattached)
