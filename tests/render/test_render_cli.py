"""``python -m tools.render``: clean errors (never a traceback), and real outputs replacing placeholders."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, Synth


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    merged = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "tools.render", *args], cwd=ROOT, env=merged, capture_output=True, text=True, timeout=300, check=False)


def test_unknown_environment_missing_helm_and_missing_synth_are_clean_errors(tmp_path: Path) -> None:
    proc = run("nowhere")
    assert proc.returncode == 2 and "unknown environment nowhere" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("dev", env={"HELM": str(tmp_path / "helm")})
    assert proc.returncode == 2 and f"HELM={tmp_path / 'helm'}: not an executable file" in proc.stderr
    proc = run("dev", "--outdir", str(tmp_path / "empty"))
    assert proc.returncode == 1 and "no dev-addons stack with releases" in proc.stderr and "Traceback" not in proc.stderr
    (tmp_path / "bad.json").mkdir()
    proc = run("dev", "--outputs", str(tmp_path))
    assert proc.returncode == 2 and "not a directory of terraform output -json files" in proc.stderr


def test_real_outputs_replace_the_placeholders(helm: Path, synth: Synth, tmp_path: Path) -> None:
    stack = synth.stack("dev-addons-aws")
    name = next(n for n in stack["output"] if "external-dns" in n and n.endswith("arn"))
    arn = "arn:aws:iam::111111111111:role/dev-eks-external-dns"
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "dev-addons-aws.json").write_text(json.dumps({name: {"sensitive": True, "type": "string", "value": arn}}))
    outdir = tmp_path / "cdktf.out"  # a copy: the session synth's rendered files stay as the render tests wrote them
    for stack in (synth.outdir / "stacks").glob("dev-*"):
        shutil.copytree(stack, outdir / "stacks" / stack.name)
    proc = run("dev", "--outdir", str(outdir), "--outputs", str(outputs))
    assert "Traceback" not in proc.stderr, proc.stderr
    rendered = (outdir / "rendered" / "dev" / "external-dns.yaml").read_text()
    assert f"eks.amazonaws.com/role-arn: {arn}" in rendered
    assert "APPLY-TIME(" not in rendered.split("kind: ServiceAccount")[1].split("---")[0]
    assert "check irsa           ok" in proc.stdout  # the real ARN is followed to the same role
