"""The Helm releases of a synthesized ``<env>-addons`` stack (or of a plan), ready to render.

Values known only at apply time are cross-stack references in the synthesized JSON
(``${data.terraform_remote_state.cross-stack-reference-input-<stack>.outputs.<output>}``). Each
becomes the real output when the producing stack's ``terraform output -json`` is given (a state:
emulator or real), and otherwise the marked placeholder ``APPLY-TIME(<stack>:<output>)``, which
the IRSA check follows back to the resource in the producing stack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_REMOTE = re.compile(r"\$\{data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)\}")
_OTHER = re.compile(r"\$\{([^}]*)\}")
PLACEHOLDER = re.compile(r"APPLY-TIME\(([\w-]+):([\w-]+)\)")
MANIFESTS_CHART = Path(__file__).resolve().parents[2] / "charts" / "manifests"

Outputs = Mapping[str, Mapping[str, Any]]  # stack -> output name -> value


def placeholder(stack: str, output: str) -> str:
    return f"APPLY-TIME({stack}:{output})"


@dataclass(frozen=True)
class Release:
    """One ``helm_release``: what ``helm template`` needs, and where it came from."""

    address: str  # helm_release.<logical id>
    name: str
    namespace: str
    chart: str  # chart name, or a local chart directory
    version: str | None  # None for a local chart (the manifests chart of CRD objects)
    repository: str | None
    values: dict[str, Any]
    depends_on: tuple[str, ...] = ()  # addresses
    local_chart: Path | None = None
    unknown_values: bool = False  # a plan whose values are unknown until apply
    skip_crds: bool = False  # Helm installs none of the chart's crds/ (another release holds them)
    stack: str = ""  # the synthesized stack holding it ("" when read from a plan)

    @property
    def label(self) -> str:
        return self.name


def resolve(value: Any, outputs: Outputs | None = None) -> Any:
    """``value`` with every ``${...}`` in its strings replaced by the real output or a placeholder."""
    if isinstance(value, dict):
        return {k: resolve(v, outputs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, outputs) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def remote(match: re.Match[str]) -> str:
        stack, output = match.group(1), match.group(2)
        if outputs is not None and output in outputs.get(stack, {}):
            real = outputs[stack][output]
            return real if isinstance(real, str) else json.dumps(real)
        return placeholder(stack, output)

    text = _REMOTE.sub(remote, value)
    return _OTHER.sub(lambda m: f"APPLY-TIME({m.group(1)})", text)


def load_outputs(directory: Path) -> dict[str, dict[str, Any]]:
    """``<stack>.json`` files holding ``terraform output -json`` of each stack -> {stack: {name: value}}."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[path.stem] = {name: body["value"] for name, body in data.items() if isinstance(body, dict) and "value" in body}
    return found


def release_from_body(
    address: str, body: Mapping[str, Any], *, stack_dir: Path | None = None, outputs: Outputs | None = None, unknown_values: bool = False
) -> Release:
    """A release from a ``helm_release`` body (synthesized JSON, or a plan's before/after)."""
    merged: dict[str, Any] = {}
    for doc in body.get("values") or []:
        if doc is None:
            unknown_values = True
            continue
        merged = _merge(merged, json.loads(doc) if isinstance(doc, str) else doc)
    chart = body["chart"]
    local = None
    if not body.get("repository"):
        candidate = (stack_dir / chart) if stack_dir is not None else None
        local = candidate if candidate is not None and candidate.is_dir() else MANIFESTS_CHART
    return Release(
        address=address,
        name=body["name"],
        namespace=resolve(body.get("namespace") or "default", outputs),
        chart=chart,
        version=body.get("version") if body.get("repository") else None,
        repository=body.get("repository"),
        values=resolve(merged, outputs),
        depends_on=tuple(body.get("depends_on") or ()),
        local_chart=local,
        unknown_values=unknown_values,
        skip_crds=body.get("skip_crds") is True,
        stack=stack_dir.name if stack_dir is not None else "",
    )


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Helm's merge of several values documents: maps deep-merge, anything else is replaced."""
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(out.get(key), dict) and isinstance(value, dict) else value
    return out


_LOCAL = re.compile(r"\$\{([a-z][\w]*)\.([\w-]+)\.([\w.\[\]]+)\}")


def resolve_local(value: Any, resources: Mapping[str, Mapping[str, Any]]) -> Any:
    """References to attributes written in the same stack (``${kubernetes_namespace_v1.x.metadata[0].name}``)
    replaced by the written value; anything else is left for :func:`resolve`."""
    if isinstance(value, dict):
        return {k: resolve_local(v, resources) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_local(v, resources) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value

    def local(match: re.Match[str]) -> str:
        node: Any = resources.get(match.group(1), {}).get(match.group(2))
        for part in re.findall(r"[\w-]+", match.group(3)):
            if isinstance(node, list):
                node = node[int(part)] if part.isdigit() and int(part) < len(node) else None
            elif isinstance(node, dict):
                node = node if part.isdigit() else node.get(part)  # cdktf writes blocks as objects
            else:
                node = None
        return node if isinstance(node, str) and "${" not in node else match.group(0)

    return _LOCAL.sub(local, value)


def releases_of_stack(stack_dir: Path, outputs: Outputs | None = None) -> list[Release]:
    """Every ``helm_release`` of a synthesized stack directory, in file order."""
    stack = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    resources = stack.get("resource", {})
    bodies = resources.get("helm_release", {})
    return [release_from_body(f"helm_release.{lid}", resolve_local(body, resources), stack_dir=stack_dir, outputs=outputs) for lid, body in bodies.items()]


@dataclass
class Synthesized:
    """The synthesized stacks of one output directory, read lazily (for following references)."""

    outdir: Path
    _cache: dict[str, dict[str, Any]] = field(default_factory=dict)

    def stack(self, name: str) -> dict[str, Any]:
        if name not in self._cache:
            path = self.outdir / "stacks" / name / "cdk.tf.json"
            self._cache[name] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        return self._cache[name]

    def stack_dependencies(self) -> dict[str, list[str]]:
        """Stack name -> the stacks it depends on (``manifest.json``; empty without one)."""
        path = self.outdir / "manifest.json"
        if not path.is_file():
            return {}
        stacks = json.loads(path.read_text(encoding="utf-8")).get("stacks") or {}
        return {name: list(body.get("dependencies") or []) for name, body in stacks.items()}

    def output_resource(self, stack: str, output: str) -> tuple[str, str, dict[str, Any]] | None:
        """(type, logical id, body) of the resource an output of ``stack`` reads, if it is one."""
        value = self.stack(stack).get("output", {}).get(output, {}).get("value", "")
        match = re.fullmatch(r"\$\{([\w]+)\.([\w-]+)\.[\w.\[\]]+\}", value or "")
        if not match:
            return None
        type_, lid = match.groups()
        body = self.stack(stack).get("resource", {}).get(type_, {}).get(lid)
        return (type_, lid, body) if body is not None else None
