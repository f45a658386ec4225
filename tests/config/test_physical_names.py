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
