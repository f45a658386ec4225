"""``helm template`` of releases at a cluster version, and the objects they render.

Each release is rendered as ``helm upgrade --install`` would on the cluster: ``--kube-version`` is
the environment's cluster version, ``--include-crds`` (Helm installs ``crds/`` on first install)
unless the release sets ``skip_crds`` (then another release holds them as templates),
and ``--api-versions`` lists every CRD the platform's charts install, so a chart that gates an
object on ``.Capabilities.APIVersions.Has "monitoring.coreos.com/v1"`` renders it as it will on
the cluster. The CRD set is read from the charts' ``crds/`` directories first; CRDs a chart renders
from templates are added after one pass, and the releases whose templates ask for API versions
are rendered again.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import os
import re
import subprocess
import tarfile
import tempfile
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from tools.render.charts import archive_metadata, find_chart
from tools.render.releases import Release

Obj = dict[str, Any]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]  # base chosen at import: libyaml's loader when built
    """libyaml's safe loader, plus the ``=`` scalar (``tag:yaml.org,2002:value``) some CRDs contain."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))
# Kubernetes reads YAML into JSON: an unquoted date stays a string (as sigs.k8s.io/yaml does).
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

ROOT = Path(__file__).resolve().parents[2]
# Parsed documents by content hash: the CRDs of kube-prometheus-stack, tigera-operator and
# external-secrets are ~10 MB of YAML that is the same in every environment and every run, and
# JSON loads ~10x faster than YAML. Safe to delete at any time.
PARSE_CACHE = ROOT / ".work" / "render-cache"
_DOCUMENT = re.compile(r"^---[ \t]*(?:#.*)?$", re.MULTILINE)
_parsed: dict[str, Any] = {}
_parsed_lock = threading.Lock()


def parse_document(text: str) -> Any:
    """One YAML document, through the in-process and on-disk caches."""
    body = "\n".join(line for line in text.strip().splitlines() if not line.startswith("# Source:"))
    if not body.strip():
        return None
    key = hashlib.sha256(body.encode()).hexdigest()
    with _parsed_lock:
        if key in _parsed:
            return copy.deepcopy(_parsed[key]) if len(body) < 4096 else _parsed[key]
    path = PARSE_CACHE / key[:2] / f"{key}.json"
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        value = yaml.load(body, Loader=_Loader)
        if len(body) > 20_000:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}")
                partial.write_text(json.dumps(value), encoding="utf-8")
                partial.replace(path)
            except (OSError, TypeError, ValueError):
                pass
    with _parsed_lock:
        _parsed[key] = value
    return copy.deepcopy(value) if len(body) < 4096 else value


class RenderError(Exception):
    """``helm template`` failed for a release (the message carries Helm's error)."""


@dataclass(frozen=True)
class Rendered:
    release: Release
    chart_path: Path
    manifest: str
    objects: tuple[Obj, ...]


def kube_version(cluster_version: str) -> str:
    return f"{cluster_version}.0" if cluster_version.count(".") == 1 else cluster_version


def chart_path(release: Release, chart_dirs: list[Path]) -> Path:
    if release.version is None:
        assert release.local_chart is not None
        return release.local_chart
    return find_chart(release.chart, release.version, chart_dirs)


def check_archive_version(release: Release, path: Path) -> str | None:
    """A problem when the archive found for a release is another chart or version than pinned."""
    if release.version is None:
        return None
    meta = archive_metadata(path)
    if (meta.get("name"), str(meta.get("version"))) != (release.chart, release.version):
        return f"{path}: Chart.yaml says {meta.get('name')} {meta.get('version')}, the release pins {release.chart} {release.version}"
    return None


def parse_objects(manifest: str) -> list[Obj]:
    """Non-empty documents of a rendered manifest; ``kind: List`` expanded into its items."""
    objects: list[Obj] = []
    for doc in map(parse_document, _DOCUMENT.split(manifest)):
        if not isinstance(doc, dict) or not doc:
            continue
        if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
            objects.extend(item for item in doc["items"] if isinstance(item, dict))
        else:
            objects.append(doc)
    return objects


