"""Every CRD a chart ships in a ``crds/`` directory is installed and upgraded by a release of its own.

Independent sources: the real Helm binary and the pinned chart archives. ``helm template
--include-crds`` marks each document with ``# Source: <chart>/.../crds/<file>``: those are the CRDs
Helm installs once and never upgrades (Helm docs, chart best practices "Custom Resource
Definitions": "There is no support at this time for upgrading or deleting CRDs using Helm"); CRDs
under ``templates/`` are ordinary objects Helm upgrades. The test renders each synthesized upstream
release with its values (subchart conditions included) and asserts that the release skips them and
that CRD releases of the same stack, rendered by Helm from their own chart, hold exactly those
objects, unchanged but for the annotation that keeps them on uninstall.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Synth, missing_prerequisite
from tools.render.charts import ChartMissing, find_chart, search_dirs
from tools.render.releases import Release, release_from_body
from tools.render.render import helm_template, parse_objects

_SOURCE = re.compile(r"^# Source: (\S+)$", re.MULTILINE)
_DOC = re.compile(r"^---[ \t]*$", re.MULTILINE)
KEEP = {"helm.sh/resource-policy": "keep"}  # Helm docs, "Tell Helm Not To Uninstall a Resource"
ADDON_STACKS = ("dev-addons", "staging-addons", "prod-addons", "local-addons")


def _once_only_crds(helm: Path, release: Release, chart: Path) -> dict[str, dict[str, Any]]:
    """CRDs of ``helm template --include-crds`` whose source is a ``crds/`` directory, by name."""
    out = helm_template(helm, dataclasses.replace(release, skip_crds=False), chart, kube="1.35.0", api_versions=())
    found: dict[str, dict[str, Any]] = {}
    source = ""  # a file of several documents names its source once, above the first
    for doc in _DOC.split(out):
        named = _SOURCE.search(doc)
        source = named.group(1) if named else source
        if "/crds/" not in f"/{source}" or "/templates/" in source:
            continue
        for obj in parse_objects(doc):
            if obj.get("kind") == "CustomResourceDefinition":
                found[obj["metadata"]["name"]] = obj
    return found


def _upstream_and_local(synth: Synth, stack: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    releases = synth.resources(stack, "helm_release")
    upstream = {k: v for k, v in releases.items() if v.get("repository")}
    local = {k: v for k, v in releases.items() if not v.get("repository")}
    return upstream, local


@pytest.mark.parametrize("stack", ADDON_STACKS)
def test_charts_with_once_only_crds_get_a_crd_release(stack: str, synth: Synth, helm: Path) -> None:
    if stack not in synth.stack_names:
        pytest.skip(f"{stack} not synthesized")
    stack_dir = synth.outdir / "stacks" / stack
    upstream, local = _upstream_and_local(synth, stack)
    checked = 0
    for key, body in sorted(upstream.items()):
        release = release_from_body(f"helm_release.{key}", body, stack_dir=stack_dir)
        try:
            chart = find_chart(release.chart, str(release.version), search_dirs())
        except ChartMissing as exc:
            missing_prerequisite(f"chart archive missing: {exc}")
        expected = _once_only_crds(helm, release, chart)
        if not expected:
            continue
        checked += 1
        assert body.get("skip_crds") is True, (
            f"{stack} {body['name']}: its chart ships {len(expected)} CRDs in crds/, which Helm never upgrades; skip_crds must be set"
        )
        # The releases this one waits for, rendered by Helm: the CRDs they hold as templates.
        deps = {d.removeprefix("helm_release.") for d in body.get("depends_on") or []}
        got: dict[str, dict[str, Any]] = {}
        upstream_crd_chart = False
        for dep in sorted(deps):
            dep_body = {**upstream, **local}.get(dep)
            if dep_body is None:
                continue
            dep_release = release_from_body(f"helm_release.{dep}", dep_body, stack_dir=stack_dir)
            if dep_release.version is None:
                assert dep_release.local_chart is not None and dep_release.local_chart.is_relative_to(stack_dir / "assets")
                dep_chart = dep_release.local_chart
            else:  # a CRD chart its project publishes (karpenter-crd)
                dep_chart = find_chart(dep_release.chart, dep_release.version, search_dirs())
            for obj in parse_objects(helm_template(helm, dep_release, dep_chart, kube="1.35.0", api_versions=())):
                if obj.get("kind") == "CustomResourceDefinition" and obj["metadata"]["name"] in expected:
                    got[obj["metadata"]["name"]] = obj
                    upstream_crd_chart |= dep_release.version is not None
        assert sorted(got) == sorted(expected), f"{stack} {body['name']}: the releases it waits for hold other CRDs than its chart's crds/"
        if upstream_crd_chart:
            assert all(got[n]["spec"] == expected[n]["spec"] for n in expected), f"{stack} {body['name']}: its CRD chart's CRDs differ"
            continue
        for name, obj in expected.items():
            annotations = dict((obj["metadata"].get("annotations") or {}), **KEEP)
            want = {**obj, "metadata": {**obj["metadata"], "annotations": annotations}}
            assert got[name] == want, f"{stack} {body['name']}: CRD {name} differs from the chart archive's"
    if stack != "local-addons":
        assert checked, f"{stack}: no release with crds/ checked (aws-load-balancer-controller ships 7)"


def test_crd_releases_adopt_and_keep(synth: Synth) -> None:
    """The first apply on a cluster where the chart's own install created the CRDs adopts them (Helm
    >= 3.17 ``--take-ownership``; the objects carry no release annotations), and no release change
    ever deletes a CRD (and with it every object of its kind)."""
    found = 0
    for stack in ADDON_STACKS:
        if stack not in synth.stack_names:
            continue
        _, local = _upstream_and_local(synth, stack)
        for body in local.values():
            values = body.get("values") or []
            if values and '"crds"' in values[0]:
                found += 1
                assert body.get("take_ownership") is True, body["name"]
                assert body["name"].endswith("-crds") or re.search(r"-crds-\d+$", body["name"]), body["name"]
    assert found


def test_release_secret_fits(synth: Synth, helm: Path, tmp_path: Path) -> None:
    """Helm keeps each release revision in a Secret (gzip + base64 of the release, chart and rendered
    manifest included); Kubernetes refuses a Secret over 1 MiB (prometheus-community/helm-charts
    #3654 hit it with kube-prometheus-stack's CRDs). Measured on ``helm install --dry-run``'s release
    is not possible offline, so the test packs each CRD chart as Helm would store it: chart values
    and rendered manifest, gzip, base64."""
    import base64
    import gzip
    import json

    import yaml

    sizes: dict[str, int] = {}
    for stack in ("prod-addons", "staging-addons"):
        if stack not in synth.stack_names:
            continue
        stack_dir = synth.outdir / "stacks" / stack
        _, local = _upstream_and_local(synth, stack)
        for key, body in local.items():
            release = release_from_body(f"helm_release.{key}", body, stack_dir=stack_dir)
            if release.local_chart is None or not (release.local_chart / "values.yaml").is_file():
                continue
            manifest = helm_template(helm, release, release.local_chart, kube="1.35.0", api_versions=())
            chart_values = yaml.safe_load((release.local_chart / "values.yaml").read_text())
            # Go's encoding/json writes a template's bytes ([]byte) as base64, values as JSON.
            templates = [
                {"name": str(t.relative_to(release.local_chart)), "data": base64.b64encode(t.read_bytes()).decode()}
                for t in sorted((release.local_chart / "templates").rglob("*"))
                if t.is_file()
            ]
            chart = {"templates": templates, "values": chart_values}
            stored = json.dumps({"chart": chart, "config": release.values, "manifest": manifest}).encode()
            size = len(base64.b64encode(gzip.compress(stored, 9)))
            # A quarter left for what the estimate omits (release info, hooks) and for the next bump's growth.
            assert size < 1_048_576 * 3 // 4, f"{stack} {body['name']}: release Secret would be {size} bytes of Kubernetes' 1 MiB"
            sizes[body["name"]] = size
    assert sizes.get("kube-prometheus-stack-crds"), sizes
    print(sizes)


def test_helm_is_real(helm: Path) -> None:
    proc = subprocess.run([str(helm), "version", "--short"], capture_output=True, text=True, check=False)
    assert proc.stdout.startswith("v3."), proc.stdout


def test_a_crds_file_that_is_not_a_crd_is_an_error_naming_the_archive_and_file(tmp_path: Path) -> None:
    import io
    import tarfile

    from modules.shared.crds import CrdError, read_crds

    archive = tmp_path / "x-1.0.0.tgz"
    with tarfile.open(archive, "w:gz") as tgz:
        data = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
        info = tarfile.TarInfo("x/crds/oops.yaml")
        info.size = len(data)
        tgz.addfile(info, io.BytesIO(data))
    with pytest.raises(CrdError, match=r"x-1.0.0.tgz: x/crds/oops.yaml: a ConfigMap in a crds/ directory"):
        read_crds(archive, "x", ("crds",))
    with pytest.raises(CrdError, match=r"no CRD file under charts/crds/crds"):
        read_crds(archive, "x", ("charts/crds/crds",))
