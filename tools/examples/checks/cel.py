"""CRD validation rules (``x-kubernetes-validations``, CEL) of the CRDs the platform's add-ons install,
over the examples' custom objects and the platform's own (Karpenter NodePools and EC2NodeClasses,
SecretStores, IngressClassParams, ...), evaluated by cel-python 0.5.0 (``tools/examples/cel_eval.py``
in ``.venv-examples``).

Each rule is evaluated with ``self`` bound to the value at its place in the schema (objects by
``properties``, maps by ``additionalProperties``, lists by ``items``), as the API server does on
create. Transition rules (those naming ``oldSelf``) apply only to updates and are left out. A rule
cel-python cannot evaluate is listed in the notes, never counted as passed.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

from tools.examples.checks.base import ROOT, ExampleContext, examples_python
from tools.render.checks.base import Finding, Obj
from tools.render.render import Rendered


def schemas(ctx: ExampleContext) -> dict[tuple[str, str], Obj]:
    """(apiVersion, kind) -> openAPIV3Schema of every CRD version the add-ons install."""
    found = {}
    for item in ctx.addons:
        for obj in item.objects:
            if obj.get("kind") != "CustomResourceDefinition":
                continue
            spec = obj.get("spec") or {}
            for version in spec.get("versions") or []:
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if schema:
                    found[(f"{spec.get('group')}/{version.get('name')}", (spec.get("names") or {}).get("kind", ""))] = schema
    return found


def rules_at(schema: Obj, value: Any, path: str) -> Iterator[tuple[str, Obj, Any]]:
    """(path, rule, value) for every validation rule whose place in ``value`` exists."""
    for rule in schema.get("x-kubernetes-validations") or []:
        yield path, rule, value
    if isinstance(value, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key in value and not (path == "" and key == "metadata"):
                yield from rules_at(sub, value[key], f"{path}.{key}")
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key, sub_value in value.items():
                yield from rules_at(extra, sub_value, f"{path}[{key!r}]")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, sub_value in enumerate(value):
            yield from rules_at(schema["items"], sub_value, f"{path}[{i}]")


def custom_objects(ctx: ExampleContext, known: dict[tuple[str, str], Obj]) -> Iterator[tuple[Rendered, Obj]]:
    for item in [*ctx.examples, *ctx.addons]:
        for obj in item.objects:
            if (obj.get("apiVersion", ""), obj.get("kind", "")) in known:
                yield item, obj


def evaluate(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [str(examples_python()), "-m", "tools.examples.cel_eval"],
        cwd=ROOT,
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"cel_eval failed: {proc.stderr.strip()[-800:]}")
    return list(json.loads(proc.stdout))


def check(ctx: ExampleContext) -> list[Finding]:
    known = schemas(ctx)
    asked = []
    for item, obj in custom_objects(ctx, known):
        for path, rule, value in rules_at(known[(obj["apiVersion"], obj["kind"])], obj, ""):
            if "oldSelf" not in rule.get("rule", ""):
                asked.append((item, obj, path or ".", rule, value))
    if not asked:
        return []
    answers = evaluate([{"rule": rule["rule"], "self": value} for *_, rule, value in asked])
    findings, unevaluated = [], 0
    for (item, obj, path, rule, _), answer in zip(asked, answers, strict=True):
        if answer["result"] is False:
            message = rule.get("message") or f"failed rule {rule['rule']!r}"
            findings.append(ctx.finding(item, obj, f"crd-validation {path}", f"{message} (rule: {rule['rule']})"))
        elif answer["result"] is None:
            unevaluated += 1
            ctx.notes.append(
                f"cel: {item.release.name}: {obj['kind']} {obj['metadata'].get('name')}: {path}: not evaluated ({answer['error']}): {rule['rule']}"
            )
    ctx.notes.append(f"cel: {len(asked) - unevaluated} rule evaluations on {len({id(a[1]) for a in asked})} custom objects, {unevaluated} not evaluable")
    return findings
