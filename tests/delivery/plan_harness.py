"""The planner run as the workflows run it (``python -m tools.delivery plan``, a real process per
Terraform command) over an environment's shape written here, with a stand-in ``terraform`` on PATH
(tests/delivery/fake_terraform.py) and, when asked, a stand-in hashicorp/aws plugin
(tests/delivery/fake_plugin.py). Which stacks read which (``dependencies`` in cdktf's
manifest.json) is the table below."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ENV = "fake"
# stack -> the stacks it reads (its upstream)
DEPENDS = {
    "state": [],
    "network": ["state"],
    "cluster": ["network", "state"],
    "storage": ["cluster", "network"],
    "addons-aws": ["cluster"],
    "teams-aws": ["cluster"],
}


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs: a zombie (ended, not yet reaped) does not (/proc/<pid>/stat, Linux)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[1].split()[0] != "Z"


def name(layer: str) -> str:
    return f"{ENV}-{layer}"


def downstream(layer: str) -> set[str]:
    found: set[str] = set()
    while True:
        more = {s for s, deps in DEPENDS.items() if s not in found and (layer in deps or found & set(deps))}
        if not more:
            return {name(s) for s in found}
        found |= more


# One hashicorp/aws configuration, as cdktf writes a stack's provider block.
ONE_AWS = {"aws": [{"region": "eu-west-1"}]}


def synthesized(outdir: Path, providers: dict[str, dict[str, Any]] | None = None) -> Path:
    """The stacks' cdk.tf.json and manifest.json; ``providers`` per layer (default ``ONE_AWS``)."""
    for layer in DEPENDS:
        (outdir / "stacks" / name(layer)).mkdir(parents=True)
        doc = {
            "provider": (providers or {}).get(layer, ONE_AWS),
            "resource": {"terraform_data": {"x": {}}},
            # As cdktf writes it: the provider package's version, exactly.
            "terraform": {"required_providers": {"aws": {"source": "aws", "version": "5.100.0"}}},
        }
        (outdir / "stacks" / name(layer) / "cdk.tf.json").write_text(json.dumps(doc))
    stacks = {name(s): {"name": name(s), "dependencies": [name(d) for d in deps]} for s, deps in DEPENDS.items()}
    (outdir / "manifest.json").write_text(json.dumps({"version": "0.21.0", "stacks": stacks}))
    return outdir


def plan(
    tmp: Path,
    label: str,
    jobs: int,
    config: dict[str, dict[str, Any]],
    *,
    flags: tuple[str, ...] = (),
    plugin: bool = False,
    providers: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One ``tools.delivery plan --defer`` run with ``config`` for the fake Terraform, and ``flags``;
    with ``plugin`` the fake's init installs the stand-in hashicorp/aws plugin."""
    work = tmp / label
    outdir = synthesized(work / "cdktf.out", providers)
    bin_dir = work / "bin"
    bin_dir.mkdir()
    (bin_dir / "terraform").write_text(f"#!{sys.executable}\n" + (HERE / "fake_terraform.py").read_text())
    (bin_dir / "terraform").chmod(0o755)
    (work / "config.json").write_text(json.dumps({name(s): c for s, c in config.items()}))
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PLATFORM_PROVIDERS_FROM_REGISTRY": "1",  # no provider mirror needed: the fake installs nothing
        "FAKE_TF_CONFIG": str(work / "config.json"),
        "FAKE_TF_EVENTS": str(work / "events.jsonl"),
        "FAKE_PLUGIN_PIDS": str(work / "plugin-pids"),
        **({"FAKE_TF_PLUGIN": str(HERE / "fake_plugin.py")} if plugin else {}),
    }
    out = work / "plans"
    args = ["plan", ENV, "--defer", "--outdir", str(outdir), "--out", str(out), "--jobs", str(jobs), *flags]
    proc = subprocess.run([sys.executable, "-m", "tools.delivery", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)
    events = [json.loads(line) for line in (work / "events.jsonl").read_text().splitlines()] if (work / "events.jsonl").exists() else []
    files = {p.name: p.read_text() for p in sorted(out.iterdir())} if out.exists() else {}
    pids = [int(line) for line in (work / "plugin-pids").read_text().split()] if (work / "plugin-pids").exists() else []
    return {
        "rc": proc.returncode,
        "stderr": proc.stderr.replace(str(work), "<work>"),
        "files": files,
        "events": events,
        "plugins": pids,
        "outdir": outdir,
    }


def spans(events: list[Any], command: str) -> dict[str, tuple[float, float]]:
    starts = {e[3]: e[0] for e in events if e[1] == "start" and e[2] == command}
    return {s: (t, next(e[0] for e in events if e[1] == "end" and e[2] == command and e[3] == s)) for s, t in starts.items()}


def most_at_once(runs: dict[str, tuple[float, float]]) -> int:
    edges = sorted([(t0, 1) for t0, _ in runs.values()] + [(t1, -1) for _, t1 in runs.values()])
    level = peak = 0
    for _, step in edges:
        level += step
        peak = max(peak, level)
    return peak


def same_reports(serial: dict[str, Any], concurrent: dict[str, Any]) -> None:
    assert concurrent["rc"] == serial["rc"]
    assert concurrent["files"] == serial["files"]
    assert concurrent["stderr"] == serial["stderr"]
