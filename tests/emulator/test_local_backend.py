"""`make local-up` needs the environment's state in an S3 bucket: the emulator (moto) stands in for
AWS services only (docs.getmoto.org), while a ``kind: cloud`` backend keeps state and runs in
Terraform Cloud (developer.hashicorp.com/terraform/cli/cloud). Such a file is refused with a
message naming the field, before anything is synthesized or started."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools import local

ROOT = Path(__file__).resolve().parents[2]


def test_local_up_refuses_an_environment_whose_state_is_in_terraform_cloud(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = yaml.safe_load((ROOT / "environments" / "local.yaml").read_text())
    raw["state_backend"] = {
        "kind": "cloud",
        "organization": "acme",
        "project": "eks-platform",
        "workspace_prefix": "platform",
        "dynamic_credentials": {"role_name": "tfc-platform-runs", "policy_arns": ["arn:aws:iam::aws:policy/PowerUserAccess"]},
    }
    raw.pop("ci", None)  # the GitHub CI roles read state in S3 (environments/ci.py)
    environments = tmp_path / "environments"
    environments.mkdir()
    (environments / "local.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))

    def no_synth(*args: object) -> list[str]:
        raise AssertionError("synthesized: the backend should have been refused first")

    monkeypatch.setattr(local, "WORK", tmp_path / "work")
    monkeypatch.setattr(local, "_running", lambda name: None)
    monkeypatch.setattr(local, "synth", no_synth)
    assert local.up(environments, "local") == 2
    assert "environment 'local': state_backend.kind is 'cloud'" in capsys.readouterr().err
