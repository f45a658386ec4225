"""Day-2 changes applied to an already deployed environment (the lifecycle module's ``local``).

``redeploy`` writes a changed copy of environments/local.yaml, synthesizes it and puts the new
Terraform JSON into the deployed workspace, keeping each stack's .terraform and its state in the
emulated bucket: what a second ``cdktf deploy`` of a changed file does.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.e2e.e2e_support import local_raw
from tools.local import Workspace
from tools.local import synth as synth_environment


def local_yaml(mutate: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    raw = local_raw()
    mutate(raw)
    return raw


def redeploy(ws: Workspace, raw: dict[str, Any], directory: Path) -> list[str]:
    """Synthesize ``raw`` (a local.yaml) and copy its stacks' JSON over the workspace's; returns
    the stacks whose Terraform JSON changed (the others' plans are already known to be empty)."""
    environments = directory / "environments"
    environments.mkdir(parents=True)
    (environments / "local.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    outdir = directory / "cdktf.out"
    stacks = synth_environment(environments, "local", outdir)
    assert stacks == ws.stacks, (stacks, ws.stacks)
    changed = [s for s in stacks if (outdir / "stacks" / s / "cdk.tf.json").read_bytes() != (ws.dir(s) / "cdk.tf.json").read_bytes()]
    copy_over(ws, outdir, stacks)
    return changed


def copy_over(ws: Workspace, outdir: Path, stacks: list[str]) -> None:
    """Copy the synthesized ``stacks`` in ``outdir`` over the workspace's (its state stays in the bucket)."""
    for stack in stacks:
        for item in (outdir / "stacks" / stack).iterdir():
            target = ws.dir(stack) / item.name
            if item.is_dir():
                shutil.copytree(item, target, dirs_exist_ok=True)
            else:
                shutil.copy2(item, target)


def plan_json(ws: Workspace, stack: str, directory: Path) -> Path:
    """``terraform plan -out`` then ``terraform show -json`` of ``stack``; returns the JSON file."""
    ws.init(stack)
    planfile = directory / f"{stack}.tfplan"
    ws.run(stack, "plan", f"-out={planfile}", "-input=false", "-no-color", "-lock-timeout=0s")
    shown = subprocess.run(["terraform", "show", "-json", str(planfile)], cwd=ws.dir(stack), env=ws.env, capture_output=True, text=True, check=True)
    out = directory / f"{stack}.json"
    out.write_text(shown.stdout)
    json.loads(shown.stdout)  # a readable plan, or fail here
    return out


def emulator_requests(ws: Workspace) -> list[str]:
    """Request lines (``METHOD /path``) the emulator served, in order, from its log."""
    log = ws.emulator.log_path
    assert log is not None and log.exists(), "the emulator keeps no log"
    lines = []
    for line in log.read_text(errors="replace").splitlines():
        if '"' in line and " HTTP/1.1" in line:
            request = line.split('"', 2)[1]
            lines.append(request.rsplit(" HTTP/", 1)[0])
    return lines
