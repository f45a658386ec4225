"""A chart bump's plan report lists the CRDs that change and how they reach the cluster.

Independent sources: the pinned aws-load-balancer-controller archive, and a "next version" of it
made here by editing its ``crds/`` the way a release would (one description reworded, a served
version dropped, one CRD removed, one added): the expected lists come from those edits, not from
the code. The before/after values are what synth builds from each archive (modules/shared/crds.py).
Helm's behaviour for ``crds/`` (installed once, never upgraded) is from its docs, chart best
practices "Custom Resource Definitions"; which charts ship a ``crds/`` directory is read from the
archives themselves.
"""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.registry import ADDONS
from catalog.karpenter.addon import Karpenter, KarpenterCrd
from modules.shared.crds import crd_parts
from tests.conftest import chart_archive
from tests.review.test_plan_report import rc, risks_of

ALB = "aws-load-balancer-controller"


def _next_version(src: Path, dest: Path, *, drop_served: bool) -> Path:
    """``src`` as version 3.6.0 with its CRDs edited; returns the new archive."""
    out = dest / f"{ALB}-3.6.0.tgz"
    with tarfile.open(src) as old, tarfile.open(out, "w:gz") as new:
        for member in old:
            data = old.extractfile(member).read() if member.isfile() else None  # type: ignore[union-attr]
            if member.name == f"{ALB}/Chart.yaml":
                data = data.replace(b"version: 3.5.0", b"version: 3.6.0")  # type: ignore[union-attr]
            elif member.name == f"{ALB}/crds/crds.yaml":
                docs = [d for d in yaml.safe_load_all(data) if d]
                for d in docs:
                    if d["metadata"]["name"] == "ingressclassparams.elbv2.k8s.aws":
                        d["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["description"] = "reworded in the next release"
                    if drop_served and d["metadata"]["name"] == "targetgroupbindings.elbv2.k8s.aws":
                        d["spec"]["versions"] = [v for v in d["spec"]["versions"] if v["name"] != "v1alpha1"]
                widget = json.loads(json.dumps(docs[0]))
                widget["metadata"]["name"] = "widgets.elbv2.k8s.aws"
                widget["spec"]["names"] = {"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "widget"}
                data = yaml.safe_dump_all([*docs, widget]).encode()
            elif member.name == f"{ALB}/crds/gateway-crds.yaml":
                docs = [d for d in yaml.safe_load_all(data) if d and d["metadata"]["name"] != "targetgroupconfigurations.gateway.k8s.aws"]
                data = yaml.safe_dump_all(docs).encode()
            if data is not None:
                member.size = len(data)
                new.addfile(member, io.BytesIO(data))
            else:
                new.addfile(member)
    return out


class _NextAlb(AwsLoadBalancerController):
    chart = dataclasses.replace(AwsLoadBalancerController.chart, version="3.6.0")


def _release(addon: Any, build: Path) -> dict[str, Any]:
    [part] = crd_parts(addon, build=build)
    return {"name": part.release, "chart": f"assets/{part.release}", "values": [json.dumps(part.values, sort_keys=True)]}


def _bump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, drop_served: bool) -> list[str]:
    archive = chart_archive(ALB, "3.5.0")
    charts = tmp_path / "charts"
    charts.mkdir()
    (charts / archive.name).write_bytes(archive.read_bytes())
    _next_version(archive, charts, drop_served=drop_served)
    monkeypatch.setenv("PLATFORM_CHARTS_DIR", str(charts))
    before = _release(AwsLoadBalancerController(), tmp_path / "build")
    after = _release(_NextAlb(), tmp_path / "build")
    return risks_of(tmp_path, rc("helm_release", "alb_crds", ["update"], before, after), stack="prod-addons")


def test_a_bump_lists_changed_new_and_removed_crds_and_the_release_that_upgrades_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _bump(tmp_path, monkeypatch, drop_served=False) == [
        f"medium: CRDs of {ALB} 3.5.0 -> {ALB} 3.6.0: changed: ingressclassparams.elbv2.k8s.aws; new: widgets.elbv2.k8s.aws; "
        "removed from the chart: targetgroupconfigurations.gateway.k8s.aws (kept in the cluster: helm.sh/resource-policy keep; delete by hand). "
        f"Upgraded in place by release {ALB}-crds (Helm applies them as templates), before the chart's release, which waits for it."
    ]


def test_a_crd_that_stops_serving_a_version_is_high(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    risks = _bump(tmp_path, monkeypatch, drop_served=True)
    assert risks[0].startswith(f"high: CRD targetgroupbindings.elbv2.k8s.aws stops serving v1alpha1 ({ALB} 3.5.0 -> {ALB} 3.6.0)")
    assert "changed: ingressclassparams.elbv2.k8s.aws, targetgroupbindings.elbv2.k8s.aws;" in risks[1]


def test_an_unchanged_crd_set_is_no_risk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = chart_archive(ALB, "3.5.0")
    monkeypatch.setenv("PLATFORM_CHARTS_DIR", str(archive.parent))
    same = _release(AwsLoadBalancerController(), tmp_path / "build")
    assert risks_of(tmp_path, rc("helm_release", "alb_crds", ["update"], same, same), stack="prod-addons") == []


def _ships_crds_dir(archive: Path) -> bool:
    """Whether Helm installs a ``crds/`` file of the chart or of a subchart enabled by default: a
    dependency's ``condition`` (Helm docs, "Chart dependencies": tags and condition) looked up in
    its parent's default values; a path the values do not have leaves it enabled."""
    with tarfile.open(archive) as tgz:
        files = {m.name: m for m in tgz if m.isfile()}

        def read(name: str) -> Any:
            member = files.get(name)
            return yaml.safe_load(tgz.extractfile(member).read()) if member else None  # type: ignore[union-attr]

        def enabled(parent: str, sub: str) -> bool:
            meta, values = read(f"{parent}/Chart.yaml") or {}, read(f"{parent}/values.yaml") or {}
            for dep in meta.get("dependencies") or []:
                if sub not in (dep.get("name"), dep.get("alias")) or not dep.get("condition"):
                    continue
                node: Any = values
                for key in str(dep["condition"]).split(",")[0].strip().split("."):
                    node = node.get(key) if isinstance(node, dict) else None
                return node is not False
            return True

        for name in files:
            parts = name.split("/")
            if "crds" not in parts[1:-1] or "templates" in parts:
                continue
            crds_at = len(parts) - 1 - parts[::-1].index("crds")
            chain = parts[:crds_at]  # chart, charts, sub, charts, subsub...
            if len(chain) % 2 == 0:  # a subchart's own directory named crds, not a chart's crds/
                continue
            if all(enabled("/".join(chain[:i]), chain[i + 1]) for i in range(1, len(chain), 2) if chain[i] == "charts"):
                return True
        return False


# Every chart the platform pins (the add-ons and Karpenter's two), as archive names.
PINNED = sorted((a.chart.name, a.chart.version) for a in (*ADDONS, Karpenter(), KarpenterCrd()))


@pytest.mark.parametrize(("chart", "version"), PINNED, ids=[f"{c}-{v}" for c, v in PINNED])
def test_a_bump_of_a_chart_with_crds_dir_that_does_not_skip_them_is_high(chart: str, version: str, tmp_path: Path) -> None:
    archive = chart_archive(chart, version)
    release = {"name": chart, "chart": chart, "repository": "https://example.invalid", "version": "1.0.0"}
    bumped = {**release, "version": "1.1.0"}
    risks = risks_of(tmp_path, rc("helm_release", "main", ["update"], release, bumped), stack="prod-addons")
    if _ships_crds_dir(archive):
        assert len(risks) == 1 and risks[0].startswith(f"high: Chart {chart} 1.0.0 -> 1.1.0 ships CRDs in crds/, which Helm installs once and never upgrades")
        skipped = risks_of(tmp_path, rc("helm_release", "main", ["update"], release, {**bumped, "skip_crds": True}), stack="prod-addons")
        assert skipped == []
    else:
        assert risks == []
