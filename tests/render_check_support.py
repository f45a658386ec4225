"""Hand-built inputs for the render checks' unit tests (tests/test_render_check_*.py): an
environment from a shipped file with the sections a test depends on written out in the test, and
releases holding a few manifest dicts. No synth, no Helm: the checks are pure functions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from environments import ENVIRONMENTS_DIR, EnvironmentConfig
from tools.render.checks.base import Context
from tools.render.releases import Release, Synthesized
from tools.render.render import Rendered

Obj = dict[str, Any]


def environment(base: str, change: Callable[[dict[str, Any]], None] = lambda d: None) -> EnvironmentConfig:
    """``environments/<base>.yaml`` with ``change`` applied, validated as the loader does."""
    raw = copy.deepcopy(yaml.safe_load((ENVIRONMENTS_DIR / f"{base}.yaml").read_text()))
    change(raw)
    return EnvironmentConfig.model_validate(raw)


def release(name: str, namespace: str, *objects: Obj, depends_on: tuple[str, ...] = ()) -> Rendered:
    rel = Release(
        address=f"helm_release.{name}", name=name, namespace=namespace, chart=name, version="1.0.0", repository=None, values={}, depends_on=depends_on
    )
    return Rendered(rel, Path(f"{name}-1.0.0.tgz"), "", tuple(objects))


def context(env: EnvironmentConfig, *rendered: Rendered, synth: Synthesized | None = None) -> Context:
    return Context(env, tuple(rendered), synth)


def meta(name: str, namespace: str | None = None, **extra: Any) -> Obj:
    out: Obj = {"name": name, **extra}
    if namespace is not None:
        out["namespace"] = namespace
    return out


def container(cpu: str | None = None, memory: str | None = None, name: str = "main") -> Obj:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    return {"name": name, "image": "registry.example/app:1", "resources": {"requests": requests}}


def workload(
    kind: str,
    name: str,
    namespace: str | None = None,
    *,
    replicas: int | None = None,
    labels: dict[str, str] | None = None,
    containers: list[Obj] | None = None,
    **pod: Any,
) -> Obj:
    """A Deployment/StatefulSet/DaemonSet/Job whose pod template has ``labels`` and ``pod`` fields."""
    labels = labels or {"app": name}
    spec: Obj = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": containers or [container("10m", "16Mi")], **pod}},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    api = "batch/v1" if kind == "Job" else "apps/v1"
    return {"apiVersion": api, "kind": kind, "metadata": meta(name, namespace), "spec": spec}


def messages(findings: list[Any]) -> list[str]:
    return [f.message for f in findings]


def located(findings: list[Any]) -> list[tuple[str, str, str, str, str]]:
    """(release, kind, namespace, name, message) of each finding: what it names, not only what it says."""
    return [(f.release, f.kind, f.namespace, f.name, f.message) for f in findings]
