"""Two owners never claim one physical AWS name: checked at load time, naming both owners.

The expectations are AWS's uniqueness scopes (IAM: "names must be unique within the account",
IAM User Guide, IAM identifiers; S3: "bucket names must be unique across all AWS accounts in all the
AWS Regions within a partition", S3 User Guide, bucket naming rules; one IAM OIDC provider per URL
per account, CreateOpenIDConnectProvider's EntityAlreadyExists), not the code's own lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from environments import ENVIRONMENTS_DIR, ConfigError, load_environments


def _copy_all(tmp_path: Path) -> Path:
    for path in ENVIRONMENTS_DIR.glob("*.yaml"):
        (tmp_path / path.name).write_text(path.read_text())
    return tmp_path


def _problems(directory: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_environments(directory)
    return caught.value.problems


def test_a_team_service_account_that_spells_an_add_on_role_is_refused(tmp_path: Path) -> None:
    d = _copy_all(tmp_path)
    raw = yaml.safe_load((d / "dev.yaml").read_text())
    raw["teams"]["external"] = {
        "namespaces": {"external": {}},
        "admins": ["arn:aws:iam::111111111111:role/external-leads"],
        "network_policy": {"enabled": False},
        "service_accounts": {"dns": {"namespace": "external"}},
    }
    (d / "dev.yaml").write_text(yaml.safe_dump(raw))
    found = [p for p in _problems(d) if "dev-eks-external-dns" in p]
    assert len(found) == 1, _problems(d)
    assert "add-on external-dns" in found[0] and "team external's service account dns" in found[0]


def test_a_copy_of_an_environment_with_only_its_name_changed_is_refused(tmp_path: Path) -> None:
    d = _copy_all(tmp_path)
    raw = yaml.safe_load((d / "dev.yaml").read_text())
    raw["name"] = "qa"
    (d / "qa.yaml").write_text(yaml.safe_dump(raw))
    problems = _problems(d)
    assert any(p.startswith("environments/qa.yaml") or "qa.yaml" in p for p in problems)
    assert any("S3 bucket name 'acme-platform-dev-tfstate'" in p and "dev-state: state bucket" in p and "qa-state: state bucket" in p for p in problems), (
        problems
    )
    if raw.get("ci", {}).get("create_oidc_provider", True):
        assert any("token.actions.githubusercontent.com" in p for p in problems), problems


def test_the_shipped_environments_claim_no_name_twice() -> None:
    assert load_environments()


def test_every_kms_alias_the_stacks_declare_is_a_checked_name(tmp_path: Path) -> None:
    """KMS alias names are unique per account and Region (CreateAlias: AlreadyExistsException,
    AWS KMS API Reference): each alias the synthesized JSON declares is one the load-time rule
    knows, in that scope."""
    from environments.physical_names import owned
    from tests.conftest import Synth, run_main

    env = next(e for e in load_environments() if e.name == "prod")
    proc = run_main(tmp_path / "out", only="prod")
    assert proc.returncode == 0, proc.stderr
    synth = Synth(tmp_path / "out")
    declared = {body["name"] for stack in synth.stack_names for body in synth.resources(stack, "aws_kms_alias").values()}
    assert len(declared) >= 3, declared  # state, cluster and flow-logs keys
    listed = {name for scope, name, _ in owned(env) if scope == f"KMS alias (account {env.account_id}, {env.region})"}
    assert listed == declared


def test_two_environments_claiming_one_kms_alias_in_an_account_and_region_are_refused() -> None:
    from environments.physical_names import problems

    base = {e.name: e for e in load_environments()}["dev"]
    # the same alias in another Region is another alias; in the same Region it is refused
    other_region = base.model_copy(update={"name": "qa", "region": "eu-central-1"})
    assert not [p for p in problems([("dev.yaml", base), ("qa.yaml", other_region)]) if "KMS alias" in p]
    twin = base.model_copy(update={"name": "qa"})
    found = [p for p in problems([("dev.yaml", base), ("qa.yaml", twin)]) if "KMS alias" in p]
    assert any("alias/acme-platform-dev-tfstate-state" in p and p.startswith("qa.yaml") for p in found), found
