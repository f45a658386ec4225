"""Pod Security Admission at the namespace's ``enforce`` level and version (its labels as the teams
stack sets them), by ``tools/examples/psa.py``, which upstream's fixtures judge first."""

from __future__ import annotations

from tools.examples import psa
from tools.examples.checks.base import ExampleContext
from tools.render.checks.base import Finding, pod_spec


def check(ctx: ExampleContext) -> list[Finding]:
    findings = []
    for item, obj in ctx.objects():
        spec = pod_spec(obj)
        if spec is None:
            continue
        namespace = (obj.get("metadata") or {}).get("namespace", "")
        level, version = ctx.platform.psa(namespace)
        template = (obj.get("spec") or {}).get("template") or {} if obj.get("kind") != "Pod" else obj
        annotations = (template.get("metadata") or {}).get("annotations") or {}
        for check_id, detail in psa.violations(spec, annotations, level=level, version=version):
            findings.append(ctx.finding(item, obj, f"pod-security {level}:{version} {check_id}", detail))
    return findings
