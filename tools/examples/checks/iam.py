"""Requests judged by ``@cloud-copilot/iam-simulate`` (``tests/iam/evaluate.mjs``, pinned in
``tests/iam/package-lock.json``; ``npm ci --prefix tests/iam``), an IAM evaluator that shares
nothing with the project's code."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from tools.examples.checks.base import ROOT, ToolMissing

IAM = ROOT / "tests" / "iam"


def evaluate(requests: list[dict[str, Any]]) -> list[str]:
    """The decision for each request: ``Allowed``, ``ExplicitlyDenied``, ``ImplicitlyDenied``."""
    node = shutil.which("node")
    if node is None or not (IAM / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise ToolMissing("the IAM evaluator is missing: install node, then `npm ci --prefix tests/iam`")
    proc = subprocess.run([node, "evaluate.mjs"], cwd=IAM, input=json.dumps(requests), capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"tests/iam/evaluate.mjs failed: {proc.stderr.strip()[-800:]}")
    return [str(r["result"]) for r in json.loads(proc.stdout)]
