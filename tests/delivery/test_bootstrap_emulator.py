"""``make bootstrap ENV=local`` (an environment with an ``emulator:`` section) never reaches AWS:
without an emulator named in ``AWS_ENDPOINT_URL`` it rehearses on a fresh emulator of its own,
in a scratch copy of the file, so environments/local.yaml keeps ``state_stack_in_s3: false`` and
``make local-up`` / ``make local-down`` still work afterwards. Terraform and moto are replaced by
recorders here; tests/e2e/test_bootstrap_and_saved_plans.py runs the real thing."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from environments import ENVIRONMENTS_DIR
from tools.cli import UserError
from tools.delivery import bootstrap


class FakeEmulator:
    endpoint = "http://127.0.0.1:1"
    started = stopped = False

    def __init__(self, **kwargs: Any) -> None:
        pass

    def start(self) -> FakeEmulator:
        FakeEmulator.started = True
        return self

    def stop(self) -> None:
        FakeEmulator.stopped = True

    def terraform_env(self, base: dict[str, str]) -> dict[str, str]:
        return {**base, "AWS_ENDPOINT_URL": self.endpoint}


def test_bootstrap_of_an_emulator_environment_rehearses_on_its_own_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    environments = tmp_path / "environments"
    environments.mkdir()
    shutil.copy(ENVIRONMENTS_DIR / "local.yaml", environments)
    before = (environments / "local.yaml").read_text()
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(bootstrap, "terraform_env", lambda: {"PATH": "/usr/bin"})
    monkeypatch.setattr(bootstrap, "WORK", tmp_path / "work", raising=False)
    monkeypatch.setattr(bootstrap, "Emulator", FakeEmulator, raising=False)
    seen: list[tuple[Path, dict[str, str]]] = []

    def fake_synth(environments: Path, name: str, outdir: Path) -> Path:
        seen.append((environments, {}))
        return outdir / "stacks" / f"{name}-state"

    def fake_terraform(stack_dir: Path, env: dict[str, str], *args: str, ok: tuple[int, ...] = (0,)) -> int:
        seen.append((stack_dir, env))
        raise UserError("stop after the first terraform call")

    monkeypatch.setattr(bootstrap, "synth", fake_synth)
    monkeypatch.setattr(bootstrap, "terraform", fake_terraform)
    with pytest.raises(UserError, match="stop after"):
        bootstrap.bootstrap(environments.resolve(), "local", tmp_path / "cdktf.out")
    assert FakeEmulator.started and FakeEmulator.stopped
    synthesized_from, _ = seen[0]
    assert synthesized_from != environments.resolve(), "the rehearsal edits a scratch copy, never the file"
    assert seen[-1][1].get("AWS_ENDPOINT_URL", "").startswith("http://127.0.0.1:")
    assert (environments / "local.yaml").read_text() == before
