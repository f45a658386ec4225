"""Real Terraform validates every stack whose only provider is aws, with the locally mirrored provider."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import Synth
from tools.gates.validate import aws_only_stacks, validate_all


def test_every_aws_only_stack_of_every_environment_validates(synth: Synth, tf_env: dict[str, str], tmp_path: Path) -> None:
    # Validate a copy so .terraform/ directories never land in the session's synth output.
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth.outdir, outdir)
    stacks = aws_only_stacks(outdir)
    assert {"dev-network", "prod-cluster", "staging-storage", "dev-state"} <= {s.name for s in stacks}
    failures = [f"{r.stack}:\n{r.detail}" for r in validate_all(outdir, tf_env) if not r.ok]
    assert not failures, "\n\n".join(failures)


def test_validate_rejects_a_broken_stack_and_names_only_it(synth: Synth, tf_env: dict[str, str], tmp_path: Path) -> None:
    """The check can fail: an attribute the aws provider does not know is an error. The all-at-once
    pass (child modules of one root) sees it (were it blind, every stack would come back ok), and the
    one-by-one pass that follows names that stack alone."""
    outdir = tmp_path / "cdktf.out"
    for name in ("dev-network", "dev-storage"):
        shutil.copytree(synth.outdir / "stacks" / name, outdir / "stacks" / name)
    stack = outdir / "stacks" / "dev-storage"
    text = (stack / "cdk.tf.json").read_text().replace('"encrypted": true', '"encrypted": true, "encryptd": true', 1)
    (stack / "cdk.tf.json").write_text(text)
    results = {r.stack: r for r in validate_all(outdir, tf_env)}
    assert {n for n, r in results.items() if not r.ok} == {"dev-storage"}, results
    assert "encryptd" in results["dev-storage"].detail
    assert not list(outdir.glob("validate-*")), "the scratch root is removed"
