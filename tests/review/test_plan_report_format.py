"""The plan report's reading of ``terraform show -json`` and its output, in detail: which plans are
accepted, what counts as changed, where each risk is reported (stack and address), the Markdown
a reviewer reads and the command line. The JSON shapes follow Terraform's JSON output format
(``format_version``, ``resource_changes[].change.{actions,before,after,after_unknown,replace_paths}``).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from tests.review.test_plan_report import ADMIN, EDIT, IRSA_TRUST, plan_file, rc
from tools.plan_report import Change, Risk, assess, load_plan, main, render


def change(**fields: Any) -> Change:
    base: dict[str, Any] = {"stack": "s", "address": "a.b", "type": "aws_vpc", "action": "update", "before": {}, "after": {}, "after_unknown": {}}
    return Change(**{**base, **fields})


def one_plan(tmp_path: Path, *changes: dict[str, Any], stack: str = "dev-cluster") -> list[Risk]:
    return assess([load_plan(stack, plan_file(tmp_path, stack, *changes))])


# --- what counts as changed ----------------------------------------------------------------------


def test_changed_reads_before_after_and_unknown() -> None:
    assert change(before={"x": 1}, after={"x": 2}).changed("x")
    assert not change(before={"x": 1}, after={"x": 1}).changed("x")
    assert change(before={"x": 1}, after={"x": 1}, after_unknown={"x": True}).changed("x")
    assert change(before={"x": [{"a": 1}]}, after={"x": [{}]}, after_unknown={"x": [{"a": True}]}).changed("x")
    assert change(before={"x": {"a": 1}}, after={"x": {"a": 1}}, after_unknown={"x": {"b": {"c": [False, True]}}}).changed("x")
    # Terraform lists every unknown leaf; False leaves mean known.
    assert not change(before={"x": [1]}, after={"x": [1]}, after_unknown={"x": [False, {"a": False}]}).changed("x")
    assert not change(before={"x": 1}, after={"x": 1}, after_unknown={"y": True}).changed("x")
    assert not change(before=None, after=None, after_unknown=None).changed("x")
    assert change(before=None, after={"x": 1}, after_unknown=None).changed("x")


def test_changed_attributes_cover_removed_added_and_unknown_but_not_tags_all() -> None:
    c = change(
        before={"gone": 1, "same": 1, "tags_all": {"a": "1"}, "tags": {}},
        after={"added": 2, "same": 1, "tags_all": {"a": "2"}, "tags": {"t": "1"}},
        after_unknown={"arn": True, "same": False},
    )
    assert c.changed_attributes() == ["added", "arn", "gone", "tags"]
    assert change(before=None, after=None, after_unknown={"id": True}).changed_attributes() == ["id"]
    assert change(before={"a": 1}, after=None, after_unknown=None).changed_attributes() == ["a"]


# --- reading plans -------------------------------------------------------------------------------


def test_load_plan_keeps_managed_changes_sorted_unchanged_apart_and_paths_readable(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        json.dumps(
            {
                "format_version": "1.2",
                "resource_changes": [
                    {"address": "data.aws_caller_identity.me", "mode": "data", "type": "aws_caller_identity", "change": {"actions": ["read"]}},
                    rc("aws_vpc", "z", ["update"], {"a": 1}, {"a": 2}, after_unknown={"arn": True}),
                    rc("aws_subnet", "s", ["no-op"], {"a": 1}, {"a": 1}),
                    rc("aws_eks_node_group", "g", ["create", "delete"], {}, {}, replace_paths=[["launch_template", 0, "version"], ["ami_type"]]),
                    rc("aws_route", "r", ["read"], {}, {}),
                ],
                "errored": True,
            }
        )
    )
    plan = load_plan("dev-x", path)
    assert plan.errored is True and plan.name == "dev-x"
    assert [(c.address, c.action) for c in plan.changes] == [("aws_eks_node_group.g", "replace"), ("aws_vpc.z", "update")]
    assert plan.changes[0].replace_paths == ("launch_template[0].version", "ami_type")
    assert plan.changes[1].after_unknown == {"arn": True} and plan.changes[1].stack == "dev-x"
    assert [(c.address, c.action) for c in plan.unchanged] == [("aws_subnet.s", "no-op"), ("aws_route.r", "no-op")]


@pytest.mark.parametrize(
    "document",
    [{"format_version": "1.2", "planned_values": {}}, {"format_version": "1.2", "resource_changes": []}],
    ids=["planned-values-only", "resource-changes-only"],
)
def test_a_plan_needs_format_version_and_planned_values_or_changes(tmp_path: Path, document: dict[str, Any]) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps(document))
    plan = load_plan("x", path)
    assert plan.changes == [] and plan.errored is False


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"planned_values": {}, "resource_changes": []}', "not the output of `terraform show -json <planfile>`"),
        ('{"format_version": "1.2"}', "not the output of `terraform show -json <planfile>`"),
        ('[{"format_version": "1.2"}]', "not the output of `terraform show -json <planfile>`"),
        ("{not json", "not readable as JSON"),
    ],
)
def test_what_is_not_a_plan(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(text)
    with pytest.raises(ValueError) as caught:
        load_plan("x", path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_a_plan_file_is_read_as_utf8(tmp_path: Path) -> None:
    path = plan_file(tmp_path, "dev-network", rc("aws_vpc", "v", ["update"], {"tags": {"n": "é"}}, {"tags": {"n": "ü"}}))
    assert load_plan("dev-network", path).changes[0].after == {"tags": {"n": "ü"}}


# --- where each risk is reported ------------------------------------------------------------------


def test_each_risk_names_its_stack_and_address_and_the_order_is_high_first(tmp_path: Path) -> None:
    risks = one_plan(
        tmp_path,
        rc("aws_eks_node_group", "ng", ["update"], {"version": "1.32"}, {"version": "1.33"}),
        rc("aws_vpc", "v", ["delete"], {"id": "1"}, None),
        rc("aws_kms_key", "k", ["delete"], {"description": "key"}, None),
        rc("aws_s3_bucket", "state-bucket_b", ["delete"], {"bucket": "b"}, None),
        rc("aws_eks_cluster", "c", ["update"], {"encryption_config": [1]}, {"encryption_config": [2]}),
        rc("aws_iam_role", "r", ["delete"], {"name": "r", "assume_role_policy": IRSA_TRUST}, None),
        rc("helm_release", "h", ["update"], {"chart": "c", "version": "1.0.0"}, {"chart": "c", "version": "2.0.0"}),
        rc("aws_eks_access_policy_association", "adm", ["delete"], {"policy_arn": ADMIN}, None),
        stack="dev-x",
    )
    assert [(r.level, r.stack, r.address) for r in risks] == [
        ("high", "dev-x", "aws_eks_access_policy_association.adm"),
        ("high", "dev-x", "aws_eks_cluster.c"),
        ("high", "dev-x", "aws_iam_role.r"),
        ("high", "dev-x", "aws_kms_key.k"),
        ("high", "dev-x", "aws_s3_bucket.state-bucket_b"),
        ("high", "dev-x", "aws_vpc.v"),
        ("high", "dev-x", "helm_release.h"),
        ("medium", "dev-x", "aws_eks_node_group.ng"),
    ]


def test_risks_sort_by_level_then_stack_then_address(tmp_path: Path) -> None:
    plans = [
        load_plan(
            "b-stack",
            plan_file(tmp_path, "b", rc("aws_vpc", "v", ["delete"], {}, None), rc("aws_eks_node_group", "n", ["update"], {"version": "1"}, {"version": "2"})),
        ),
        load_plan("a-stack", plan_file(tmp_path, "a", rc("aws_subnet", "z", ["delete"], {}, None), rc("aws_subnet", "y", ["delete"], {}, None))),
    ]
    assert [(r.level, r.stack, r.address) for r in assess(plans)] == [
        ("high", "a-stack", "aws_subnet.y"),
        ("high", "a-stack", "aws_subnet.z"),
        ("high", "b-stack", "aws_vpc.v"),
        ("medium", "b-stack", "aws_eks_node_group.n"),
    ]


def test_messages_in_plain_words(tmp_path: Path) -> None:
    [vpc] = one_plan(tmp_path, rc("aws_vpc", "v", ["delete"], {}, None))
    assert vpc.message == "The VPC (everything in it, the cluster included, must go first) will be destroyed."
    [group] = one_plan(tmp_path, rc("aws_eks_node_group", "g", ["delete", "create"], {}, {}, replace_paths=[["ami_type"], ["instance_types"]]))
    assert group.message.startswith("A node group (") and group.message.endswith(
        "will be replaced (destroyed, then created again) because ami_type, instance_types changed."
    )
    [roll] = one_plan(tmp_path, rc("aws_eks_node_group", "g", ["update"], {"version": "1", "ami_type": "a"}, {"version": "2", "ami_type": "b"}))
    assert roll.message == "Node group nodes are replaced one batch at a time (version, ami_type changes): expect pod evictions."
    [bucket] = one_plan(tmp_path, rc("aws_s3_bucket", "b", ["delete"], {"tags": {"platform-layer": "state"}}, None), stack="x")
    assert bucket.message.startswith("The Terraform state bucket ? will be destroyed")
    [role] = one_plan(tmp_path, rc("aws_iam_role", "r", ["delete"], {"assume_role_policy": IRSA_TRUST}, None))
    assert role.message.startswith("The IRSA trust policy of role aws_iam_role.r is removed")
    [helm] = one_plan(tmp_path, rc("helm_release", "h", ["delete", "create"], {"chart": "old", "version": "v1.2.0"}, {"version": "v2.0.0"}))
    assert helm.message.startswith("Helm chart old moves to a new major version (v1.2.0 -> v2.0.0)")
    [helm] = one_plan(tmp_path, rc("helm_release", "h", ["update"], {"version": "1.0.0"}, {"version": "3.0.0"}))
    assert helm.message.startswith("Helm chart helm_release.h moves")
    [admin] = one_plan(
        tmp_path,
        rc("aws_eks_access_policy_association", "a1", ["delete"], {"policy_arn": ADMIN}, None),
        rc("aws_eks_access_policy_association", "a2", ["delete"], {"policy_arn": ADMIN}, None),
    )
    assert admin.address == "aws_eks_access_policy_association.a1, aws_eks_access_policy_association.a2"
    assert admin.message.endswith("(only the cluster creator's bootstrap access, if it was kept).")


def test_rules_ignore_actions_they_do_not_name(tmp_path: Path) -> None:
    unknown_version = rc("helm_release", "h", ["update"], {"version": "latest"}, {"version": "2.0.0"})
    new_role = rc("aws_iam_role", "r", ["create"], None, {"assume_role_policy": IRSA_TRUST})
    replaced_cluster_same_key = rc("aws_eks_cluster", "c", ["delete", "create"], {"encryption_config": [1]}, {"encryption_config": [1]})
    kept_admin = rc("aws_eks_access_policy_association", "a", ["update"], {"policy_arn": ADMIN, "x": 1}, {"policy_arn": ADMIN, "x": 2})
    edit_only = rc("aws_eks_access_policy_association", "e", ["delete"], {"policy_arn": EDIT}, None)
    risks = one_plan(tmp_path, unknown_version, new_role, replaced_cluster_same_key, kept_admin, edit_only)
    assert [r.address for r in risks] == ["aws_eks_cluster.c"]  # only the replacement itself
    assert one_plan(tmp_path, rc("aws_eks_access_policy_association", "x", ["delete"], {}, None)) == []


def test_cluster_encryption_replaced_in_a_replacement_is_reported_too(tmp_path: Path) -> None:
    risks = one_plan(tmp_path, rc("aws_eks_cluster", "c", ["delete", "create"], {"encryption_config": [1]}, {"encryption_config": [2]}))
    assert sum("Secrets encryption" in r.message for r in risks) == 1


# --- the Markdown --------------------------------------------------------------------------------


def test_report_layout(tmp_path: Path) -> None:
    network = load_plan(
        "dev-network",
        plan_file(
            tmp_path,
            "n",
            rc("aws_route", "r1", ["create"], None, {}),
            rc("aws_route", "r2", ["create"], None, {}),
            rc("aws_route", "r3", ["create"], None, {}),
            rc("aws_vpc", "v", ["delete"], {}, None),
        ),
    )
    path = plan_file(tmp_path, "c", rc("aws_eks_node_group", "g", ["update"], {"version": "1", "tags": {}}, {"version": "2", "tags": {}}))
    doc = json.loads(path.read_text())
    doc["errored"] = True
    path.write_text(json.dumps(doc))
    cluster = load_plan("dev-cluster", path)
    empty = load_plan("dev-state", plan_file(tmp_path, "e"))
    plans = [network, cluster, empty]
    report = render(plans, assess(plans), max_resources=2)
    # Other sections (the stack graph) may sit between these blocks; each block is exact, in order.
    blocks = [
        "## Terraform plan review\n"
        "\n"
        "**Risk: HIGH** - 3 stack(s), 5 resource change(s).\n"
        "\n"
        "| stack | create | update | replace | destroy |\n"
        "|---|---:|---:|---:|---:|\n"
        "| dev-network | 3 | 0 | 0 | 1 |\n"
        "| dev-cluster (plan errored) | 0 | 1 | 0 | 0 |\n"
        "| dev-state | 0 | 0 | 0 | 0 |\n",
        "### Risk\n"
        "\n"
        # An errored plan is a high risk of its own.
        "- **HIGH** `dev-cluster` `dev-cluster`: The plan errored: it cannot be applied; read the plan log of this stack.\n"
        "- **HIGH** `dev-network` `aws_vpc.v`: The VPC (everything in it, the cluster included, must go first) will be destroyed.\n"
        "- medium `dev-cluster` `aws_eks_node_group.g`: Node group nodes are replaced one batch at a time (version changes): expect pod evictions.\n",
        "### dev-network\n"
        "\n"
        "create (3):\n"
        "- `aws_route.r1`\n"
        "- `aws_route.r2`\n"
        "- ... and 1 more\n"
        "\n"
        "destroy (1):\n"
        "- `aws_vpc.v`\n"
        "\n"
        "### dev-cluster\n"
        "\n"
        "update (1):\n"
        "- `aws_eks_node_group.g` (version)\n"
        "\n"
        "### dev-state\n"
        "\n"
        "No changes.\n",
    ]
    assert report.startswith(blocks[0]) and report.endswith(blocks[-1]), report
    positions = [report.find(b) for b in blocks]
    assert -1 not in positions and positions == sorted(positions), report
    # Not errored: an errored plan is high by itself (tools/review/hardening.py).
    unerrored = dataclasses.replace(cluster, errored=False)
    medium_only = render([unerrored], assess([unerrored]))
    assert "**Risk: medium** - 1 stack(s), 1 resource change(s)." in medium_only
    assert "No change on the EKS risk list" not in medium_only
    quiet = render([empty], [])
    assert "**Risk: low** - 1 stack(s), 0 resource change(s)." in quiet
    assert "No change on the EKS risk list (cluster, node groups, network, EFS, state bucket, KMS, IRSA trust, admin access, Helm majors).\n" in quiet


def test_update_without_attribute_changes_lists_the_address_alone(tmp_path: Path) -> None:
    plan = load_plan("s", plan_file(tmp_path, "s", rc("aws_vpc", "v", ["update"], {"a": 1}, {"a": 1})))
    assert "- `aws_vpc.v`\n" in render([plan], [])


# --- command line --------------------------------------------------------------------------------


def test_stack_names_from_file_names_or_explicit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for suffix in (".json", ".plan", ".tfplan"):
        path = tmp_path / f"dev-network{suffix}"
        path.write_text(json.dumps({"format_version": "1.2", "resource_changes": []}))
        assert main([str(path)]) == 0
        assert "| dev-network | 0 | 0 | 0 | 0 |" in capsys.readouterr().out
    eq = tmp_path / "a=b.json"
    eq.write_text(json.dumps({"format_version": "1.2", "resource_changes": []}))
    assert main([f"net={eq}"]) == 0
    assert "| net | 0 | 0 | 0 | 0 |" in capsys.readouterr().out


def test_max_resources_option_and_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = plan_file(tmp_path, "dev-network", *[rc("aws_route", f"r{i}", ["create"], None, {}) for i in range(4)])
    assert main([str(path), "--max-resources", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("- `aws_route.") == 3 and "- ... and 1 more" in out


def test_high_risk_exit_message_counts_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = plan_file(tmp_path, "dev-network", rc("aws_vpc", "v", ["delete"], {}, None), rc("aws_subnet", "s", ["delete"], {}, None))
    assert main([str(path)]) == 3
    assert capsys.readouterr().err == "plan_report: 2 high-risk change(s); rerun with --allow-high-risk to accept\n"


def test_not_synthesized_file_named_and_lying_next_to_the_plans_is_read_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.review.test_plan_report import not_synthesized_file

    network = plan_file(tmp_path, "dev-network")
    listed = not_synthesized_file(tmp_path, ("dev-storage", 2))
    assert main([str(network), str(listed), "--allow-high-risk"]) == 0
    out = capsys.readouterr().out
    assert out.count("Stack dev-storage is no longer synthesized; its 2 resources stay") == 1
    assert "### State without a stack" in out and "- `dev-storage` (s3://acme-dev-tfstate/dev/storage.tfstate): 2 resource(s) still recorded" in out
