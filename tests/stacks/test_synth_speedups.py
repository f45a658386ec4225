"""The synth's speed-ups (modules/_synth_speedups.py) change how fast, never what is written:
the same bytes as cdktf without them, jsii's Node started with the project's hooks, cdktf's own
stack-trace function silenced only by the hook, and type hints that are typing's own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import typing
from pathlib import Path

import pytest

from modules import _synth_speedups
from modules._provider_packages import LAZY_INDEX_HOOK, supported_node
from modules._synth_speedups import NO_TOKEN_STACK_TRACES_HOOK, SpeedupError, cache_type_hints, enabled
from tests.conftest import ROOT, Synth, run_main


def test_without_the_speedups_every_file_is_the_same_bytes(synth: Synth, tmp_path: Path) -> None:
    # The reference is cdktf itself: its validation on, its stack traces on, no hint memo, every
    # provider's JavaScript loaded at once.
    proc = run_main(tmp_path / "out", extra_env={"PLATFORM_SYNTH_SPEEDUPS": "none"})
    assert proc.returncode == 0, proc.stderr
    plain = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*") if p.is_file())
    # The session's synth folder also holds what other tests write beside main.py's output
    # (rendered/, diagrams/): compare under the top-level entries main.py itself writes.
    written = {p.parts[0] for p in plain}
    fast = sorted(rel for p in synth.outdir.rglob("*") if p.is_file() and (rel := p.relative_to(synth.outdir)).parts[0] in written)
    assert plain == fast
    for relative in plain:
        assert (tmp_path / "out" / relative).read_bytes() == (synth.outdir / relative).read_bytes(), relative
    assert len([p for p in plain if p.name == "cdk.tf.json"]) >= 30  # every stack of every shipped file


PROBE = """
const fs = require("fs");
if (!process.env.PROBE_DONE) {
  process.env.PROBE_DONE = "1";
  fs.appendFileSync(process.env.PROBE_OUT, JSON.stringify({node: process.execPath, options: process.env.NODE_OPTIONS}) + "\\n");
}
"""


def test_jsii_node_starts_with_the_project_hooks(tmp_path: Path) -> None:
    # A preload of our own reports the NODE_OPTIONS jsii's Node was started with: set only after
    # `import cdktf` started Node, the hooks would be missing from it.
    probe = tmp_path / "probe.cjs"
    probe.write_text(PROBE)
    out = tmp_path / "probe.jsonl"
    extra = {"NODE_OPTIONS": f'--require "{probe}"', "PROBE_OUT": str(out)}
    env = {k: v for k, v in os.environ.items() if k != "JSII_NODE"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=ROOT,
        env={
            **env,
            **extra,
            "PLATFORM_OUTDIR": str(tmp_path / "out"),
            "PLATFORM_QUIET": "1",
            "PLATFORM_ENVIRONMENTS": "local",
            "PLATFORM_SYNTH_SPEEDUPS": "all",
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    started = [json.loads(line) for line in out.read_text().splitlines()]
    assert started, "jsii's Node never loaded the probe"
    for node in started:
        assert LAZY_INDEX_HOOK in node["options"] and NO_TOKEN_STACK_TRACES_HOOK in node["options"], node
        wanted = supported_node()
        if wanted:
            assert os.path.realpath(node["node"]) == os.path.realpath(wanted)
    assert "end-of-life" not in proc.stderr


def _bundle() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("cdktf")
    assert spec is not None and spec.origin is not None
    return next((Path(spec.origin).parent / "_jsii").glob("cdktf@*.jsii.tgz"))


@pytest.mark.parametrize("hooked", [False, True])
def test_the_hook_empties_only_cdktfs_token_stack_traces(tmp_path: Path, hooked: bool) -> None:
    target = tmp_path / "node_modules" / "cdktf" / "lib" / "tokens" / "private" / "stack-trace.js"
    target.parent.mkdir(parents=True)
    with tarfile.open(_bundle()) as bundle:
        member = bundle.extractfile("package/lib/tokens/private/stack-trace.js")
        assert member is not None
        target.write_bytes(member.read())
    node = supported_node() or "node"
    script = f"console.log(JSON.stringify(require({str(target)!r}).captureStackTrace().length))"
    args = [node, *(["--require", NO_TOKEN_STACK_TRACES_HOOK] if hooked else []), "-e", script]
    env = {k: v for k, v in os.environ.items() if k != "NODE_OPTIONS"}  # this process's carries the hooks
    frames = int(subprocess.run(args, env=env, capture_output=True, text=True, check=True, timeout=60).stdout)
    assert (frames == 0) if hooked else (frames > 0)


def test_stub_hints_are_typings_own_and_resolved_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typing, "get_type_hints", typing.get_type_hints)  # restored after the test
    original = typing.get_type_hints
    calls: list[object] = []

    def counting(obj: object, *args: object, **kwargs: object) -> dict[str, object]:
        calls.append(obj)
        return original(obj, *args, **kwargs)

    monkeypatch.setattr(typing, "get_type_hints", counting)
    namespace: dict[str, object] = {}
    exec("import typing\ndef _typecheckingstub__ab12(*, scope: 'list[int]', id_: str) -> None: ...\ndef other(x: 'int') -> None: ...", namespace)
    stub, other = namespace["_typecheckingstub__ab12"], namespace["other"]
    cache_type_hints()
    cache_type_hints()  # installing twice wraps once
    first, second = typing.get_type_hints(stub), typing.get_type_hints(stub)
    assert first == original(stub) == {"scope": list[int], "id_": str, "return": type(None)}
    assert first is second and calls.count(stub) == 1
    typing.get_type_hints(other)
    typing.get_type_hints(other)
    typing.get_type_hints(stub, include_extras=True)
    assert calls.count(other) == 2 and calls.count(stub) == 2  # anything else goes to typing every time


def test_the_switch_names_what_it_accepts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_synth_speedups.ENV, raising=False)
    assert all(enabled(name) for name in _synth_speedups.SPEEDUPS)
    monkeypatch.setenv(_synth_speedups.ENV, "none")
    assert not any(enabled(name) for name in _synth_speedups.SPEEDUPS)
    monkeypatch.setenv(_synth_speedups.ENV, "hints, validation")
    assert [n for n in _synth_speedups.SPEEDUPS if enabled(n)] == ["hints", "validation"]
    monkeypatch.setenv(_synth_speedups.ENV, "lazy")
    assert [n for n in _synth_speedups.SPEEDUPS if enabled(n)] == ["lazy"]
    monkeypatch.setenv(_synth_speedups.ENV, "boundary")
    assert [n for n in _synth_speedups.SPEEDUPS if enabled(n)] == ["boundary"]
    monkeypatch.setenv(_synth_speedups.ENV, "hints,trace")
    with pytest.raises(SpeedupError, match="PLATFORM_SYNTH_SPEEDUPS: unknown speed-up.*trace"):
        enabled("hints")
