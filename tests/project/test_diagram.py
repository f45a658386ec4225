"""`make diagram ENV=`: the picture is drawn from the synthesized JSON (what would be applied)."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, Synth, missing_prerequisite
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


def test_prod_shows_its_endpoints_flow_logs_and_team_fargate_profile(synth: Synth) -> None:
    """Read from prod.yaml as plain YAML: private endpoint, flow logs on, a team namespace on Fargate."""
    raw = yaml.safe_load((ROOT / "environments" / "prod.yaml").read_text())
    assert raw["network"]["flow_logs"] is True and raw["cluster"]["endpoint_public_access"] is False
    source = build(load("prod", synth.outdir)).source
    region = raw["region"]
    for service in ("ecr.api", "ecr.dkr", "sts", "logs"):
        assert f"com.amazonaws.{region}.{service} (Interface)" in source, service
    assert f"com.amazonaws.{region}.s3 (Gateway)" in source
    assert "flow logs" in source and "/aws/vpc/prod/flow-logs" in source
    fargate = [(team, ns) for team, t in raw["teams"].items() for ns, n in t["namespaces"].items() if (n or {}).get("fargate")]
    assert fargate
    for team, ns in fargate:
        assert f"Fargate team-{team}-{ns}" in source and f"namespace {ns}" in source


def _edges_from_subnets(source: str, target: str) -> set[str]:
    return {line.split("->")[0].strip() for line in source.splitlines() if "->" in line and line.split("->")[1].strip().startswith(target)}


def test_every_zone_has_its_edges_to_the_nodes_and_to_efs(synth: Synth) -> None:
    """prod has three zones, three private subnets and an EFS mount target in each: one edge per zone."""
    env = load("prod", synth.outdir)
    source = build(env).source
    private = {n for n, s in env.resources("network", "aws_subnet").items() if "kubernetes.io/role/internal-elb" in s.get("tags", {})}
    assert len(private) == 3
    expected = {f"subnet_{n}".replace("-", "_") for n in private}
    assert _edges_from_subnets(source, "endpoint") == expected
    assert _edges_from_subnets(source, "efs") == expected


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


def test_auto_shows_its_auto_mode_pools_and_no_node_group(synth: Synth) -> None:
    raw = yaml.safe_load((ROOT / "environments" / "auto.yaml").read_text())
    source = build(load("auto", synth.outdir)).source
    for name in raw["cluster"]["auto_mode"]["built_in_pools"]:
        assert f"Auto Mode pool {name}" in source
    for name, pool in raw["cluster"]["auto_mode"]["node_pools"].items():
        assert f"Auto Mode pool {name}" in source and f"up to {pool['limits']['cpu']} cpu" in source
    assert "node group" not in source and "Karpenter pool" not in source
    assert "Auto Mode pool" not in build(load("dev", synth.outdir)).source


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


def _svg_texts(path: Path) -> list[str]:
    return sorted(t.text or "" for t in ET.parse(path).getroot().iter("{http://www.w3.org/2000/svg}text"))


def test_the_readme_picture_is_what_make_diagram_draws_for_prod(synth: Synth, tmp_path: Path) -> None:
    """docs/images/prod.svg (README) shows every label ``make diagram ENV=prod`` draws today, and
    nothing else: regenerate it with ``make readme-picture`` after a change to prod or the diagram."""
    if shutil.which("dot") is None:
        missing_prerequisite("Graphviz's dot is not installed (apt-get install graphviz)")
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth.outdir, outdir)
    fresh = _svg_texts(render("prod", outdir))
    committed = _svg_texts(ROOT / "docs" / "images" / "prod.svg")
    missing, extra = sorted(set(fresh) - set(committed)), sorted(set(committed) - set(fresh))
    assert fresh == committed, f"docs/images/prod.svg is stale (make readme-picture): missing {missing[:10]}, no longer drawn {extra[:10]}"
