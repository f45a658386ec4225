"""A clone needs neither network nor a mirror for ``make charts``: the reviewed archives are in the
repository (reference/packaged/SOURCES.md), each still checked against its pinned digest."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools.render.charts import Wanted, fetch, pinned_charts

PACKAGED = ROOT / "reference" / "packaged"


def _failing_helm(tmp_path: Path) -> Path:
    """A ``helm`` that fails every call, so that a pull from a chart's repository cannot succeed."""
    helm = tmp_path / "helm"
    helm.write_text("#!/bin/sh\necho 'helm: network unreachable' >&2\nexit 1\n")
    helm.chmod(0o755)
    return helm


def test_every_pinned_chart_comes_from_the_repository_without_mirror_or_network(tmp_path: Path) -> None:
    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        pytest.skip("sha256sum (coreutils) not installed")
    cache = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k not in ("CHARTS_MIRROR", "PLATFORM_CHARTS_DIR")}
    env |= {"HELM": str(_failing_helm(tmp_path)), "https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"}
    proc = subprocess.run(
        [sys.executable, "-m", "tools.render.charts", "fetch", "--into", str(cache)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wanted = sorted(c.filename for c in pinned_charts())
    assert sorted(p.name for p in cache.iterdir() if p.name.endswith(".tgz")) == wanted
    # coreutils, not the project's code, checks each cached archive against its pinned byte digest.
    pins = [line for line in (PACKAGED / "SHA256SUMS").read_text().splitlines() if line.split("  ")[-1] in wanted]
    check = subprocess.run([sha256sum, "--strict", "-c", "-"], cwd=cache, input="\n".join(pins) + "\n", capture_output=True, text=True, check=False)
    assert check.returncode == 0 and check.stdout.count(": OK") == len(wanted), check.stdout + check.stderr


def _with_extra_file(archive: Path, target: Path) -> None:
    """The archive's members plus one more template: what a tampered copy in a clone looks like."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        top = source.getmembers()[0].name.split("/")[0]
        for member in source.getmembers():
            out.addfile(member, source.extractfile(member) if member.isfile() else None)
        body = b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: injected}\n"
        extra = tarfile.TarInfo(f"{top}/templates/injected.yaml")
        extra.size = len(body)
        out.addfile(extra, io.BytesIO(body))


def test_a_tampered_archive_in_the_repository_is_refused_and_nothing_else_is_tried(tmp_path: Path, monkeypatch) -> None:
    chart = next(c for c in pinned_charts() if c.name == "metrics-server")
    vendored, cache = tmp_path / "vendored", tmp_path / "cache"
    vendored.mkdir()
    _with_extra_file(PACKAGED / chart.filename, vendored / chart.filename)
    monkeypatch.setenv("HELM", str(_failing_helm(tmp_path)))
    (error,) = fetch([chart], cache, None, vendored=vendored)
    assert chart.filename in error and "refused" in error and str(vendored / chart.filename) in error
    assert "helm pull" not in error  # a changed copy in the repository is an error, never a reason to go elsewhere
    assert list(cache.iterdir()) == []


def test_an_unvendored_chart_still_goes_to_its_repository(tmp_path: Path, monkeypatch) -> None:
    other = Wanted("demo", "1.2.3", "https://charts.example.invalid")
    pins = tmp_path / "SHA256SUMS"
    pins.write_text(f"{'0' * 64}  {other.filename}\n")
    helm = _failing_helm(tmp_path)
    monkeypatch.setenv("HELM", str(helm))
    (error,) = fetch([other], tmp_path / "cache", None, pins, tmp_path / "none", vendored=tmp_path)
    assert other.filename in error and str(helm) in error and other.repository in error
