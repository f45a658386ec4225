"""With cdktf's validation skipped (the ``validation`` speed-up), main.py still refuses what cdktf's
validation refused: a Terraform too old or missing for the ``moved`` blocks, and a resource with
no provider in its stack. Each case runs with cdktf's own validation too, which is the reference."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_main
from tools.synth_checks import missing_providers, terraform_needs


@pytest.mark.parametrize(
    ("speedups", "terraform", "message"),
    [
        # cdktf's wording (lib/synthesize/synthesizer.js, lib/validations/validate-binary-version.js)
        ("none", "old", "/terraform version 1.4.0 is lower than the required version >=1.5"),
        ("all", "old", "local-cluster: moved blocks need Terraform >= 1.5, found 1.4.0"),
        ("none", "missing", "[local-cluster] Could not determine version of "),
        ("all", "missing", "local-cluster: moved blocks need Terraform >= 1.5: "),
    ],
)
def test_moved_blocks_need_terraform_1_5(tmp_path: Path, speedups: str, terraform: str, message: str) -> None:
    fake = tmp_path / "terraform"
    if terraform == "old":
        fake.write_text("#!/bin/sh\necho 'Terraform v1.4.0'\necho 'on linux_amd64'\n")
        fake.chmod(0o755)
    extra = {"PLATFORM_SYNTH_SPEEDUPS": speedups, "TERRAFORM_BINARY_NAME": str(fake)}
    proc = run_main(tmp_path / "out", only="local", extra_env=extra)
    assert proc.returncode != 0
    assert message in proc.stderr, proc.stderr[-3000:]
    assert not (tmp_path / "out").exists()  # nothing published


APP = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
import modules  # cheap provider imports and jsii's Node, as main.py has them
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from tools.synth_checks import TerraformVersion, check_stacks

outcomes = {}
for provider in (False, True):
    for skip in (False, True):
        outdir = Path(sys.argv[1]) / f"{provider}-{skip}"
        app = App(outdir=str(outdir), skip_validation=skip)
        stack = TerraformStack(app, "lonely")
        if provider:
            AwsProvider(stack, "aws", region="eu-west-1")
        S3Bucket(stack, "bucket", bucket="example-bucket")
        try:
            app.synth()
            errors = check_stacks(outdir, ["lonely"], TerraformVersion()) if skip else []
        except Exception as exc:  # cdktf's validation failure, through jsii
            errors = [str(exc)]
        outcomes[f"provider={provider} skip_validation={skip}"] = errors
print(json.dumps(outcomes))
"""


def test_a_resource_without_its_provider_fails_as_with_cdktfs_validation(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", APP, str(tmp_path), str(ROOT)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    outcomes = json.loads(proc.stdout.splitlines()[-1])
    cdktf_says = outcomes["provider=False skip_validation=False"]
    assert len(cdktf_says) == 1 and "Found resources without a matching provider construct" in cdktf_says[0] and "aws" in cdktf_says[0]
    assert outcomes["provider=False skip_validation=True"] == ["lonely: resources without a provider block for: aws (add the provider construct to the stack)"]
    assert outcomes["provider=True skip_validation=False"] == outcomes["provider=True skip_validation=True"] == []


def test_which_blocks_need_which_terraform() -> None:
    # cdktf's constraints: moved and import >=1.5, terraform_data >=1.4, the cloud block >=1.1.
    stack = {"moved": [{}], "import": [{}], "resource": {"terraform_data": {}}, "terraform": {"cloud": {}}}
    assert terraform_needs(stack) == [((1, 5), "moved blocks"), ((1, 5), "import blocks"), ((1, 4), "the terraform_data resource"), ((1, 1), "the cloud block")]
    assert terraform_needs({"resource": {"aws_vpc": {}}, "terraform": {"backend": {"s3": {}}}}) == []
    # the built-in terraform provider (terraform_remote_state, terraform_data) needs no block
    assert missing_providers({"data": {"terraform_remote_state": {}}, "resource": {"terraform_data": {}, "helm_release": {}}, "provider": {"aws": []}}) == [
        "helm"
    ]
