"""The archive of a pinned chart (search order: catalog/chart_archives.py), and ``make charts`` (``helm pull`` into the cache).

Order: an explicit directory (``--charts DIR`` or ``$PLATFORM_CHARTS_DIR``), then the cache
``make charts`` fills (``.work/charts``), then ``../shared/reference/packaged`` beside the
repository (every pinned chart packaged from its release commit, see its SOURCES.md). An archive is
``<chart>-<version>.tgz``; its ``Chart.yaml`` must say the same name and version.

    python -m tools.render.charts pull   # needs network: helm pull of every add-on's pinned chart
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import yaml

from catalog.chart_archives import CACHE, REFERENCE, ChartMissing, find_chart, search_dirs

__all__ = ["CACHE", "REFERENCE", "ChartMissing", "archive_metadata", "find_chart", "pull_all", "search_dirs"]

ROOT = Path(__file__).resolve().parents[2]


def archive_metadata(path: Path) -> dict:
    """The top-level ``Chart.yaml`` of a ``helm package`` archive."""
    with tarfile.open(path) as tgz:
        for member in tgz:
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] == "Chart.yaml":
                handle = tgz.extractfile(member)
                assert handle is not None
                return yaml.safe_load(handle.read())
    raise ChartMissing(f"{path}: no <chart>/Chart.yaml inside")


def pull_all(dest: Path = CACHE) -> int:
    """``helm pull`` each add-on's pinned chart (name, repository, version from the registry)."""
    from catalog.addons.registry import ADDONS
    from tools.render.helm import HelmMissing, find_helm

    try:
        helm = find_helm()
    except HelmMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    dest.mkdir(parents=True, exist_ok=True)
    failed = 0
    for addon in ADDONS:
        chart = addon.chart
        if (dest / f"{chart.name}-{chart.version}.tgz").is_file():
            continue
        if chart.repository.startswith("oci://"):
            cmd = [str(helm), "pull", f"{chart.repository}/{chart.name}", "--version", chart.version, "-d", str(dest)]
        else:
            cmd = [str(helm), "pull", chart.name, "--repo", chart.repository, "--version", chart.version, "-d", str(dest)]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode != 0:
            failed += 1
            print(f"error: {chart.name} {chart.version} from {chart.repository}: {proc.stderr.strip()}", file=sys.stderr)
        else:
            print(f"{dest / f'{chart.name}-{chart.version}.tgz'}")
    return 1 if failed else 0


if __name__ == "__main__":
    if sys.argv[1:] != ["pull"]:
        print("usage: python -m tools.render.charts pull", file=sys.stderr)
        sys.exit(2)
    sys.exit(pull_all())
