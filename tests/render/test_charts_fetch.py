"""``make charts``: every archive is fetched into the cache only with a pinned sha256."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tools.render.charts import Wanted, fetch

CHART = Wanted("demo", "1.2.3", "https://charts.example.invalid")


def _setup(tmp_path: Path, body: bytes, pinned: bytes) -> tuple[Path, Path, Path]:
    mirror, dest = tmp_path / "mirror", tmp_path / "cache"
    mirror.mkdir()
    (mirror / CHART.filename).write_bytes(body)
    pins = tmp_path / "SHA256SUMS"
    pins.write_text(f"{hashlib.sha256(pinned).hexdigest()}  {CHART.filename}\n")
    return mirror, dest, pins


def test_an_archive_with_the_pinned_digest_enters_the_cache_once(tmp_path: Path, capsys) -> None:
    mirror, dest, pins = _setup(tmp_path, b"chart bytes", b"chart bytes")
    assert fetch([CHART], dest, str(mirror), pins) == []
    assert (dest / CHART.filename).read_bytes() == b"chart bytes"
    (mirror / CHART.filename).unlink()  # a second run needs no mirror: the cache is verified
    assert fetch([CHART], dest, str(mirror), pins) == []
    assert "already verified" in capsys.readouterr().out


def test_an_archive_with_another_digest_is_refused_and_never_cached(tmp_path: Path) -> None:
    mirror, dest, pins = _setup(tmp_path, b"tampered", b"chart bytes")
    (errors,) = fetch([CHART], dest, str(mirror), pins)
    assert CHART.filename in errors and hashlib.sha256(b"tampered").hexdigest() in errors and "refused" in errors
    assert not (dest / CHART.filename).exists() and list(dest.iterdir()) == []


def test_a_cached_archive_that_changed_is_fetched_again(tmp_path: Path) -> None:
    mirror, dest, pins = _setup(tmp_path, b"chart bytes", b"chart bytes")
    dest.mkdir()
    (dest / CHART.filename).write_bytes(b"edited in place")
    assert fetch([CHART], dest, str(mirror), pins) == []
    assert (dest / CHART.filename).read_bytes() == b"chart bytes"


def test_a_chart_without_a_pin_is_refused(tmp_path: Path) -> None:
    mirror, dest, pins = _setup(tmp_path, b"x", b"x")
    other = Wanted("other", "0.1.0", CHART.repository)
    (mirror / other.filename).write_bytes(b"x")
    (errors,) = fetch([other], dest, str(mirror), pins)
    assert "no pinned sha256" in errors and not (dest / other.filename).exists()


def test_the_command_fails_with_one_line_saying_what_to_do(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.render.charts",
            "fetch",
            "--mirror",
            str(tmp_path / "nowhere"),
            "--into",
            str(tmp_path / "cache"),
            "--vendored",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert lines and all(line.startswith("error: ") and "not in the mirror" in line for line in lines), proc.stderr
