"""Storage: exactly one default StorageClass, and every claim names a class that exists.

Claims are PersistentVolumeClaims, StatefulSet ``volumeClaimTemplates`` and the
``volumeClaimTemplate`` of custom resources (Prometheus, Alertmanager storage). A claim without
``storageClassName`` needs the default class; ``""`` asks for no class (static binding).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tools.render.checks.base import Context, Finding, Obj, name_of

DEFAULT_ANNOTATIONS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def is_default(storage_class: Obj) -> bool:
    annotations = (storage_class.get("metadata") or {}).get("annotations") or {}
    return any(str(annotations.get(a, "")).lower() == "true" for a in DEFAULT_ANNOTATIONS)


def claims(obj: Obj) -> Iterator[tuple[str, Any]]:
    """(where, storageClassName or None) of every claim an object makes."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "PersistentVolumeClaim":
        yield "spec", spec.get("storageClassName")
    elif kind == "StatefulSet":
        for i, template in enumerate(spec.get("volumeClaimTemplates") or []):
            yield f"volumeClaimTemplates[{i}] {name_of(template)}", (template.get("spec") or {}).get("storageClassName")
    elif "." in obj.get("apiVersion", "").split("/")[0]:
        yield from _nested(spec, "spec")


def _nested(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "volumeClaimTemplate" and isinstance(value, dict):
                yield f"{path}.{key}", (value.get("spec") or {}).get("storageClassName")
            else:
                yield from _nested(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _nested(value, f"{path}[{i}]")


def check(ctx: Context) -> list[Finding]:
    findings: list[Finding] = []
    classes = {name_of(o): (item, o) for item, o in ctx.objects() if o.get("kind") == "StorageClass"}
    defaults = sorted(n for n, (_, o) in classes.items() if is_default(o))
    if len(defaults) > 1:
        for name in defaults:
            item, obj = classes[name]
            findings.append(
                ctx.finding(item, obj, f"one of {len(defaults)} default StorageClasses ({', '.join(defaults)}): claims without a class get an arbitrary one")
            )
    for item, obj in ctx.objects():
        for where, cls in claims(obj):
            if cls == "":
                continue
            if cls is None and not defaults:
                findings.append(ctx.finding(item, obj, f"{where}: claim names no StorageClass and the environment renders no default one"))
            elif cls is not None and cls not in classes:
                findings.append(
                    ctx.finding(item, obj, f"{where}: StorageClass {cls!r} is not rendered in this environment (have: {', '.join(sorted(classes)) or 'none'})")
                )
    return findings
