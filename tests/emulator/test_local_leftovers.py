"""`make local-up` after `make local-down` starts from a clean work directory: a fresh emulator has
fresh state, and a `.terraform/` kept from the previous run remembers the old backend (a renamed
state bucket made the next `terraform init` fail with "Backend configuration changed")."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import local


def test_local_up_synthesizes_into_a_directory_without_the_previous_runs_terraform_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "WORK", tmp_path)
    stale = tmp_path / "local" / "cdktf.out" / "stacks" / "local-network"
    (stale / ".terraform").mkdir(parents=True)
    (stale / ".terraform" / "terraform.tfstate").write_text('{"backend": {"config": {"bucket": "old-name"}}}')
    (stale.parent / "local-state").mkdir()
    (stale.parent / "local-state" / "terraform.local-state.tfstate").write_text("{}")
    seen: dict[str, bool] = {}

    def fake_synth(environments: Path, name: str, outdir: Path) -> list[str]:
        seen["stale .terraform"] = (outdir / "stacks" / "local-network" / ".terraform").exists()
        seen["stale local state"] = (outdir / "stacks" / "local-state" / "terraform.local-state.tfstate").exists()
        raise RuntimeError("stop here: only the work directory matters")

    monkeypatch.setattr(local, "synth", fake_synth)
    monkeypatch.setattr(local, "_running", lambda name: None)
    with pytest.raises(RuntimeError, match="stop here"):
        local.up(local.DEFAULT_ENVIRONMENTS, "local")
    assert seen == {"stale .terraform": False, "stale local state": False}
