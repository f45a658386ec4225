"""The CRDs a chart ships in ``crds/``, as local charts that install *and upgrade* them.

Helm installs a chart's ``crds/`` directories (its own and its subcharts') on the first install
only: "There is no support at this time for upgrading or deleting CRDs using Helm" (Helm docs,
chart best practices, Custom Resource Definitions). So a chart bump would leave the cluster on the
old CRDs while the new controller expects the new ones. The docs' "Method 2: separate charts" is
what Karpenter publishes (``karpenter-crd``); the other charts have no such chart, so one is built
here at synth time from the pinned archive, and the chart's own release sets ``skip_crds``:

- the CRDs are read from the archive Helm would install (``catalog/chart_archives.py`` finds it),
  byte for byte the same objects, plus ``helm.sh/resource-policy: keep`` (Helm docs, "Tell Helm
  Not To Uninstall a Resource"): a CRD leaving a release, or the release being uninstalled, never
  deletes the CRD and with it every object of its kind;
- they are the *default values* of a generated copy of ``charts/manifests`` (JSON, which is YAML):
  Helm stores a release's chart templates base64-encoded but its values as JSON, and the release
  Secret must stay under Kubernetes' 1 MiB (kube-prometheus-stack's CRDs as templates exceeded it:
  prometheus-community/helm-charts#3654). A chart whose CRDs would not fit is split into parts
  (``<add-on>-crds``, ``<add-on>-crds-2``, ...), each estimated from its compressed size;
- the synthesized JSON carries only the chart path (a cdktf asset, named by its content hash) and
  an index of the CRDs (name -> sha256, served versions, storage version), so a plan shows which
  CRDs a bump changes (tools/review/crds.py reads that index).

Chosen over: the charts' own upgrade hooks (only kube-prometheus-stack has one, in preview, and it
pulls a kubectl image at upgrade time), ``kubernetes_manifest`` per CRD (needs the cluster's API at
plan time, so a first plan before the cluster exists fails), and CRDs vendored into the repository
(~7 MB of YAML that could drift from the pinned archive; here the archive is the one source).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from catalog.addons.base import Addon
from catalog.chart_archives import ROOT, find_chart, search_dirs

MANIFESTS_TEMPLATE = ROOT / "charts" / "manifests" / "templates" / "manifests.yaml"
BUILD = ROOT / ".work" / "crd-charts"  # content-addressed: safe to delete at any time
FORMAT = "1"  # bump when the generated chart's layout changes
KEEP = {"helm.sh/resource-policy": "keep"}
# Kubernetes refuses a Secret over 1 MiB; Helm's Secret holds base64(gzip(release)), and the release
# holds the CRDs twice (chart values and rendered manifest). The estimate below (gzip of each CRD's
# JSON, twice, base64) runs ~10% under what tests/addons/test_crd_releases.py measures on the
# rendered release, so parts aim at half the limit.
SECRET_LIMIT = 1_048_576
PART_BUDGET = SECRET_LIMIT // 2
_DOCUMENT = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)


class CrdError(ValueError):
    """A ``crds/`` file Helm would install that is not a CRD, or cannot be read."""


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # base chosen at import: libyaml's loader when built
    """Safe loader as Kubernetes reads YAML: no timestamps, and the ``=`` scalar some CRDs contain."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class CrdPart:
    """One CRD release: its name, its generated chart and the index the synthesized values carry."""

    release: str
    chart_dir: Path
    values: dict[str, Any]


def _in_dirs(member: str, chart: str, dirs: tuple[str, ...]) -> bool:
    inside = member.removeprefix(f"{chart}/")
    return inside.endswith((".yaml", ".yml", ".json")) and any(inside.startswith(f"{d.rstrip('/')}/") for d in dirs)


def read_crds(archive: Path, chart: str, dirs: tuple[str, ...]) -> list[dict[str, Any]]:
    """The CRD objects of ``dirs`` (paths inside the chart, subdirectories included as Helm reads
    them), in path order; anything else there is an error naming the file."""
    objects: list[dict[str, Any]] = []
    with tarfile.open(archive) as tgz:
        members = sorted((m for m in tgz if m.isfile() and _in_dirs(m.name, chart, dirs)), key=lambda m: m.name)
        if not members:
            raise CrdError(f"{archive}: no CRD file under {', '.join(dirs)} (Addon.crd_dirs names a directory the chart does not have)")
        for member in members:
            handle = tgz.extractfile(member)
            assert handle is not None
            for text in _DOCUMENT.split(handle.read().decode("utf-8")):
                obj = yaml.load(text, Loader=_Loader)
                if not obj:
                    continue
                if not isinstance(obj, dict) or obj.get("kind") != "CustomResourceDefinition":
                    raise CrdError(f"{archive}: {member.name}: a {obj.get('kind') if isinstance(obj, dict) else type(obj).__name__} in a crds/ directory")
                objects.append(obj)
    return objects