@functools.lru_cache(maxsize=64)
def _archive_facts(path: Path) -> tuple[tuple[str, ...], bool]:
    """(api versions of the CRDs in the chart's and subcharts' ``crds/``, templates ask for API versions)."""
    versions: set[str] = set()
    asks = False
    if path.is_dir():
        return (), True
    with tarfile.open(path) as tgz:
        for member in tgz:
            if not member.isfile():
                continue
            parts = member.name.split("/")
            if len(parts) > 2 and parts[-2] == "crds" and "templates" not in parts and parts[-1].endswith((".yaml", ".yml", ".json")):
                handle = tgz.extractfile(member)
                if handle is not None:  # crds/ is plain YAML: Helm never templates it
                    for text in _DOCUMENT.split(handle.read().decode("utf-8")):
                        versions.update(crd_api_versions(parse_document(text)))
            elif "templates" in parts and not asks:
                handle = tgz.extractfile(member)
                asks = handle is not None and b"APIVersions" in handle.read()
    return tuple(sorted(versions)), asks


def chart_crds_dir_apis(path: Path) -> frozenset[str]:
    """``group/version`` and ``group/version/Kind`` of the CRDs in a chart's (and subcharts') ``crds/``:
    what Helm installs before it builds the release's templates (none for a local chart directory)."""
    return frozenset(_archive_facts(path)[0]) if path.is_file() else frozenset()


def crd_api_versions(obj: Any) -> list[str]:
    """``group/version`` and ``group/version/Kind`` for every served version of a CRD object."""
    if not isinstance(obj, dict) or obj.get("kind") != "CustomResourceDefinition":
        return []
    spec = obj.get("spec") or {}
    group, kind = spec.get("group"), (spec.get("names") or {}).get("kind")
    out = []
    for version in spec.get("versions") or []:
        if version.get("served", True):
            out += [f"{group}/{version['name']}", f"{group}/{version['name']}/{kind}"]
    return out


def helm_template(helm: Path, release: Release, chart: Path, *, kube: str, api_versions: Iterable[str]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", encoding="utf-8") as values:
        yaml.safe_dump(release.values, values, sort_keys=True)
        values.flush()
        cmd = [
            str(helm),
            "template",
            release.name,
            str(chart),
            "--namespace",
            release.namespace,
            "--kube-version",
            kube,
            *(() if release.skip_crds else ("--include-crds",)),
            "--values",
            values.name,
        ]
        for api in sorted(set(api_versions)):
            cmd += ["--api-versions", api]
        env = {k: v for k, v in os.environ.items() if not k.startswith("HELM_")}
        home = Path(tempfile.gettempdir()) / "platform-render-helm"
        env.update(HELM_CACHE_HOME=str(home / "cache"), HELM_CONFIG_HOME=str(home / "config"), HELM_DATA_HOME=str(home / "data"))
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, env=env)
    if proc.returncode != 0:
        raise RenderError(f"{release.name} ({release.chart} {release.version or 'local'}): {proc.stderr.strip()}")
    return proc.stdout


def render_releases(helm: Path, releases: Sequence[Release], chart_dirs: list[Path], *, cluster_version: str, workers: int | None = None) -> list[Rendered]:
    """Render every release (in parallel, one Helm per core); results in the order given."""
    kube = kube_version(cluster_version)
    charts = {r.address: chart_path(r, chart_dirs) for r in releases}
    static: set[str] = set()
    for path in charts.values():
        static.update(_archive_facts(path)[0])
    workers = workers or os.cpu_count() or 2

    def one(release: Release, apis: frozenset[str]) -> Rendered:
        manifest = helm_template(helm, release, charts[release.address], kube=kube, api_versions=apis)
        return Rendered(release, charts[release.address], manifest, tuple(parse_objects(manifest)))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        apis = frozenset(static)
        done = list(pool.map(lambda r: one(r, apis), releases))
        rendered_crds = {v for item in done for obj in item.objects for v in crd_api_versions(obj)}
        if rendered_crds - apis:
            apis = apis | rendered_crds
            again = [i for i, item in enumerate(done) if _archive_facts(item.chart_path)[1]]
            for i, item in zip(again, pool.map(lambda i: one(done[i].release, apis), again), strict=False):
                done[i] = item
    return done
