"""``make local-plan`` and ``make local-apply`` judge the environment file as it is now: both
re-synthesize before planning (a cluster.version bump after ``local-up`` must show as a change),
and a stack with changes is never reported as clean. Terraform and the emulator are replaced by a
recording workspace; the real loop runs in tests/e2e."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools import local

STACKS = ["local-state", "local-network", "local-cluster"]


class FakeWorkspace:
    def __init__(self, outdir: Path, logs: Path, changed: set[str]) -> None:
        self.outdir, self.logs, self.stacks, self.changed = outdir, logs, ["local-state"], changed
        self.calls: list[tuple[str, ...]] = []
        self.env: dict[str, str] = {}
        logs.mkdir(parents=True, exist_ok=True)

    def dir(self, stack: str) -> Path:
        return self.outdir / "stacks" / stack

    def log(self, stack: str) -> Path:
        return self.logs / f"{stack}.log"

    def init(self, stack: str) -> None:
        self.calls.append(("init", stack))

    def plan_is_empty(self, stack: str) -> bool:
        self.calls.append(("plan", stack))
        return stack not in self.changed

    def run(self, stack: str, *args: str, ok: tuple[int, ...] = (0,)) -> int:
        self.calls.append((args[0], stack, *[a for a in args if a.endswith(".tfplan")]))
        return 2 if args[0] == "plan" and stack in self.changed else 0


@pytest.fixture
def attached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(local, "WORK", tmp_path)
    (tmp_path / "local").mkdir()
    order: list[str] = []
    ws = FakeWorkspace(tmp_path / "out", tmp_path / "logs", changed={"local-cluster"})
    info = {"stacks": ["local-state"], "environments": str(tmp_path / "envs")}

    def fake_synth(environments: Path, name: str, outdir: Path) -> list[str]:
        order.append(f"synth {environments.name} {name}")
        return STACKS

    def fake_attach(name: str) -> tuple[FakeWorkspace, dict[str, Any]]:
        return ws, info

    monkeypatch.setattr(local, "synth", fake_synth)
    monkeypatch.setattr(local, "_attach", fake_attach)
    return {"ws": ws, "order": order, "tmp": tmp_path}


def test_local_plan_resynthesizes_then_fails_naming_the_changed_stack_and_the_next_command(attached: dict[str, Any], capsys) -> None:
    code = local.main(["plan"])
    err = capsys.readouterr().err
    assert code == 1
    assert attached["order"] == ["synth envs local"], "local-plan planned the JSON of the day local-up ran"
    assert [c for c in attached["ws"].calls if c[0] == "plan"] == [("plan", s) for s in STACKS]
    assert err.strip().splitlines()[-1] == f"changes planned in: local-cluster (plans in {attached['ws'].logs}); apply them with `make local-apply`"
    assert "✓ plan     local-cluster" not in err and "~ plan     local-cluster" in err
    assert json.loads((attached["tmp"] / "local" / "emulator.json").read_text())["stacks"] == STACKS


def test_local_apply_resynthesizes_and_applies_the_saved_plan_of_each_changed_stack(attached: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from tools import local_changes

    monkeypatch.setattr(local_changes, "_report", lambda ws, stack, saved: f"REPORT {stack}")
    assert local.main(["apply"]) == 0
    out = capsys.readouterr().out
    assert attached["order"] == ["synth envs local"]
    saved = str(attached["ws"].logs / "local-cluster.tfplan")
    applies = [c for c in attached["ws"].calls if c[0] == "apply"]
    assert applies == [("apply", "local-cluster", saved)], attached["ws"].calls
    assert out.index("REPORT local-cluster") < out.index("applied: local-cluster")


def test_a_failed_local_up_says_to_apply_the_rest_with_local_apply(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from types import SimpleNamespace

    monkeypatch.setattr(local, "WORK", tmp_path)
    monkeypatch.setattr(local, "_running", lambda name: None)
    monkeypatch.setattr(local, "synth", lambda environments, name, outdir: STACKS)
    emulator = SimpleNamespace(start=lambda: None, process=SimpleNamespace(pid=1), port=1, endpoint="http://127.0.0.1:1")
    monkeypatch.setattr(local, "Emulator", lambda log_path: emulator)

    class Failing:
        def __init__(self, **kwargs: Any) -> None:
            self.logs = kwargs["logs"]

        def apply(self, stack: str) -> None:
            raise local.StepFailed(stack, "apply", 1, self.logs / f"{stack}.log")

    monkeypatch.setattr(local, "Workspace", Failing)
    assert local.main(["up"]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert "`make local-apply`" in last and "local-plan" not in last, last
