"""The repository stands on its own: what the tests read is vendored (``reference/``) with its
sha256, or fetched by ``make charts`` against a pinned sha256 (reference/README.md)."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tarfile

import pytest
import yaml

from tests.conftest import ROOT, chart_archive
from tools.render.charts import CONTENT_PINS, PINS, pinned_charts, read_pins

REFERENCE = ROOT / "reference"


def test_vendored_files_match_their_recorded_sha256() -> None:
    """Checked by coreutils' ``sha256sum -c``, not by the project's code."""
    sha256sum = shutil.which("sha256sum")
    if sha256sum is None:
        pytest.skip("sha256sum (coreutils) not installed")
    proc = subprocess.run([sha256sum, "--strict", "-c", "SHA256SUMS"], cwd=REFERENCE, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = {line.split("  ", 1)[1] for line in (REFERENCE / "SHA256SUMS").read_text().splitlines()}
    present = {
        str(p.relative_to(REFERENCE)) for p in REFERENCE.glob("*/**/*") if p.is_file() and p.name not in ("SOURCES.md", "SHA256SUMS", "CONTENT-SHA256SUMS")
    }
    assert present == listed, f"vendored files without a digest: {sorted(present - listed)}"


def test_every_vendored_chart_file_names_its_source() -> None:
    table = (REFERENCE / "charts" / "SOURCES.md").read_text()
    sourced = set(re.findall(r"^\| ([a-z0-9-]+) \| ([\w.-]+) \| https://github\.com/", table, re.M))
    vendored = {(p.parent.name, p.name) for p in (REFERENCE / "charts").glob("*/*") if p.is_file()}
    assert vendored <= sourced, f"no source row in reference/charts/SOURCES.md: {sorted(vendored - sourced)}"
    iam_table = (REFERENCE / "iam" / "SOURCES.md").read_text()
    for path in (REFERENCE / "iam").iterdir():
        if path.name != "SOURCES.md":
            assert f"| {path.name} | https://github.com/" in iam_table, path.name


def test_every_pinned_chart_has_the_digest_its_build_record_gives() -> None:
    """Each chart the catalog pins has a pinned archive digest, equal to the sha256 column of the
    record written when the archive was packaged (reference/packaged/SOURCES.md)."""
    pins = read_pins(PINS)
    record = (REFERENCE / "packaged" / "SOURCES.md").read_text()
    built = {
        f"{name}-{version.split()[0]}.tgz": digest
        for name, version, digest in re.findall(r"^\| ([a-z0-9-]+) \| (v?[\d.]+[^|]*)\|.*?\| ([0-9a-f]{64}) \|", record, re.M)
    }
    for chart in pinned_charts():
        assert chart.filename in pins, f"{chart.filename}: no pinned sha256 in {PINS}"
        assert built.get(chart.filename) in pins[chart.filename], (chart.filename, built.get(chart.filename))


@pytest.mark.parametrize("chart", pinned_charts(), ids=lambda c: c.filename)
def test_every_pinned_chart_has_the_content_digest_coreutils_gives_its_archive(chart, tmp_path) -> None:
    """The content digest (reference/packaged/SOURCES.md) recomputed by GNU tar, find, sort and
    sha256sum over the archive that has the pinned byte digest."""
    if not all(shutil.which(tool) for tool in ("tar", "sha256sum", "xargs", "find")):
        pytest.skip("GNU tar/coreutils not installed")
    archive = chart_archive(chart.name, chart.version)
    assert hashlib.sha256(archive.read_bytes()).hexdigest() in read_pins(PINS)[chart.filename], f"{archive}: not the pinned archive"
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(tmp_path)], check=True)
    script = "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum"
    recipe = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True).stdout.split()[0]
    assert read_pins(CONTENT_PINS).get(chart.filename) == {recipe}, f"{chart.filename}: {CONTENT_PINS} should say {recipe}"


def test_nothing_the_tests_or_tools_read_lies_beside_the_repository() -> None:
    beside = re.compile(r"\.\./shared|ROOT\.parent|parent\s*/\s*[\"']shared[\"']")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("tests", "tools", "catalog", "environments", "modules", "stacks")
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if beside.search(line) and path.name != "test_reference.py"
    ]
    offenders += [f"Makefile:{n}" for n, line in enumerate((ROOT / "Makefile").read_text().splitlines(), 1) if beside.search(line) and not line.startswith("#")]
    assert not offenders, f"reads outside the repository: {offenders}"


def _archive_file(archive, chart: str, name: str) -> bytes | None:
    with tarfile.open(archive) as tgz:
        try:
            handle = tgz.extractfile(f"{chart}/{name}")
        except KeyError:
            return None
        return handle.read() if handle else None


VENDORED_CHARTS = sorted((c for c in pinned_charts() if (REFERENCE / "charts" / c.name).is_dir()), key=lambda c: c.name)


def test_every_vendored_chart_folder_is_a_pinned_chart() -> None:
    assert {c.name for c in VENDORED_CHARTS} == {p.name for p in (REFERENCE / "charts").iterdir() if p.is_dir()}


@pytest.mark.parametrize("chart", VENDORED_CHARTS, ids=lambda c: c.name)
def test_vendored_values_are_those_inside_the_pinned_archive(chart) -> None:
    folder = REFERENCE / "charts" / chart.name
    archive = chart_archive(chart.name, chart.version)
    for name in ("values.yaml", "values.schema.json"):
        vendored = (folder / name).read_bytes() if (folder / name).exists() else None
        packaged = _archive_file(archive, chart.name, name)
        if chart.name == "karpenter" and name == "values.yaml":
            # The release job edits only the image tag and digest (reference/charts/SOURCES.md).
            a, b = yaml.safe_load(vendored or b""), yaml.safe_load(packaged or b"")
            for doc in (a, b):
                doc["controller"]["image"].pop("tag"), doc["controller"]["image"].pop("digest")
            assert a == b
            continue
        assert vendored == packaged, f"reference/charts/{chart.name}/{name} differs from {archive.name}"
