"""The deploy's two identities replayed on the emulator: a plan saved with the plan identity's
credentials, applied with the apply identity's after a delay longer than a token's lifetime.

- An AWS-only stack (``local-state``, as synthesized) planned by one IAM user and applied from
  the saved plan by another, after the delay: the apply succeeds and the plan is then empty.
- The Kubernetes token: no Kubernetes API runs here, so the token source the helm provider of
  ``local-addons`` is synthesized with (its ``token`` expression and the block it names) is put in
  a tiny root module whose only consumer is a ``local-exec`` provisioner that writes the token it
  receives during apply. The token is ``k8s-aws-v1.`` + base64url of a presigned STS
  GetCallerIdentity URL: its ``X-Amz-Credential`` names the access key that signed it and its
  ``X-Amz-Date`` when. It must be the apply identity's, minted after the delay.

The token lifetime is the test's (``E2E_TOKEN_LIFETIME_SECONDS``, default 5 s; EKS's is 15 min);
the product has no such setting.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.e2e_support import phase
from tools.emulator import Emulator

pytestmark = pytest.mark.e2e
TOKEN_LIFETIME = float(os.environ.get("E2E_TOKEN_LIFETIME_SECONDS", "5"))
CLUSTER = "local-eks"


@dataclass
class Identities:
    emulator: Emulator
    keys: dict[str, tuple[str, str]]
    base_env: dict[str, str]

    def run(self, who: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        access, secret = self.keys[who]
        env = {**self.emulator.terraform_env(self.base_env), "AWS_ACCESS_KEY_ID": access, "AWS_SECRET_ACCESS_KEY": secret}
        env["TF_LOG"], env["TF_LOG_PATH"] = "trace", str(cwd / f"{who}-{args[0]}.log")
        return subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False)

    def replay(self, cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
        """init + plan -out as the plan identity, wait past the token lifetime, apply as the apply
        identity; (apply result, when the plan finished)."""
        assert self.run("plan", cwd, "init", "-input=false", "-no-color").returncode == 0
        planned = self.run("plan", cwd, "plan", "-out=saved.tfplan", "-input=false", "-no-color")
        assert planned.returncode == 0, planned.stderr[-3000:]
        plan_done = time.time()
        time.sleep(TOKEN_LIFETIME + 1)
        return self.run("apply", cwd, "apply", "-input=false", "-no-color", "saved.tfplan"), plan_done


@pytest.fixture(scope="module")
def identities(tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str]) -> Iterator[Identities]:
    """One emulator for the module, with two IAM users standing for the CI plan and apply roles."""
    with Emulator(log_path=tmp_path_factory.mktemp("identities") / "emulator.log") as emulator:
        iam = emulator.client("iam", "eu-west-1")
        keys = {}
        for who in ("plan", "apply"):
            iam.create_user(UserName=f"ci-{who}")
            key = iam.create_access_key(UserName=f"ci-{who}")["AccessKey"]
            keys[who] = (key["AccessKeyId"], key["SecretAccessKey"])
        assert keys["plan"][0] != keys["apply"][0]
        yield Identities(emulator, keys, tf_env)


def test_an_aws_only_stack_planned_by_one_identity_applies_as_another_after_the_token_lifetime(
    identities: Identities, synthesized: Callable[[str], tuple[Path, list[str]]], tmp_path: Path
) -> None:
    outdir, _ = synthesized("local")
    stack = tmp_path / "local-state"
    shutil.copytree(outdir / "stacks" / "local-state", stack)
    with phase("identities replay"):
        applied, _ = identities.replay(stack)
    assert applied.returncode == 0, applied.stderr[-3000:]
    replan = identities.run("apply", stack, "plan", "-detailed-exitcode", "-input=false", "-no-color")
    assert replan.returncode == 0, replan.stdout[-3000:]


def _token_module(addons: dict, directory: Path) -> None:
    """The synthesized add-ons stack's token source, fed to a provisioner instead of the helm provider."""
    token = addons["provider"]["helm"][0]["kubernetes"]["token"]
    match = re.fullmatch(r"\$\{(ephemeral|data)\.aws_eks_cluster_auth\.([^.]+)\.token\}", token)
    assert match, f"the helm provider's token comes from neither aws_eks_cluster_auth: {token}"
    block, name = match.groups()
    source = {**(addons[block]["aws_eks_cluster_auth"][name]), "name": CLUSTER}  # its name is a cross-stack reference
    doc = {
        "terraform": {"required_providers": {"aws": addons["terraform"]["required_providers"]["aws"]}},
        "provider": {"aws": [{"region": "eu-west-1", "skip_metadata_api_check": "true"}]},
        block: {"aws_eks_cluster_auth": {name: source}},
        "resource": {
            "aws_iam_policy": {
                "probe": {
                    "name": "token-replay-probe",
                    "policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}),
                }
            },
            "terraform_data": {
                "token_probe": {
                    "input": "probe",
                    "provisioner": [{"local-exec": {"command": 'printf %s "$TOKEN" > applied-token.txt', "environment": {"TOKEN": token}}}],
                }
            },
        },
    }
    directory.mkdir(parents=True)
    (directory / "main.tf.json").write_text(json.dumps(doc, indent=2))


def _signer(token: str) -> tuple[str, dt.datetime]:
    assert token.startswith("k8s-aws-v1."), token[:20]
    payload = token.removeprefix("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    assert query["Action"] == ["GetCallerIdentity"]
    access_key = query["X-Amz-Credential"][0].split("/")[0]
    signed = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    return access_key, signed


def test_the_kubernetes_token_is_minted_at_apply_by_the_applying_identity(
    identities: Identities, synthesized: Callable[[str], tuple[Path, list[str]]], tmp_path: Path
) -> None:
    outdir, _ = synthesized("local")
    addons = json.loads((outdir / "stacks" / "local-addons" / "cdk.tf.json").read_text())
    module = tmp_path / "token"
    _token_module(addons, module)
    with phase("identities replay"):
        applied, plan_done = identities.replay(module)
    assert applied.returncode == 0, applied.stderr[-3000:]
    signer, signed = _signer((module / "applied-token.txt").read_text())
    assert signer == identities.keys["apply"][0], f"the token the apply used was signed by {signer} (plan identity: {identities.keys['plan'][0]})"
    assert signed.timestamp() >= int(plan_done + TOKEN_LIFETIME), f"token signed at {signed}, before the plan's token would have expired"
    # Terraform opened the ephemeral resource during the apply itself (not only while planning).
    assert "OpenEphemeralResource" in (module / "apply-apply.log").read_text()
