"""Where the archive of a pinned chart is found: the one search order of synth (CRD releases) and
of the render and review tools.

Order: an explicit directory (``--charts DIR`` or ``$PLATFORM_CHARTS_DIR``), then the cache
``make charts`` fills (``.work/charts``, each archive checked against
reference/packaged/SHA256SUMS). An archive is ``<chart>-<version>.tgz``.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".work" / "charts"


class ChartMissing(Exception):
    """No archive of a chart version in any search directory (the message lists where it looked)."""


def search_dirs(explicit: Path | str | None = None) -> list[Path]:
    chosen = explicit or os.environ.get("PLATFORM_CHARTS_DIR")
    return [*([Path(chosen)] if chosen else []), CACHE]


def find_chart(name: str, version: str, dirs: list[Path]) -> Path:
    for directory in dirs:
        path = directory / f"{name}-{version}.tgz"
        if path.is_file():
            return path
    looked = ", ".join(str(d) for d in dirs)
    raise ChartMissing(f"no archive {name}-{version}.tgz in {looked}: run `make charts` (copies them from reference/packaged, no network)")
