"""``make charts``: fetch every pinned chart archive into the cache, sha256-checked. Where an archive
is looked for (an explicit directory, then that cache) is catalog/chart_archives.py; an archive is
``<chart>-<version>.tgz`` and its ``Chart.yaml`` must say the same name and version.

The reviewed archives are in the repository (``reference/packaged/*.tgz``): a chart found there is
copied from there, so a clone needs neither network nor a mirror. A copy there that fails its pin is
an error, never a reason to look elsewhere. Only a pinned chart with no copy there is fetched:

    python -m tools.render.charts fetch                  # helm pull from each chart's repository
    python -m tools.render.charts fetch --mirror DIR|URL # copy/download <chart>-<version>.tgz from a mirror
    python -m tools.render.charts fetch --into DIR       # fill another cache than .work/charts

Every archive is checked before it enters the cache: it is accepted when its sha256 is in
``reference/packaged/SHA256SUMS`` (the bytes of the archives the tests were reviewed against,
recorded in ``reference/packaged/SOURCES.md``) or its content digest is in
``reference/packaged/CONTENT-SHA256SUMS`` (the same files with the same bytes, however they were
packed: tools/render/chart_digest.py). Anything else is refused and never used.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from catalog.chart_archives import CACHE, ChartMissing, find_chart, search_dirs
from tools.render.chart_digest import UnsafeArchive, content_digest

ROOT = Path(__file__).resolve().parents[2]
VENDORED = ROOT / "reference" / "packaged"
PINS = VENDORED / "SHA256SUMS"
CONTENT_PINS = VENDORED / "CONTENT-SHA256SUMS"

__all__ = [
    "CACHE",
    "CONTENT_PINS",
    "PINS",
    "VENDORED",
    "ChartMissing",
    "FetchFailed",
    "archive_metadata",
    "fetch",
    "find_chart",
    "pinned_charts",
    "search_dirs",
]


class FetchFailed(Exception):
    """An archive could not be fetched, or its digest is not a pinned one (one line saying what to do)."""


@dataclass(frozen=True)
class Wanted:
    name: str
    version: str
    repository: str

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}.tgz"


def archive_metadata(path: Path) -> dict:
    """The top-level ``Chart.yaml`` of a ``helm package`` archive."""
    import tarfile

    with tarfile.open(path) as tgz:
        for member in tgz:
            parts = member.name.split("/")
            if len(parts) == 2 and parts[1] == "Chart.yaml":
                handle = tgz.extractfile(member)
                assert handle is not None
                return yaml.safe_load(handle.read())
    raise ChartMissing(f"{path}: no <chart>/Chart.yaml inside")


def read_pins(path: Path = PINS) -> dict[str, set[str]]:
    """``sha256sum`` format, one ``<digest>  <file>`` a line; a file may have several accepted digests."""
    pins: dict[str, set[str]] = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, _, name = line.partition("  ")
        if len(digest) != 64 or not name:
            raise FetchFailed(f"{path}:{number}: expected '<sha256>  <file>', got {line!r}")
        pins.setdefault(name.strip(), set()).add(digest.lower())
    return pins


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pinned_charts() -> list[Wanted]:
    from catalog.addons.registry import ADDONS
    from catalog.karpenter.addon import Karpenter, KarpenterCrd

    return [Wanted(a.chart.name, a.chart.version, a.chart.repository) for a in (*ADDONS, KarpenterCrd(), Karpenter())]


def _download(chart: Wanted, mirror: str | None, into: Path) -> Path:
    target = into / chart.filename
    if mirror and "://" not in mirror:
        source = Path(mirror) / chart.filename
        if not source.is_file():
            raise FetchFailed(f"{chart.filename}: not in the mirror {mirror}: put it there or run `make charts` without CHARTS_MIRROR (network)")
        shutil.copyfile(source, target)
    elif mirror:
        url = f"{mirror.rstrip('/')}/{chart.filename}"
        try:
            with urllib.request.urlopen(url, timeout=120) as response, target.open("wb") as out:
                shutil.copyfileobj(response, out)
        except OSError as exc:
            raise FetchFailed(f"{chart.filename}: cannot download {url} ({exc}): check the network or CHARTS_MIRROR") from exc
    else:
        from tools.render.helm import HelmMissing, find_helm

        try:
            helm = str(find_helm())
        except HelmMissing as exc:
            raise FetchFailed(f"{chart.filename}: not in {VENDORED}, and no helm to pull it from {chart.repository} ({exc}): run `make helm` first") from exc
        ref = [f"{chart.repository}/{chart.name}"] if chart.repository.startswith("oci://") else [chart.name, "--repo", chart.repository]
        proc = subprocess.run([helm, "pull", *ref, "--version", chart.version, "-d", str(into)], capture_output=True, text=True, timeout=300, check=False)
        if proc.returncode != 0 or not target.is_file():
            last = (proc.stderr.strip().splitlines() or ["no archive written"])[-1]
            raise FetchFailed(f"{chart.filename}: helm pull from {chart.repository} failed ({last}): check the network, or set CHARTS_MIRROR=<dir or URL>")
    return target


def _refusal(path: Path, accepted: set[str], contents: set[str]) -> str | None:
    """None when ``path`` has a pinned byte digest or a pinned content digest, else why it is refused."""
    digest = sha256(path)
    if digest in accepted:
        return None
    try:
        content = content_digest(path)
    except UnsafeArchive as exc:
        return f"sha256 {digest} is not a pinned one and no content digest can be taken ({exc}): refused"
    if content in contents:
        return None
    pinned = " or ".join(sorted(accepted | contents))
    return f"sha256 {digest} (content {content}) is not the pinned {pinned}: refused"


def fetch(
    charts: Iterable[Wanted],
    dest: Path = CACHE,
    mirror: str | None = None,
    pins_file: Path = PINS,
    content_pins_file: Path = CONTENT_PINS,
    vendored: Path = VENDORED,
) -> list[str]:
    """Fetch every chart not already in ``dest`` with a pinned digest, from ``vendored`` when it holds
    the archive, else from the mirror or the chart's repository; returns one error line per failure."""
    pins = read_pins(pins_file)
    content_pins = read_pins(content_pins_file) if content_pins_file.is_file() else {}
    dest.mkdir(parents=True, exist_ok=True)
    charts = list(charts)
    errors: list[str] = []
    for index, chart in enumerate(charts, 1):
        accepted, contents = pins.get(chart.filename, set()), content_pins.get(chart.filename, set())
        if not accepted and not contents:
            errors.append(f"{chart.filename}: no pinned sha256 in {pins_file} or {content_pins_file}: add the digests of the reviewed archive there")
            continue
        final = dest / chart.filename
        if final.is_file() and _refusal(final, accepted, contents) is None:
            print(f"[{index}/{len(charts)}] {chart.filename}: already verified", flush=True)
            continue
        copy = vendored / chart.filename
        if copy.is_file():
            refusal = _refusal(copy, accepted, contents)
            if refusal is not None:
                errors.append(f"{copy}: {refusal}; this copy in the repository was changed: restore it (git checkout -- {copy.name})")
                continue
            print(f"[{index}/{len(charts)}] {chart.filename}: verified copy from {vendored}", flush=True)
            with tempfile.TemporaryDirectory(dir=dest) as scratch:
                shutil.copyfile(copy, Path(scratch) / chart.filename)
                os.replace(Path(scratch) / chart.filename, final)
            continue
        print(f"[{index}/{len(charts)}] {chart.filename}: fetching from {mirror or chart.repository}", flush=True)
        with tempfile.TemporaryDirectory(dir=dest) as scratch:
            try:
                got = _download(chart, mirror, Path(scratch))
            except FetchFailed as exc:
                errors.append(str(exc))
                continue
            refusal = _refusal(got, accepted, contents)
            if refusal is not None:
                errors.append(
                    f"{chart.filename}: {refusal}; compare it with the reviewed archive before adding its digests to {pins_file} and {content_pins_file}"
                )
                continue
            os.replace(got, final)
    return errors


def main(argv: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m tools.render.charts", description="Fetch every pinned chart archive, checked against its pinned archive or content sha256."
    )
    parser.add_argument("command", choices=["fetch"])
    parser.add_argument("--mirror", default="", help="a directory or https base URL holding <chart>-<version>.tgz (default: each chart's repository)")
    parser.add_argument("--into", type=Path, default=CACHE, help=f"the cache to fill (default {CACHE})")
    parser.add_argument("--vendored", type=Path, default=VENDORED, help=f"the reviewed archives taken first (default {VENDORED})")
    args = parser.parse_args(argv)
    try:
        errors = fetch(pinned_charts(), args.into, args.mirror or None, vendored=args.vendored)
    except FetchFailed as exc:
        errors = [str(exc)]
    for line in errors:
        print(f"error: {line}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
