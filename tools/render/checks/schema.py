"""Strict schema validity at the environment's Kubernetes version.

Built-in kinds: the strict JSON schemas of ``kubernetes-validate`` (1.37.0: Kubernetes 1.25-1.37),
the version directory chosen as that library does (the newest not newer than the cluster's). An
``apiVersion``/``kind`` without a schema at that version is an API the cluster does not serve.
Objects of CRDs: the ``openAPIV3Schema`` of the served version of the CRD rendered in the
environment's charts, made strict the way the API server prunes (an object schema with
``properties`` and neither ``additionalProperties`` nor ``x-kubernetes-preserve-unknown-fields``
admits no other field), checked with ``jsonschema``.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

import importlib_resources
import jsonschema
from kubernetes_validate.utils import all_versions, major_minor
from referencing import Registry, Resource

from tools.render.checks.base import Context, Finding, Obj

_MAX_ERRORS = 3


def _builtin_group(api_version: str) -> bool:
    group = api_version.rpartition("/")[0]
    return group == "" or "." not in group or group.endswith(".k8s.io")


def schema_version(cluster_version: str) -> str:
    """The kubernetes-validate schema version used for a cluster version (its own rule)."""
    wanted = major_minor(cluster_version)
    return [v for v in all_versions() if major_minor(v) <= wanted][-1]


@functools.cache
def _definitions(version: str) -> Registry:
    root = importlib_resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{version}-local-strict")
    defs = json.loads(root.joinpath("_definitions.json").read_text(encoding="utf-8"))
    return Resource.from_contents(defs) @ Registry()


@functools.cache
def builtin_validator(version: str, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
    """The strict validator of a built-in kind at a schema version (None: not served there)."""
    root = importlib_resources.files("kubernetes_validate").joinpath("kubernetes-json-schema", f"v{version}-local-strict")
    short = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = root.joinpath(f"{kind.lower()}-{short}.json")
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    registry = Resource.from_contents(schema) @ _definitions(version)
    return jsonschema.Draft202012Validator(schema, registry=registry)


def strict_schema(schema: Any) -> Any:
    """A CRD's openAPIV3Schema with unknown fields rejected where the API server would prune them."""
    if isinstance(schema, list):
        return [strict_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: strict_schema(v) if k not in ("enum", "default", "example", "required") else v for k, v in schema.items()}
    if "properties" in out and "additionalProperties" not in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        out["additionalProperties"] = False
    return out


def crd_validators(ctx: Context) -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) -> validator for every served version of every CRD rendered in the environment,
    and of the APIs EKS Auto Mode serves when it runs (``auto_mode_schemas.py``)."""
    from tools.render.checks.auto_mode_schemas import auto_mode_crds

    return validators_of([obj for _, obj in ctx.objects()] + auto_mode_crds(ctx.env))


def validators_of(objects: list[Obj]) -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) -> validator for every served version of the CustomResourceDefinitions among ``objects``."""
    validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
    for obj in objects:
        if obj.get("kind") != "CustomResourceDefinition":
            continue
        spec = obj.get("spec") or {}
        for version in spec.get("versions") or []:
            if not version.get("served", True):
                continue
            schema = ((version.get("schema") or {}).get("openAPIV3Schema")) or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            schema = strict_schema(copy.deepcopy(schema))
            # apiVersion/kind/metadata are the API server's, not the CRD author's, to check.
            schema.setdefault("properties", {}).update({"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}})
            validators[(f"{spec.get('group')}/{version['name']}", (spec.get("names") or {}).get("kind", ""))] = jsonschema.Draft4Validator(schema)
    return validators


def _errors(validator: jsonschema.protocols.Validator, obj: Obj) -> list[str]:
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(map(str, e.absolute_path)))
    out = []
    for error in errors[:_MAX_ERRORS]:
        path = ".".join(str(p) for p in error.absolute_path) or "(root)"
        out.append(f"{path}: {error.message[:300]}")
    if len(errors) > _MAX_ERRORS:
        out.append(f"... and {len(errors) - _MAX_ERRORS} more")
    return out


def check(ctx: Context) -> list[Finding]:
    version = schema_version(ctx.env.cluster.version)
    crds = crd_validators(ctx)
    findings: list[Finding] = []
    for item, obj in ctx.objects():
        api, kind = obj.get("apiVersion", ""), obj.get("kind", "")
        if not api or not kind:
            findings.append(ctx.finding(item, obj, "object without apiVersion or kind"))
            continue
        validator = builtin_validator(version, api, kind) if _builtin_group(api) else None
        if validator is None:
            validator = crds.get((api, kind))
        if validator is None:
            where = f"Kubernetes {major_minor(version)}" if _builtin_group(api) else "no CRD rendered in this environment"
            findings.append(ctx.finding(item, obj, f"{api} {kind} is not served ({where})"))
            continue
        for message in _errors(validator, obj):
            findings.append(ctx.finding(item, obj, f"schema ({api}): {message}"))
    return findings
