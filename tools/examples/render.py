"""Render the examples for one environment: placeholders filled in, charts through ``helm template``
(the pinned Helm of ``make render``), every object put in its namespace and labelled with its
example (``make smoke`` finds and removes them by that label)."""

from __future__ import annotations

import string
import subprocess
import tempfile
from pathlib import Path

import yaml

from tools.examples.catalog import Example, ExampleError, shown
from tools.examples.variables import Target
from tools.render.releases import Release
from tools.render.render import Obj, Rendered, kube_version

EXAMPLE_LABEL = "platform.example.com/example"


def fill(text: str, variables: dict[str, str], where: str | Path) -> str:
    try:
        return string.Template(text).substitute(variables)
    except KeyError as exc:
        raise ExampleError(f"{where}: unknown placeholder ${{{exc.args[0]}}}; known: {', '.join(sorted(variables))}") from exc
    except ValueError as exc:
        raise ExampleError(f"{where}: bad placeholder: {exc}") from exc


def _helm_template(helm: Path, example: Example, namespace: str, version: str, variables: dict[str, str]) -> str:
    assert example.chart is not None
    with tempfile.TemporaryDirectory() as tmp:
        values = Path(tmp) / "values.yaml"
        values.write_text(yaml.safe_dump({"platform": variables}))
        argv = [str(helm), "template", example.name, str(example.chart), "--namespace", namespace, "--kube-version", kube_version(version), "-f", str(values)]
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise ExampleError(f"{shown(example.chart)}: helm template failed: {proc.stderr.strip()}")
    return proc.stdout


def render_example(example: Example, target: Target, helm: Path | None) -> Rendered:
    namespace = target.namespace_of(example)
    variables = {**target.variables, "NAMESPACE": namespace}
    if example.chart is not None:
        if helm is None:
            raise ExampleError(f"{shown(example.chart)}: a chart needs Helm (make helm)")
        text = _helm_template(helm, example, namespace, target.env.cluster.version, variables)
        source = example.chart
    else:
        source = example.path / "manifests.yaml"
        text = fill(source.read_text(encoding="utf-8"), variables, shown(source))
    try:
        objects: list[Obj] = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as exc:
        raise ExampleError(f"{shown(source)}: not YAML after filling in placeholders: {exc}") from exc
    for obj in objects:
        meta = obj.setdefault("metadata", {})
        meta["namespace"] = namespace
        meta.setdefault("labels", {})[EXAMPLE_LABEL] = example.name
        for template in (obj.get("spec") or {}).get("volumeClaimTemplates") or []:  # the claims a StatefulSet creates
            template.setdefault("metadata", {}).setdefault("labels", {})[EXAMPLE_LABEL] = example.name
    release = Release(address=f"example.{example.name}", name=example.name, namespace=namespace, chart=str(source), version=None, repository=None, values={})
    return Rendered(release, source, text, tuple(objects))


def render_examples(examples: list[Example], target: Target, helm: Path | None) -> tuple[list[Rendered], dict[str, str]]:
    """(rendered examples that apply, {example: why it does not apply})."""
    rendered, skipped = [], {}
    for example in examples:
        reason = target.applies(example)
        if reason:
            skipped[example.name] = reason
        else:
            rendered.append(render_example(example, target, helm))
    return rendered, skipped
