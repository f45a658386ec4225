"""`make diagram ENV=`: the picture is drawn from the synthesized JSON (what would be applied)."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, Synth
from tools.cli import UserError
from tools.diagram import build, load, render


def test_prod_shows_zones_nat_node_groups_addons_roles_and_state(synth: Synth) -> None:
    source = build(load("prod", synth.outdir)).source
    for zone in ("eu-west-1a", "eu-west-1b", "eu-west-1c"):
        assert f'label="{zone}"' in source
    assert source.count('label="NAT gateway"') == 3  # one per AZ in prod
    assert "VPC 10.30.0.0/16" in source and "10.30.96.0/19" in source
    assert "node group memory" in source and "r6i.xlarge" in source and "taint workload=memory:NO_SCHEDULE" in source
    assert "ON_DEMAND · 3–12 nodes (start 6)" in source
    assert "EKS prod-eks (Kubernetes 1.35)" in source and "private only" in source
    assert "namespace kube-system" in source and "IAM role prod-eks-aws-load-balancer-controller" in source
    assert "s3://acme-platform-prod-tfstate/prod/cluster.tfstate" in source
    assert "CI roles: prod-github-apply, prod-github-plan" in source
    assert "EFS" in source and "3 mount target(s)" in source
    assert "team payments" in source and "namespace payments-jobs" in source


def test_dev_shows_its_single_nat_spot_group_and_fargate(synth: Synth) -> None:
    source = build(load("dev", synth.outdir)).source
    assert source.count('label="NAT gateway"') == 1 and "one NAT gateway for every zone" in source
    assert "SPOT" in source and "Fargate batch" in source and "from 203.0.113.0/24" in source
    assert "local file terraform.dev-state.tfstate" in source  # dev's state stack is not migrated yet


def test_staging_shows_its_karpenter_pools_with_their_limits(synth: Synth) -> None:
    raw = yaml.safe_load((ROOT / "environments" / "staging.yaml").read_text())
    pools = raw["karpenter"]["node_pools"]
    assert pools, "staging must use Karpenter for this test"
    source = build(load("staging", synth.outdir)).source
    for name, pool in pools.items():
        assert f"Karpenter pool {name}" in source
        assert f"up to {pool['limits']['cpu']} cpu" in source
    assert "Karpenter pool" not in build(load("prod", synth.outdir)).source  # prod scales node groups


def test_renders_an_svg_into_cdktf_out_diagrams(synth: Synth, tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Graphviz's dot is missing on a CI machine (apt-get install graphviz)")
        pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)")
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth.outdir, outdir)
    svg = render("prod", outdir)
    assert svg == outdir / "diagrams" / "prod.svg"
    root = ET.parse(svg).getroot()
    texts = {t.text for t in root.iter("{http://www.w3.org/2000/svg}text")}
    assert "node group general" in texts and "VPC 10.30.0.0/16" in texts
    assert (outdir / "diagrams" / "prod.dot").is_file()


def test_before_a_synth_it_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"no synthesized stacks for 'dev' in .*: run `make synth`"):
        load("dev", tmp_path)


def test_without_dot_the_source_is_written_and_the_message_says_how_to_install(synth: Synth, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth.outdir, outdir)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(UserError, match="apt-get install graphviz"):
        render("dev", outdir)
    assert (outdir / "diagrams" / "dev.dot").is_file()
