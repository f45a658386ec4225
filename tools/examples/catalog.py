"""The examples of ``examples/``: one folder each with ``example.yaml`` (what it is and what it needs)
and either ``manifests.yaml`` or a Helm chart (``chart:``). Both may use ``${VARIABLE}`` placeholders (``$$`` for a literal ``$``)
that ``tools/examples/variables.py`` fills in for an environment.

``example.yaml`` fields: ``lab`` (the lab section), ``shows`` (one line), ``needs_addons`` (add-ons
that must be enabled), ``needs`` (``spot``, ``fargate``, ``efs``), ``namespace`` (``team`` or
``fargate``), ``chart`` (a chart folder), ``reach`` (NetworkPolicy promises), ``smoke`` (what
``make smoke`` checks on a cluster).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "examples"
NEEDS = frozenset({"spot", "fargate", "efs"})
SMOKE_KINDS = frozenset({"rollout", "ingress", "hpa", "job", "pvc", "service", "externalsecret", "can_i"})
FIELDS = frozenset({"lab", "shows", "needs_addons", "needs", "namespace", "chart", "reach", "smoke"})


class ExampleError(ValueError):
    """An example folder that cannot be read: the message names the file and field."""


@dataclass(frozen=True)
class Example:
    name: str
    path: Path
    lab: str
    shows: str
    needs_addons: tuple[str, ...]
    needs: tuple[str, ...]
    namespace: str
    chart: Path | None
    reach: tuple[dict[str, Any], ...]
    smoke: tuple[dict[str, str], ...]


def shown(path: Path) -> Path:
    """A path as a message shows it: relative to the repository when inside it."""
    path = path.resolve()
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def load_example(path: Path) -> Example:
    meta_file = path / "example.yaml"
    where = shown(meta_file)
    try:
        meta = yaml.safe_load(meta_file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ExampleError(f"{where}: cannot read: {exc}") from exc
    if not isinstance(meta, dict):
        raise ExampleError(f"{where}: expected a mapping")
    unknown = sorted(set(meta) - FIELDS)
    if unknown:
        raise ExampleError(f"{where}: unknown field(s) {unknown}; known: {sorted(FIELDS)}")
    for key in ("lab", "shows"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise ExampleError(f"{where}: {key}: a non-empty line is required")
    needs = tuple(meta.get("needs") or ())
    bad = [n for n in needs if n not in NEEDS]
    if bad:
        raise ExampleError(f"{where}: needs: {bad} unknown; one of {sorted(NEEDS)}")
    namespace = meta.get("namespace", "team")
    if namespace not in ("team", "fargate"):
        raise ExampleError(f"{where}: namespace: {namespace!r}; one of team, fargate")
    chart = path / meta["chart"] if meta.get("chart") else None
    if chart is not None and not (chart / "Chart.yaml").is_file():
        raise ExampleError(f"{where}: chart: {meta['chart']!r} has no Chart.yaml")
    if chart is None and not (path / "manifests.yaml").is_file():
        raise ExampleError(f"{where}: no manifests.yaml and no chart:")
    smoke = tuple(meta.get("smoke") or ())
    for i, step in enumerate(smoke):
        if not isinstance(step, dict) or len(step) != 1 or next(iter(step)) not in SMOKE_KINDS:
            raise ExampleError(f"{where}: smoke.{i}: one of {sorted(SMOKE_KINDS)} with its target, got {step!r}")
    for i, promise in enumerate(meta.get("reach") or ()):
        if not isinstance(promise, dict) or not {"from", "to", "port", "allowed"} <= set(promise):
            raise ExampleError(f"{where}: reach.{i}: needs from, to, port, allowed")
    return Example(
        name=path.name,
        path=path,
        lab=meta["lab"].strip(),
        shows=meta["shows"].strip(),
        needs_addons=tuple(meta.get("needs_addons") or ()),
        needs=needs,
        namespace=namespace,
        chart=chart,
        reach=tuple(meta.get("reach") or ()),
        smoke=smoke,
    )


def load_examples(directory: Path = EXAMPLES_DIR) -> list[Example]:
    return [load_example(p) for p in sorted(directory.iterdir()) if (p / "example.yaml").is_file()]
