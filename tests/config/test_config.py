"""Environment files: what is accepted, and how each kind of bad input is reported.

Pure config tests: they import no cdktf (checked in a subprocess below) and run in milliseconds.
"""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from environments import ENVIRONMENTS_DIR, ConfigError, load_environments, parse_environment

ROOT = Path(__file__).resolve().parents[2]
DEV = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())


def write_env(directory: Path, mutate: Callable[[dict[str, Any]], None] = lambda d: None, *, file: str = "dev.yaml") -> Path:
    data = copy.deepcopy(DEV)
    mutate(data)
    path = directory / file
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def problems_for(tmp_path: Path, mutate: Callable[[dict[str, Any]], None]) -> list[str]:
    path = write_env(tmp_path, mutate)
    with pytest.raises(ConfigError) as caught:
        parse_environment(path, "environments/dev.yaml")
    return caught.value.problems


def test_shipped_environments_load_with_realistic_differences() -> None:
    envs = {e.name: e for e in load_environments()}
    assert {"dev", "staging", "prod"} <= set(envs)
    dev, prod = envs["dev"], envs["prod"]
    assert dev.network.nat_gateways == "single" and prod.network.nat_gateways == "one_per_az"
    assert not dev.network.flow_logs and prod.network.flow_logs
    assert any(g.capacity == "SPOT" for g in dev.cluster.node_groups.values())
    assert prod.cluster.endpoint_public_access is False
    prod_nodes = sum(g.desired_size for g in prod.cluster.node_groups.values())
    dev_nodes = sum(g.desired_size for g in dev.cluster.node_groups.values())
    assert prod_nodes > dev_nodes


def test_models_are_frozen() -> None:
    env = load_environments(only=["dev"])[0]
    with pytest.raises(Exception, match="frozen"):
        env.network.flow_logs = True  # type: ignore[misc]


@pytest.mark.parametrize(
    ("mutate", "field", "expected"),
    [
        pytest.param(lambda d: d["network"].update(nat_gatways="single"), "network.nat_gatways", "Extra inputs are not permitted", id="unknown-key"),
        pytest.param(lambda d: d.update(colour="blue"), "colour", "Extra inputs are not permitted", id="unknown-top-level-key"),
        pytest.param(lambda d: d["network"].update(flow_logs="sometimes"), "network.flow_logs", "valid boolean", id="wrong-type"),
        pytest.param(
            lambda d: d["cluster"]["node_groups"]["system"].update(min_size="two"), "cluster.node_groups.system.min_size", "valid integer", id="wrong-type-int"
        ),
        pytest.param(
            lambda d: d["network"].update(private_subnets=["10.10.32.0/19", "10.99.64.0/19"]),
            "network.private_subnets.1",
            "10.99.64.0/19 is not inside vpc_cidr 10.10.0.0/16",
            id="cidr-outside-vpc",
        ),
        pytest.param(
            lambda d: d["network"].update(private_subnets=["10.10.0.0/19", "10.10.64.0/19"]),
            "network.private_subnets.0",
            "overlaps public_subnets.0 10.10.0.0/22",
            id="overlapping-subnets",
        ),
        pytest.param(lambda d: d["network"].update(vpc_cidr="10.10.0.1/16"), "network.vpc_cidr", "host bits", id="cidr-host-bits"),
        pytest.param(
            lambda d: d["network"].update(availability_zones=["eu-west-1a"], public_subnets=["10.10.0.0/22"], private_subnets=["10.10.32.0/19"]),
            "network.availability_zones",
            "at least 2 items",
            id="fewer-than-two-azs",
        ),
        pytest.param(
            lambda d: d["network"].update(availability_zones=["eu-west-1a", "us-east-1b"]),
            "network.availability_zones.1",
            "'us-east-1b' is not a zone of region eu-west-1",
            id="az-not-in-region",
        ),
        pytest.param(
            lambda d: d["network"].update(public_subnets=["10.10.0.0/22"]),
            "network.public_subnets",
            "one subnet per availability zone (2), got 1",
            id="subnet-count",
        ),
        pytest.param(
            lambda d: d["cluster"]["node_groups"]["spot"].update(min_size=3, desired_size=1),
            "cluster.node_groups.spot",
            "need min_size <= desired_size <= max_size, got 3 <= 1 <= 5",
            id="min-gt-desired",
        ),
        pytest.param(
            lambda d: d["cluster"]["node_groups"]["spot"].update(desired_size=9),
            "cluster.node_groups.spot",
            "got 0 <= 9 <= 5",
            id="desired-gt-max",
        ),
        pytest.param(lambda d: d.update(account_id="12345"), "account_id", "should match pattern", id="malformed-account-id"),
        pytest.param(lambda d: d.update(account_id=111111111111), "account_id", 'write it in quotes, account_id: "111111111111"', id="account-id-not-quoted"),
        pytest.param(
            lambda d: d["cluster"]["access_entries"][0].update(role_arn="arn:aws:iam::111111111111:user/alice"),
            "cluster.access_entries.0.role_arn",
            "is not an IAM role ARN",
            id="malformed-role-arn",
        ),
        pytest.param(
            lambda d: d["cluster"]["node_groups"]["spot"]["taints"][0].update(effect="NoSchedule"),
            "cluster.node_groups.spot.taints.0.effect",
            "'NO_SCHEDULE', 'NO_EXECUTE' or 'PREFER_NO_SCHEDULE'",
            id="bad-taint-effect",
        ),
        pytest.param(lambda d: d.update(region="europe"), "region", "not an AWS region name", id="bad-region"),
        pytest.param(lambda d: d["cluster"].update(version="1.29"), "cluster.version", "'1.32', '1.33', '1.34', '1.35' or '1.36'", id="unsupported-version"),
        pytest.param(lambda d: d["cluster"].update(version=1.33), "cluster.version", 'write it in quotes, version: "1.33"', id="version-not-quoted"),
        pytest.param(
            lambda d: d["cluster"].update(public_access_cidrs=[]),
            "cluster.public_access_cidrs",
            "needs at least one allowed CIDR",
            id="public-endpoint-without-cidrs",
        ),
        pytest.param(lambda d: d.pop("state_backend"), "state_backend", "Field required", id="missing-field"),
        pytest.param(
            lambda d: d["cluster"]["access_entries"].append(dict(d["cluster"]["access_entries"][0])),
            "cluster.access_entries",
            "listed more than once",
            id="duplicate-access-entry",
        ),
    ],
)
def test_bad_input_names_file_field_and_expectation(tmp_path: Path, mutate: Callable[[dict[str, Any]], None], field: str, expected: str) -> None:
    problems = problems_for(tmp_path, mutate)
    assert any(p.startswith(f"environments/dev.yaml: {field}: ") and expected in p for p in problems), problems


