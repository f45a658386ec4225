"""docs/upgrades.md quotes the plan report's own words, and each quote is what the report says.

Every ``report: `...` `` in the doc must occur in a message the report gives for the change the
doc describes: the shapes below are what ``terraform show -json`` writes for them (a node group
replaced under create_before_destroy plans ``["create", "delete"]``: Terraform's JSON plan
format, "change representation"). A doc that describes a risk the report no longer gives fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.review.test_plan_report import rc, risks_of

DOC = Path(__file__).resolve().parents[2] / "docs" / "upgrades.md"
_QUOTE = re.compile(r"report:\s+`([^`]+)`")


def _said(tmp_path: Path) -> str:
    node_group = rc(
        "aws_eks_node_group",
        "general",
        ["create", "delete"],
        {"instance_types": ["m6i.large"]},
        {"instance_types": ["m7i.large"]},
        replace_paths=[["instance_types"]],
    )
    roll = rc("aws_eks_node_group", "system", ["update"], {"version": "1.34"}, {"version": "1.35"})
    bump = rc("aws_eks_cluster", "eks", ["update"], {"name": "e", "version": "1.34"}, {"name": "e", "version": "1.35"})
    skip = rc("aws_eks_cluster", "eks", ["update"], {"name": "e", "version": "1.33"}, {"name": "e", "version": "1.35"})
    major = rc("helm_release", "x", ["update"], {"chart": "external-dns", "version": "1.21.1"}, {"chart": "external-dns", "version": "2.0.0"})
    no_crd_release = rc(
        "helm_release",
        "dns",
        ["update"],
        {"chart": "external-dns", "repository": "https://kubernetes-sigs.github.io/external-dns/", "version": "1.21.1"},
        {"chart": "external-dns", "repository": "https://kubernetes-sigs.github.io/external-dns/", "version": "1.22.0"},
    )

    def crds(digest: str, served: list[str]) -> dict:
        index = {"source": "x 1", "crds": {"a.example.com": {"sha256": digest, "served": served, "storage": "v1"}}}
        return {"name": "x-crds", "values": [json.dumps(index)]}

    crd_update = rc("helm_release", "x_crds", ["update"], crds("1", ["v1", "v1beta1"]), crds("2", ["v1"]))
    pool = {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "default"}}
    node_class = {"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "default"}}
    pool["spec"] = {"template": {"spec": {"nodeClassRef": {"name": "default"}}}}

    def nodes(alias: str) -> dict:
        return {"name": "karpenter-nodepools", "values": [json.dumps({"manifests": [dict(node_class, spec={"amiSelectorTerms": [{"alias": alias}]}), pool]})]}

    drift = rc("helm_release", "karpenter_custom-resources", ["update"], nodes("al2023@v20260101"), nodes("al2023@v20260201"))
    messages = [
        *risks_of(tmp_path, node_group, roll, bump, stack="prod-cluster"),
        *risks_of(tmp_path, skip, stack="prod-cluster"),
        *risks_of(tmp_path, major, no_crd_release, crd_update, drift, stack="prod-addons"),
    ]
    return " ".join(" ".join(m.split()) for m in messages)


def test_every_report_quote_in_the_upgrade_doc_is_what_the_report_says(tmp_path: Path) -> None:
    quotes = [" ".join(q.split()) for q in _QUOTE.findall(DOC.read_text(encoding="utf-8"))]
    assert len(quotes) >= 8, f"docs/upgrades.md quotes {len(quotes)} report messages; it describes node groups, Karpenter, CRDs and versions"
    said = _said(tmp_path)
    missing = [q for q in quotes if q not in said]
    assert not missing, f"docs/upgrades.md quotes words the plan report does not give: {missing}"


def test_the_doc_no_longer_tells_to_remove_a_node_group_first() -> None:
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    assert "created and ready first" in text
    assert "add a new group with the new settings, deploy, move the workloads" not in text
