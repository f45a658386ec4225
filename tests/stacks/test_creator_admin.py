"""The creator's hidden cluster admin is off, and switching it off does not replace a
cluster created with it on. ``bootstrap_cluster_creator_admin_permissions`` is ForceNew in aws
5.100.0 and EKS never returns it (the provider keeps the configured value, true on import), so
without ``ignore_changes`` every existing cluster would be destroyed and created again.

Proven with real Terraform and the mirrored provider, offline: a plan (no refresh, no AWS) of the
synthesized prod cluster resource against a state recording ``true``.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import Synth

_REF = re.compile(r"\$\{[^}]*\}")


def _literal(value: Any) -> Any:
    """The resource body with every ``${...}`` reference replaced by a plausible literal."""
    if isinstance(value, str):
        if "kms" in value:
            return _REF.sub("arn:aws:kms:eu-west-1:333333333333:key/11111111-2222-3333-4444-555555555555", value)
        if "role" in value:
            return _REF.sub("arn:aws:iam::333333333333:role/prod-eks-cluster", value)
        return _REF.sub("subnet-0123456789abcdef0", value)
    if isinstance(value, list):
        return [_literal(v) for v in value]
    if isinstance(value, dict):
        return {k: _literal(v) for k, v in value.items() if k not in ("//", "depends_on")}
    return value


def _plan(tmp: Path, tf_env: dict[str, str], cluster: dict[str, Any]) -> dict[str, Any]:
    tmp.mkdir(exist_ok=True)
    config = {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}},
        "provider": {
            "aws": {
                "region": "eu-west-1",
                "access_key": "x",
                "secret_key": "x",
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": "true",
            }
        },
        "resource": {"aws_eks_cluster": {"this": cluster}},
    }
    (tmp / "main.tf.json").write_text(json.dumps(config))
    attributes = {
        **{k: v for k, v in cluster.items() if k != "lifecycle"},
        "id": cluster["name"],
        "arn": f"arn:aws:eks:eu-west-1:333333333333:cluster/{cluster['name']}",
        "access_config": [{"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": True}],
        "bootstrap_self_managed_addons": True,
        "tags": {},
        "tags_all": {},
    }
    attributes["vpc_config"] = [
        {"public_access_cidrs": [], **cluster["vpc_config"], "security_group_ids": [], "cluster_security_group_id": "sg-1", "vpc_id": "vpc-1"}
    ]
    attributes["encryption_config"] = [{"resources": ["secrets"], "provider": [cluster["encryption_config"]["provider"]]}]
    state = {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 1,
        "lineage": "test",
        "outputs": {},
        "resources": [
            {
                "mode": "managed",
                "type": "aws_eks_cluster",
                "name": "this",
                "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
                "instances": [{"schema_version": 0, "attributes": attributes}],
            }
        ],
    }
    (tmp / "terraform.tfstate").write_text(json.dumps(state))
    run = lambda *args: subprocess.run(["terraform", *args], cwd=tmp, env=tf_env, capture_output=True, text=True, timeout=300, check=False)  # noqa: E731
    steps = [("plan", "-refresh=false", "-input=false", "-no-color", "-out=tfplan")]
    if not (tmp / ".terraform").is_dir():
        steps.insert(0, ("init", "-input=false", "-no-color"))
    for args in steps:
        result = run(*args)
        assert result.returncode == 0, result.stdout + result.stderr
    shown = run("show", "-json", "tfplan")
    (change,) = json.loads(shown.stdout)["resource_changes"]
    return change


def test_creator_admin_is_off_and_turning_it_off_keeps_existing_clusters(synth: Synth, tmp_path: Path, tf_env: dict[str, str]) -> None:
    cluster = _literal(synth.one("prod-cluster", "aws_eks_cluster"))
    assert cluster["access_config"] == {"authentication_mode": "API", "bootstrap_cluster_creator_admin_permissions": False}
    kept = _plan(tmp_path, tf_env, cluster)
    # In place at most (the hand-written state lacks some computed attributes), never a replacement,
    # and the recorded flag stays as it was.
    assert kept["change"]["actions"] in (["no-op"], ["update"]) and not kept["change"].get("replace_paths"), kept["change"]
    assert kept["change"]["after"]["access_config"] == kept["change"]["before"]["access_config"]
    # The same change without ignore_changes replaces the cluster: what the lifecycle rule prevents.
    bare = {k: v for k, v in cluster.items() if k != "lifecycle"}
    replaced = _plan(tmp_path, tf_env, bare)
    assert replaced["change"]["actions"] == ["delete", "create"]
    assert ["access_config", 0, "bootstrap_cluster_creator_admin_permissions"] in replaced["change"]["replace_paths"]