def test_error_shows_the_value_given(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, lambda d: d["network"].update(nat_gateways="two"))
    assert problems == ["environments/dev.yaml: network.nat_gateways: Input should be 'single' or 'one_per_az'; got 'two'"]


def test_duplicate_environment_names_across_files(tmp_path: Path) -> None:
    write_env(tmp_path, file="dev.yaml")
    write_env(tmp_path, file="dev-copy.yaml")
    with pytest.raises(ConfigError) as caught:
        load_environments(tmp_path)
    # the copy is blamed, although it sorts first
    expected = f"{tmp_path / 'dev-copy.yaml'}: name: environment name 'dev' is already used by {tmp_path / 'dev.yaml'}"
    assert expected in caught.value.problems, caught.value.problems


def test_every_broken_file_is_reported_not_just_the_first(tmp_path: Path) -> None:
    write_env(tmp_path, lambda d: d.update(account_id="1"), file="a.yaml")
    write_env(tmp_path, lambda d: (d.update(name="b"), d.update(region="nowhere")), file="b.yaml")
    with pytest.raises(ConfigError) as caught:
        load_environments(tmp_path)
    joined = "\n".join(caught.value.problems)
    assert "a.yaml: account_id:" in joined and "b.yaml: region:" in joined


def test_duplicate_yaml_key_is_an_error_not_last_wins(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text((ENVIRONMENTS_DIR / "dev.yaml").read_text() + "\nregion: us-east-1\n")
    with pytest.raises(ConfigError, match="duplicate key 'region'"):
        parse_environment(path)


def test_unparseable_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text("name: dev\nnetwork: [unclosed\n")
    with pytest.raises(ConfigError, match=r"dev.yaml:2:\d+: not valid YAML"):
        parse_environment(path)


def test_only_rejects_an_unknown_environment() -> None:
    """The name asked for is no file in environments/ (whatever files a user added), and the
    message lists the files that are there."""
    files = sorted(p.stem for p in ENVIRONMENTS_DIR.glob("*.yaml"))
    unknown = next(n for n in ("qa", "uat", "sandbox", "nosuch") if n not in files)
    with pytest.raises(ConfigError, match=f"unknown environment '{unknown}'; known: {', '.join(files)}$"):
        load_environments(only=[unknown])


def test_loading_config_imports_no_cdktf() -> None:
    code = (
        "import sys; sys.path.insert(0, '.');"
        "from environments import load_environments; load_environments();"
        # jsii, cdktf or any provider submodule; the cheap-import stubs of the provider packages
        # themselves (registered, never executed) are allowed.
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('cdktf', 'jsii', 'constructs')"
        " or (m.startswith('cdktf_cdktf_provider_') and '.' in m)];"
        "assert not heavy, heavy"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