def index_entry(crd: dict[str, Any]) -> dict[str, Any]:
    """What a plan shows of one CRD: its content digest, served versions and storage version."""
    versions = crd.get("spec", {}).get("versions") or []
    digest = hashlib.sha256(json.dumps(crd, sort_keys=True).encode()).hexdigest()
    return {
        "sha256": digest,
        "served": [v["name"] for v in versions if v.get("served", True)],
        "storage": next((v["name"] for v in versions if v.get("storage")), ""),
    }


def _kept(crd: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(crd.get("metadata") or {})
    metadata["annotations"] = {**(metadata.get("annotations") or {}), **KEEP}
    return {**crd, "metadata": metadata}


def split(crds: list[dict[str, Any]], budget: int = PART_BUDGET) -> list[list[dict[str, Any]]]:
    """Consecutive groups whose estimated release Secret (twice the gzip of each CRD, base64) fits."""
    parts: list[list[dict[str, Any]]] = [[]]
    used = 0
    for crd in crds:
        size = 2 * len(gzip.compress(json.dumps(crd).encode(), 6)) * 4 // 3
        if size > budget:
            raise CrdError(f"CRD {crd['metadata']['name']}: about {size} bytes in a Helm release Secret, over the {budget} budget")
        if parts[-1] and used + size > budget:
            parts.append([])
            used = 0
        parts[-1].append(crd)
        used += size
    return parts


def part_name(addon_name: str, index: int) -> str:
    return f"{addon_name}-crds" if index == 0 else f"{addon_name}-crds-{index + 1}"


def _write_chart(directory: Path, name: str, version: str, source: str, crds: list[dict[str, Any]]) -> None:
    (directory / "templates").mkdir(parents=True)
    chart = {
        "apiVersion": "v2",
        "name": name,
        "description": f"The CRDs of {source}'s crds/, as templates so that Helm upgrades them (generated at synth).",
        "type": "application",
        "version": version,
    }
    (directory / "Chart.yaml").write_text(yaml.safe_dump(chart, sort_keys=True), encoding="utf-8")
    (directory / "values.yaml").write_text(json.dumps({"manifests": crds}, sort_keys=True, indent=0) + "\n", encoding="utf-8")
    shutil.copyfile(MANIFESTS_TEMPLATE, directory / "templates" / "manifests.yaml")


def crd_parts(addon: Addon, *, build: Path = BUILD) -> list[CrdPart]:
    """The CRD releases of ``addon`` (none unless it names ``crd_dirs``), built once per archive."""
    if not addon.crd_dirs:
        return []
    chart = addon.chart
    archive = find_chart(chart.name, chart.version, search_dirs())
    key = hashlib.sha256(b"\0".join([FORMAT.encode(), archive.read_bytes(), addon.name.encode(), *(d.encode() for d in addon.crd_dirs)])).hexdigest()[:20]
    home = build / f"{addon.name}-{key}"
    if not (home / "index.json").is_file():
        source = f"{chart.name} {chart.version}"
        groups = split(read_crds(archive, chart.name, addon.crd_dirs))
        build.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=build, prefix=".tmp-"))
        index = []
        for i, group in enumerate(groups):
            name = part_name(addon.name, i)
            _write_chart(staging / name, name, chart.version, source, [_kept(c) for c in group])
            entries = {c["metadata"]["name"]: index_entry(c) for c in group}
            index.append({"release": name, "values": {"source": source, "crds": dict(sorted(entries.items()))}})
        (staging / "index.json").write_text(json.dumps(index, sort_keys=True), encoding="utf-8")
        try:
            os.rename(staging, home)  # atomic: a parallel synth either wins or finds it complete
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    index = json.loads((home / "index.json").read_text(encoding="utf-8"))
    return [CrdPart(release=p["release"], chart_dir=home / p["release"], values=p["values"]) for p in index]
