"""The helm and kubernetes providers take their EKS token from the ephemeral resource
``aws_eks_cluster_auth``, which Terraform opens again when a saved plan is applied (as the applying
identity), never from the data source of that name, which is read while planning and kept in the
saved plan. Checked against real Terraform 1.11 and the mirrored aws provider 5.100.0: the provider
schema has the ephemeral resource, and Terraform validates the synthesized token source.
(The replay with two identities is tests/e2e/test_deploy_identities.py.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from environments import EnvironmentConfig
from tests.conftest import Synth

TOKEN = "${ephemeral.aws_eks_cluster_auth.cluster_auth.token}"


def _kubernetes_connections(stack: dict) -> list[dict]:
    providers = stack["provider"]
    found = [p["kubernetes"] for p in providers.get("helm", [])]
    found += providers.get("kubernetes", [])
    return found


def test_every_helm_and_kubernetes_provider_uses_the_ephemeral_token(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    seen = 0
    for env in environments.values():
        for name in (f"{env.name}-addons", f"{env.name}-teams"):
            if name not in synth.stack_names:
                continue
            stack = synth.stack(name)
            connections = _kubernetes_connections(stack)
            assert connections, name
            for connection in connections:
                seen += 1
                assert connection["token"] == TOKEN, (name, connection["token"])
            assert "aws_eks_cluster_auth" not in stack.get("data", {}), f"{name}: a data source token is read at plan time only"
            (auth,) = stack["ephemeral"]["aws_eks_cluster_auth"].values()
            local = auth["name"].removeprefix("${local.").removesuffix("}")
            assert f"cross-stack-reference-input-{env.name}-cluster" in stack["locals"][local], (name, stack["locals"][local])
            assert "eks_cluster" in stack["locals"][local] and stack["locals"][local].endswith("name}")
    assert seen >= 6


@pytest.fixture(scope="module")
def initialized(tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    work = tmp_path_factory.mktemp("token-schema")
    (work / "main.tf.json").write_text(json.dumps({"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}}}))
    init = subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=work, env=tf_env, capture_output=True, text=True, timeout=300, check=False)
    assert init.returncode == 0, init.stderr
    return work, tf_env


def test_the_mirrored_aws_provider_has_the_ephemeral_resource(initialized: tuple[Path, dict[str, str]]) -> None:
    work, env = initialized
    proc = subprocess.run(["terraform", "providers", "schema", "-json"], cwd=work, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
    attributes = schema["ephemeral_resource_schemas"]["aws_eks_cluster_auth"]["block"]["attributes"]
    assert attributes["name"].get("required") and attributes["token"].get("computed") and attributes["token"].get("sensitive")


@pytest.mark.parametrize("stack_name", ["prod-addons", "prod-teams"])
def test_terraform_validates_the_synthesized_token_source(synth: Synth, initialized: tuple[Path, dict[str, str]], tmp_path: Path, stack_name: str) -> None:
    """The stack's token source as synthesized (ephemeral block, locals, remote state, aws provider),
    with a provisioner standing in for the helm/kubernetes providers, which cannot be installed
    here: Terraform accepts the JSON shape and the ephemeral reference in an ephemeral context."""
    stack = synth.stack(stack_name)
    work, env = initialized
    doc = {
        "terraform": {"required_providers": {"aws": stack["terraform"]["required_providers"]["aws"]}},
        "provider": {"aws": stack["provider"]["aws"]},
        "ephemeral": stack["ephemeral"],
        "locals": stack["locals"],
        "data": {"terraform_remote_state": stack["data"]["terraform_remote_state"]},
        "resource": {
            "terraform_data": {
                "consumer": {"provisioner": [{"local-exec": {"command": "true", "environment": {"TOKEN": _kubernetes_connections(stack)[0]["token"]}}}]}
            }
        },
    }
    (tmp_path / "main.tf.json").write_text(json.dumps(doc))
    shutil.copytree(work / ".terraform", tmp_path / ".terraform", symlinks=True)
    shutil.copy(work / ".terraform.lock.hcl", tmp_path / ".terraform.lock.hcl")
    proc = subprocess.run(["terraform", "validate", "-no-color"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
