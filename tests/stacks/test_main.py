"""main.py as `make synth` runs it: bad input stops it before anything is written."""

from __future__ import annotations

import shutil
from pathlib import Path

from environments import ENVIRONMENTS_DIR
from tests.conftest import run_main


def test_bad_environment_file_exits_2_names_file_and_field_and_writes_nothing(tmp_path: Path) -> None:
    env_dir = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS_DIR, env_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    broken = (env_dir / "staging.yaml").read_text().replace("nat_gateways: one_per_az", "nat_gateways: many")
    (env_dir / "staging.yaml").write_text(broken)
    outdir = tmp_path / "cdktf.out"
    proc = run_main(outdir, env_dir=env_dir)
    assert proc.returncode == 2
    assert "staging.yaml: network.nat_gateways: Input should be 'single' or 'one_per_az'; got 'many'" in proc.stderr
    assert not outdir.exists() and not (tmp_path / "cdktf.out.partial").exists()


def test_previous_output_is_kept_when_new_input_is_bad(tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    (outdir / "stacks" / "dev-network").mkdir(parents=True)
    marker = outdir / "stacks" / "dev-network" / "cdk.tf.json"
    marker.write_text("{}")
    env_dir = tmp_path / "environments"
    env_dir.mkdir()
    (env_dir / "dev.yaml").write_text("name: dev\nunknown_setting: 1\n")
    proc = run_main(outdir, env_dir=env_dir)
    assert proc.returncode == 2 and "dev.yaml: unknown_setting: Extra inputs are not permitted" in proc.stderr
    assert marker.read_text() == "{}"


def test_empty_environment_directory_is_an_error(tmp_path: Path) -> None:
    proc = run_main(tmp_path / "out", env_dir=tmp_path)
    assert proc.returncode == 2 and "no environment files" in proc.stderr


def test_resynth_keeps_terraform_files_in_stack_directories(tmp_path: Path) -> None:
    """The state stack's local state lives in its stack directory until migrated: a re-synth must
    replace the JSON and leave the state (and .terraform/) alone."""
    outdir = tmp_path / "cdktf.out"
    assert run_main(outdir, only="dev").returncode == 0
    state_dir = outdir / "stacks" / "dev-state"
    (state_dir / "terraform.dev-state.tfstate").write_text('{"serial": 7}')
    (state_dir / ".terraform").mkdir()
    (state_dir / "cdk.tf.json").write_text("stale")
    leftover = outdir / "stacks" / "gone-network"
    leftover.mkdir()
    (leftover / "cdk.tf.json").write_text("{}")
    proc = run_main(outdir, only="dev")
    assert proc.returncode == 0, proc.stderr
    assert (state_dir / "terraform.dev-state.tfstate").read_text() == '{"serial": 7}'
    assert (state_dir / ".terraform").is_dir()
    assert (state_dir / "cdk.tf.json").read_text().startswith("{")
    assert not leftover.exists(), "a stack that is no longer synthesized and holds only JSON is removed"
    assert not (tmp_path / "cdktf.out.partial").exists()


def test_a_synth_of_one_environment_keeps_the_others_output(tmp_path: Path) -> None:
    """``make diagram ENV=local`` after ``make synth``: the other environments' stacks and their
    manifest entries stay, and no note claims they are no longer synthesized."""
    import json

    outdir = tmp_path / "cdktf.out"
    entry = {"name": "dev-network", "synthesizedStackPath": "stacks/dev-network/cdk.tf.json", "workingDirectory": "stacks/dev-network", "dependencies": []}
    (outdir / "stacks" / "dev-network").mkdir(parents=True)
    (outdir / "stacks" / "dev-network" / "cdk.tf.json").write_text("{}")
    (outdir / "stacks" / "prod-state" / ".terraform").mkdir(parents=True)
    (outdir / "stacks" / "prod-state" / "cdk.tf.json").write_text("{}")
    (outdir / "manifest.json").write_text(json.dumps({"version": "0.21.0", "stacks": {"dev-network": entry}}))
    proc = run_main(outdir, only="local")
    assert proc.returncode == 0, proc.stderr
    assert (outdir / "stacks" / "dev-network" / "cdk.tf.json").read_text() == "{}"
    assert "no longer synthesized" not in proc.stderr, proc.stderr
    stacks = json.loads((outdir / "manifest.json").read_text())["stacks"]
    assert stacks["dev-network"] == entry and "local-network" in stacks
