"""``make charts`` accepts an archive by its content: the same files with the same bytes, however
they were packed, pass; a changed, added or linked file is refused.

The expected digests come from coreutils and GNU tar, not from the project's code: the content
digest is ``sha256sum`` over the ``sha256sum`` listing of the unpacked files in path order
(tools/render/chart_digest.py), and the repacked archives are written by GNU tar and gzip."""

from __future__ import annotations

import gzip
import hashlib
import io
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from tools.render.charts import Wanted, fetch

CHART = Wanted("demo", "1.2.3", "https://charts.example.invalid")
FILES = {
    "demo/Chart.yaml": b"apiVersion: v2\nname: demo\nversion: 1.2.3\n",
    "demo/values.yaml": b"replicas: 2\n",
    "demo/templates/deployment.yaml": b"kind: Deployment\nspec:\n  replicas: {{ .Values.replicas }}\n",
}

needs_gnu_tools = pytest.mark.skipif(not all(shutil.which(t) for t in ("tar", "gzip", "sha256sum", "xargs", "find")), reason="GNU tar/coreutils not installed")


def coreutils_content_digest(archive: Path, scratch: Path) -> str:
    """The documented recipe, run by GNU tar, find, sort and sha256sum."""
    scratch.mkdir()
    subprocess.run(["tar", "-xzf", str(archive), "-C", str(scratch)], check=True)
    script = "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum"
    out = subprocess.run(["sh", "-c", script], cwd=scratch, capture_output=True, text=True, check=True).stdout
    return out.split()[0]


def python_pack(path: Path, files: dict[str, bytes], mtime: int = 1_600_000_000) -> None:
    """A ``helm package``-like archive: members in the given order, one mtime, gzip level 9."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(body), mtime, 0o644
            tar.addfile(info, io.BytesIO(body))
    path.write_bytes(gzip.compress(buffer.getvalue(), compresslevel=9, mtime=mtime))


def gnu_repack(original: Path, out: Path, scratch: Path) -> None:
    """The same files unpacked and packed again by GNU tar: other mtimes, member order, format and gzip level."""
    scratch.mkdir()
    subprocess.run(["tar", "-xzf", str(original), "-C", str(scratch)], check=True)
    names = sorted((str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file()), reverse=True)
    tar = subprocess.run(
        ["tar", "--format=gnu", "--mtime=@2000000000", "--owner=0", "--group=0", "-cf", "-", *names], cwd=scratch, capture_output=True, check=True
    ).stdout
    out.write_bytes(subprocess.run(["gzip", "-1", "-c"], input=tar, capture_output=True, check=True).stdout)


def _pin(tmp_path: Path, reviewed: Path) -> tuple[Path, Path]:
    pins, contents = tmp_path / "SHA256SUMS", tmp_path / "CONTENT-SHA256SUMS"
    pins.write_text(f"{hashlib.sha256(reviewed.read_bytes()).hexdigest()}  {CHART.filename}\n")
    contents.write_text(f"{coreutils_content_digest(reviewed, tmp_path / 'unpacked-reviewed')}  {CHART.filename}\n")
    return pins, contents


def _mirror(tmp_path: Path) -> tuple[Path, Path, Path]:
    mirror, dest = tmp_path / "mirror", tmp_path / "cache"
    mirror.mkdir()
    reviewed = tmp_path / "reviewed.tgz"
    python_pack(reviewed, FILES)
    return mirror, dest, reviewed


@needs_gnu_tools
def test_the_same_files_repacked_with_other_timestamps_order_and_gzip_level_are_accepted(tmp_path: Path) -> None:
    mirror, dest, reviewed = _mirror(tmp_path)
    pins, contents = _pin(tmp_path, reviewed)
    gnu_repack(reviewed, mirror / CHART.filename, tmp_path / "repack")
    repacked = (mirror / CHART.filename).read_bytes()
    assert repacked != reviewed.read_bytes()  # the byte digest alone would refuse it
    assert fetch([CHART], dest, str(mirror), pins, contents) == []
    assert (dest / CHART.filename).read_bytes() == repacked


@needs_gnu_tools
def test_a_tampered_file_in_an_otherwise_identical_archive_is_refused(tmp_path: Path) -> None:
    mirror, dest, reviewed = _mirror(tmp_path)
    pins, contents = _pin(tmp_path, reviewed)
    tampered = dict(FILES, **{"demo/values.yaml": b"replicas: 9\n"})  # same size, same place, same mtime
    python_pack(mirror / CHART.filename, tampered)
    (error,) = fetch([CHART], dest, str(mirror), pins, contents)
    assert CHART.filename in error and "refused" in error
    assert coreutils_content_digest(mirror / CHART.filename, tmp_path / "unpacked-tampered") in error
    assert list(dest.iterdir()) == []


@needs_gnu_tools
@pytest.mark.parametrize(
    "files",
    [
        pytest.param(dict(FILES, **{"demo/RELEASE.md": b"notes\n"}), id="a file added"),
        pytest.param({k: v for k, v in FILES.items() if k != "demo/values.yaml"}, id="a file dropped"),
        pytest.param({k.replace("values.yaml", "values.yml"): v for k, v in FILES.items()}, id="a file renamed"),
    ],
)
def test_another_file_list_is_refused(tmp_path: Path, files: dict[str, bytes]) -> None:
    mirror, dest, reviewed = _mirror(tmp_path)
    pins, contents = _pin(tmp_path, reviewed)
    python_pack(mirror / CHART.filename, files)
    (error,) = fetch([CHART], dest, str(mirror), pins, contents)
    assert "refused" in error and list(dest.iterdir()) == []


@needs_gnu_tools
def test_an_archive_with_a_link_is_refused_even_if_its_regular_files_match(tmp_path: Path) -> None:
    mirror, dest, reviewed = _mirror(tmp_path)
    pins, contents = _pin(tmp_path, reviewed)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, body in FILES.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        link = tarfile.TarInfo("demo/templates/secret.yaml")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    (mirror / CHART.filename).write_bytes(gzip.compress(buffer.getvalue()))
    (error,) = fetch([CHART], dest, str(mirror), pins, contents)
    assert "not a regular file" in error and "refused" in error and list(dest.iterdir()) == []
