"""The plan report's rules, each on the smallest ``terraform show -json`` shape that triggers it.

Real plans from Terraform against the emulator are reviewed in tests/e2e/test_deploy_and_review.py;
these cover the rules the emulator cannot produce (Helm releases, KMS deletion, admin removal)
and the report's format and exit status. No cdktf, no Terraform: milliseconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools.plan_report import EXIT_HIGH_RISK, NOT_SYNTHESIZED, assess, load_plan, main, render

ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
EDIT = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy"
IRSA_TRUST = json.dumps(
    {
        "Statement": [
            {
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {"StringEquals": {"oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub": "system:serviceaccount:kube-system:external-dns"}},
                "Effect": "Allow",
                "Principal": {"Federated": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC"},
            }
        ]
    }
)


def rc(type_: str, name: str, actions: list[str], before: Any = None, after: Any = None, **extra: Any) -> dict[str, Any]:
    change: dict[str, Any] = {"actions": actions, "before": before, "after": after, "after_unknown": extra.pop("after_unknown", {})}
    change.update(extra)
    return {"address": f"{type_}.{name}", "mode": "managed", "type": type_, "name": name, "change": change}


def plan_file(tmp_path: Path, name: str, *changes: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps({"format_version": "1.2", "planned_values": {}, "resource_changes": list(changes)}))
    return path


def risks_of(tmp_path: Path, *changes: dict[str, Any], stack: str = "dev-cluster") -> list[str]:
    plan = load_plan(stack, plan_file(tmp_path, stack, *changes))
    return [f"{r.level}: {r.message}" for r in assess([plan])]


def test_helm_major_bump_is_high_risk(tmp_path: Path) -> None:
    risks = risks_of(
        tmp_path,
        rc("helm_release", "dns", ["update"], {"chart": "external-dns", "version": "1.21.1"}, {"chart": "external-dns", "version": "2.0.0"}),
        stack="dev-addons",
    )
    assert risks == ["high: Helm chart external-dns moves to a new major version (1.21.1 -> 2.0.0): read its upgrade notes, values and CRDs may have changed."]


@pytest.mark.parametrize(("old", "new"), [("1.21.1", "1.22.0"), ("v3.4.0", "v3.12.1"), ("2.0.0", "1.9.0")])
def test_helm_minor_bump_or_downgrade_is_not_flagged(tmp_path: Path, old: str, new: str) -> None:
    change = rc("helm_release", "dns", ["update"], {"chart": "c", "version": old}, {"chart": "c", "version": new})
    assert risks_of(tmp_path, change) == []


def test_kms_key_destroy_is_scheduled_deletion(tmp_path: Path) -> None:
    risks = risks_of(tmp_path, rc("aws_kms_key", "k", ["delete"], {"description": "EKS secrets", "deletion_window_in_days": 7}))
    assert risks == [
        'high: KMS key "EKS secrets" will be scheduled for deletion (in 7 days). Whatever it encrypts '
        "(Kubernetes Secrets, EFS, logs, state) becomes unreadable once it is deleted."
    ]


def test_cluster_encryption_change_in_place_is_high(tmp_path: Path) -> None:
    before = {"name": "dev-eks", "encryption_config": [{"provider": [{"key_arn": "arn:a"}], "resources": ["secrets"]}]}
    after = {"name": "dev-eks", "encryption_config": [{"provider": [{}], "resources": ["secrets"]}]}
    unknown = {"encryption_config": [{"provider": [{"key_arn": True}]}]}
    risks = risks_of(tmp_path, rc("aws_eks_cluster", "eks", ["update"], before, after, after_unknown=unknown))
    assert risks == ["high: The cluster's Secrets encryption configuration changes (EKS cannot remove or switch the key in place)."]


def test_removing_the_last_admin_access_entry(tmp_path: Path) -> None:
    risks = risks_of(
        tmp_path,
        rc("aws_eks_access_policy_association", "admin", ["delete"], {"policy_arn": ADMIN}),
        rc("aws_eks_access_policy_association", "dev", ["no-op"], {"policy_arn": EDIT}, {"policy_arn": EDIT}),
    )
    assert len(risks) == 1 and risks[0].startswith("high: The last cluster-admin access entry is removed")


def test_removing_one_of_two_admin_entries_is_fine(tmp_path: Path) -> None:
    risks = risks_of(
        tmp_path,
        rc("aws_eks_access_policy_association", "admin", ["delete"], {"policy_arn": ADMIN}),
        rc("aws_eks_access_policy_association", "admin2", ["no-op"], {"policy_arn": ADMIN}, {"policy_arn": ADMIN}),
    )
    assert risks == []


def test_irsa_trust_change_is_high_and_new_irsa_role_is_not(tmp_path: Path) -> None:
    changed = IRSA_TRUST.replace("external-dns", "external-dns-v2")
    risks = risks_of(
        tmp_path,
        rc(
            "aws_iam_role",
            "dns",
            ["update"],
            {"name": "dev-external-dns", "assume_role_policy": IRSA_TRUST},
            {"name": "dev-external-dns", "assume_role_policy": changed},
        ),
        rc("aws_iam_role", "new", ["create"], None, {"name": "dev-new", "assume_role_policy": IRSA_TRUST}),
    )
    assert risks == ["high: The IRSA trust policy of role dev-external-dns changes: pods (or runs) that assume it may lose their AWS access."]


def test_tag_only_update_of_an_irsa_role_is_not_flagged(tmp_path: Path) -> None:
    before = {"name": "r", "assume_role_policy": IRSA_TRUST, "tags": {}}
    after = {"name": "r", "assume_role_policy": IRSA_TRUST, "tags": {"a": "b"}}
    assert risks_of(tmp_path, rc("aws_iam_role", "r", ["update"], before, after)) == []


@pytest.mark.parametrize("type_", ["aws_vpc", "aws_subnet", "aws_nat_gateway", "aws_efs_file_system", "aws_eks_node_group", "aws_eks_cluster"])
def test_replacing_platform_critical_resources_is_high(tmp_path: Path, type_: str) -> None:
    risks = risks_of(tmp_path, rc(type_, "x", ["delete", "create"], {"id": "1"}, {}, replace_paths=[["cidr_block"]]))
    assert len(risks) == 1 and risks[0].startswith("high: ") and "will be replaced (destroyed, then created again) because cidr_block changed" in risks[0]


def test_state_bucket_destroy_is_high_other_buckets_are_not(tmp_path: Path) -> None:
    state = rc("aws_s3_bucket", "state-bucket_bucket_1", ["delete"], {"bucket": "acme-dev-tfstate", "tags_all": {"platform-layer": "state"}})
    loki = rc("aws_s3_bucket", "loki", ["delete"], {"bucket": "acme-dev-loki", "tags_all": {"platform-layer": "addons-aws"}})
    # An add-on bucket is not the state bucket; losing its data has its own rule.
    assert risks_of(tmp_path, loki, stack="dev-addons-aws") == [
        "high: Add-on bucket acme-dev-loki will be destroyed: the data it holds (logs, traces) is lost."
    ]
    assert risks_of(tmp_path, state, stack="dev-state") == [
        "high: The Terraform state bucket acme-dev-tfstate will be destroyed: every stack of the environment keeps its state there."
    ]


def test_node_group_version_update_is_medium_scaling_is_low(tmp_path: Path) -> None:
    base = {"version": "1.32", "scaling_config": [{"min_size": 1, "max_size": 3, "desired_size": 2}]}
    upgrade = rc("aws_eks_node_group", "system", ["update"], base, {**base, "version": "1.33"})
    scale = rc("aws_eks_node_group", "spot", ["update"], base, {**base, "scaling_config": [{"min_size": 1, "max_size": 6, "desired_size": 2}]})
    assert risks_of(tmp_path, upgrade) == ["medium: Node group nodes are replaced one batch at a time (version changes): expect pod evictions."]
    assert risks_of(tmp_path, scale) == []


def test_report_counts_and_exit_status(tmp_path: Path) -> None:
    network = plan_file(
        tmp_path,
        "dev-network",
        rc("aws_subnet", "a", ["create"], None, {}),
        rc(
            "aws_route_table",
            "r",
            ["update"],
            {"route": [], "tags": {}, "tags_all": {}},
            {"route": [{"cidr_block": "0.0.0.0/0"}], "tags": {"a": "b"}, "tags_all": {"a": "b"}},
        ),
        rc("aws_vpc", "v", ["no-op"], {}, {}),
    )
    cluster = plan_file(tmp_path, "dev-cluster", rc("aws_eks_cluster", "eks", ["create", "delete"], {"name": "a"}, {"name": "b"}, replace_paths=[["name"]]))
    out = tmp_path / "report.md"
    assert main([str(network), str(cluster), "--out", str(out)]) == EXIT_HIGH_RISK
    report = out.read_text()
    assert "| dev-network | 1 | 1 | 0 | 0 |" in report
    assert "| dev-cluster | 0 | 0 | 1 | 0 |" in report
    assert "**Risk: HIGH**" in report
    assert "- `aws_eks_cluster.eks` (forced by name)" in report
    assert "- `aws_route_table.r` (route, tags)" in report  # what an update changes
    assert "\x1b[" not in report  # plain Markdown, no terminal colours
    assert main([str(network), f"cluster={cluster}", "--out", str(out), "--allow-high-risk"]) == 0
    assert "### cluster" in out.read_text()
    assert main([str(network), "--out", str(out)]) == 0
    assert "**Risk: low**" in out.read_text()


def test_not_a_plan_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    assert main([str(bad)]) == 1
    assert "not the output of `terraform show -json <planfile>`" in capsys.readouterr().err


def test_long_lists_are_truncated(tmp_path: Path) -> None:
    changes = [rc("aws_route", f"r{i:02}", ["create"], None, {}) for i in range(12)]
    plan = load_plan("dev-network", plan_file(tmp_path, "dev-network", *changes))
    report = render([plan], [], max_resources=5)
    assert report.count("- `aws_route.") == 5
    assert "- ... and 7 more" in report


def not_synthesized_file(directory: Path, *stacks: tuple[str, int]) -> Path:
    """What ``tools.delivery plan`` writes next to the plans (``stacks-not-synthesized.json``)."""
    path = directory / NOT_SYNTHESIZED
    entries = [{"stack": s, "state": f"s3://acme-dev-tfstate/dev/{s.removeprefix('dev-')}.tfstate", "resources": n} for s, n in stacks]
    path.write_text(json.dumps({"environment": "dev", "checked": True, "bucket": "acme-dev-tfstate", "stacks": entries}))
    return path


def test_a_stack_no_longer_synthesized_with_resources_is_high_risk_next_to_the_plans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    network = plan_file(tmp_path, "dev-network")
    not_synthesized_file(tmp_path, ("dev-storage", 9), ("dev-old", 0))
    out = tmp_path / "report.md"
    # Only the plans are named: the file lying next to them is read anyway.
    assert main([str(network), "--out", str(out)]) == EXIT_HIGH_RISK
    report = out.read_text()
    assert "**Risk: HIGH** - 1 stack(s), 0 resource change(s)." in report
    high = [line for line in report.splitlines() if line.startswith("- **HIGH**")]
    assert high == [
        "- **HIGH** `dev-storage` `s3://acme-dev-tfstate/dev/storage.tfstate`: Stack dev-storage is no longer synthesized; "
        "its 9 resources stay in AWS unmanaged \u2014 destroy it first or keep it."
    ]
    # An empty state object leaves nothing in AWS: listed, not a risk.
    assert "- `dev-old` (s3://acme-dev-tfstate/dev/old.tfstate): records no resources (can be deleted)" in report
    assert main([str(network), "--out", str(out), "--allow-high-risk"]) == 0
    capsys.readouterr()


def test_the_not_synthesized_file_in_a_plans_glob_is_not_read_as_a_plan(tmp_path: Path) -> None:
    for env in ("dev", "prod"):
        (tmp_path / env).mkdir()
        plan_file(tmp_path / env, f"{env}-network")
    not_synthesized_file(tmp_path / "dev", ("dev-storage", 1))
    out = tmp_path / "report.md"
    # The PR workflow passes plans/**/*.json: every environment's plans and its file.
    inputs = sorted(str(p) for p in tmp_path.glob("**/*.json"))
    assert any(p.endswith(NOT_SYNTHESIZED) for p in inputs)
    assert main([*inputs, "--out", str(out), "--allow-high-risk"]) == 0
    report = out.read_text()
    assert "2 stack(s)" in report
    assert report.count("Stack dev-storage is no longer synthesized; its 1 resource stays") == 1


def test_no_stack_left_behind_keeps_the_report_as_it_was(tmp_path: Path) -> None:
    network = plan_file(tmp_path, "dev-network")
    out_before = tmp_path / "before.md"
    assert main([str(network), "--out", str(out_before)]) == 0
    not_synthesized_file(tmp_path)
    out_after = tmp_path / "after.md"
    assert main([str(network), "--out", str(out_after)]) == 0
    assert out_after.read_text() == out_before.read_text()


def test_a_broken_not_synthesized_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    network = plan_file(tmp_path, "dev-network")
    (tmp_path / NOT_SYNTHESIZED).write_text("{}")
    assert main([str(network)]) == 1
    assert NOT_SYNTHESIZED in capsys.readouterr().err


def test_delivery_lists_state_objects_no_synthesized_stack_uses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``tools.delivery plan``'s input to the rule above, on moto's in-process S3 (no server, no network)."""
    import boto3
    from moto import mock_aws

    from tools.delivery.state import stacks_not_synthesized

    for var in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bucket = "acme-dev-tfstate"
    # dev-state still on local state, dev-network and dev-cluster in the bucket; dev-storage no longer synthesized.
    stacks = {"dev-state": None, "dev-network": "platform/dev/network.tfstate", "dev-cluster": "platform/dev/cluster.tfstate"}
    (tmp_path / "manifest.json").write_text(json.dumps({"stacks": {s: {"dependencies": []} for s in stacks}}))
    for stack, key in stacks.items():
        backend = {"s3": {"bucket": bucket, "key": key, "region": "eu-west-1"}} if key else {"local": {"path": "x"}}
        (tmp_path / "stacks" / stack).mkdir(parents=True)
        (tmp_path / "stacks" / stack / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": backend}}))

    def state(*resources: tuple[str, int]) -> bytes:
        return json.dumps({"version": 4, "resources": [{"mode": m, "instances": [{}] * n} for m, n in resources]}).encode()

    with mock_aws():
        assert stacks_not_synthesized("dev", tmp_path)["stacks"] == []  # no bucket yet: first deploy
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        objects = {
            "platform/dev/network.tfstate": state(("managed", 3)),
            "platform/dev/storage.tfstate": state(("managed", 5), ("data", 2), ("managed", 2)),
            "platform/dev/storage.tfstate.tflock": b"{}",
            "platform/dev/state.tfstate": state(("managed", 8)),  # the state stack's, synthesized: not an orphan
            "platform/dev/old.tfstate": state(),
            "platform/prod/storage.tfstate": state(("managed", 1)),  # another environment
            "platform/dev/nested/x.tfstate": state(("managed", 1)),
        }
        for key, body in objects.items():
            s3.put_object(Bucket=bucket, Key=key, Body=body)
        listed = stacks_not_synthesized("dev", tmp_path)
    assert listed["checked"] is True and listed["bucket"] == bucket
    assert listed["stacks"] == [
        {"stack": "dev-old", "state": f"s3://{bucket}/platform/dev/old.tfstate", "resources": 0},
        {"stack": "dev-storage", "state": f"s3://{bucket}/platform/dev/storage.tfstate", "resources": 7},
    ]
