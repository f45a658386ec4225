"""docs/cost.md's cost section is ``tools/cost.py``'s output for the shipped environments, and the
tool's numbers are AWS's prices times what the environment files ask for.

Independent sources: the environment files (zones, NAT mode, interface endpoints, node groups'
desired sizes) and AWS's pricing pages (EKS $0.10/$0.60 per cluster-hour, NAT gateway $0.045 per
hour, interface endpoint $0.01 per AZ-hour in us-east-1; 730 hours a month, as AWS prices a
month). The dates judged are pinned: no test starts failing because a calendar date passed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from tests.conftest import Synth
from tools.cost import BEGIN, END, priced_on, section, shipped_environments

DOC = Path(__file__).resolve().parents[2] / "docs" / "cost.md"


def _between(text: str) -> str:
    assert BEGIN in text and END in text, "docs/cost.md has no generated cost section (make cost-doc)"
    return text[text.index(BEGIN) : text.index(END) + len(END)] + "\n"


def test_the_cost_doc_is_the_tools_output_for_every_shipped_environment(synth: Synth) -> None:
    doc = DOC.read_text(encoding="utf-8")
    expected = section(synth.outdir, shipped_environments(), priced_on(DOC))
    assert _between(doc) == expected, "docs/cost.md is stale: run `make cost-doc`"
    for env, _ in shipped_environments():
        assert f"### {env} (" in doc


def _row(text: str, starts: str) -> list[str]:
    [row] = [line for line in text.splitlines() if line.startswith(f"| {starts}")]
    return [c.strip() for c in row.strip("|").split("|")]


def test_prods_lines_are_awss_prices_times_its_environment_file(synth: Synth) -> None:
    # environments/prod.yaml: three zones, one_per_az NAT, interface_endpoints [ecr.api, ecr.dkr, sts, logs],
    # node group general m6i.xlarge desired 6, cluster 1.35 (standard support until 2027-03-27).
    text = section(synth.outdir, [("prod", "eu-west-1")], date(2026, 12, 6))
    assert _row(text, "EKS control plane 1.35, standard support")[1:] == ["1 cluster", "$0.10 per hour", "$73.00"]  # 0.10 * 730
    assert _row(text, "NAT gateway")[1] == "3" and _row(text, "NAT gateway")[3] == "$98.55"  # 3 * 0.045 * 730
    assert _row(text, "public IPv4")[3] == "$10.95"  # 3 * 0.005 * 730
    assert _row(text, "interface VPC endpoint")[1:] == ["4 endpoints, 12 endpoint-AZs", "$0.01 per AZ-hour + $0.01 per GB", "$87.60"]
    assert _row(text, "node group general: m6i.xlarge")[1] == "6 nodes, 4,380 instance-hours"


def _one_cluster(tmp_path: Path, version: str, support_type: str | None = None) -> Path:
    body: dict = {"version": version}
    if support_type:
        body["upgrade_policy"] = [{"support_type": support_type}]
    stack = tmp_path / "cdktf.out" / "stacks" / "x-cluster"
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_eks_cluster": {"eks": body}}}))
    return tmp_path / "cdktf.out"


def test_a_minor_past_standard_support_is_priced_as_extended_support(tmp_path: Path) -> None:
    # EKS calendar: 1.33 standard support ends 2026-07-29; extended support is $0.60 per cluster-hour.
    outdir = _one_cluster(tmp_path, "1.33")
    assert _row(section(outdir, [("x", "eu-west-1")], date(2026, 12, 6)), "EKS control plane 1.33, **extended support**")[3] == "$438.00"
    assert _row(section(outdir, [("x", "eu-west-1")], date(2026, 7, 1)), "EKS control plane 1.33, standard support")[3] == "$73.00"


def test_extended_support_chosen_on_purpose_costs_the_same(tmp_path: Path) -> None:
    outdir = _one_cluster(tmp_path, "1.33", "EXTENDED")
    assert _row(section(outdir, [("x", "eu-west-1")], date(2026, 12, 6)), "EKS control plane 1.33, **extended support**")[3] == "$438.00"
