"""Add-on configuration: validated while environment files load, before any construct exists.

Pure config tests: no cdktf is imported, so they run in milliseconds.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from catalog.addons import registry  # noqa: E402
from catalog.addons.base import Addon  # noqa: E402
from environments import ConfigError, load_environments  # noqa: E402

ADDON_FILES = sorted(
    p.stem.replace("_", "-") for p in (ROOT / "catalog" / "addons").glob("*.py") if p.stem not in {"__init__", "base", "registry", "kube_versions"}
)


def _write_env(directory: Path, addons: object, **changes: object) -> Path:
    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    raw["addons"] = addons
    raw.pop("teams", None)  # teams need external-secrets; these tests choose the add-ons freely
    raw.update(changes)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "dev.yaml").write_text(yaml.safe_dump(raw))
    return directory


def _problems(tmp_path: Path, addons: object, **changes: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_environments(_write_env(tmp_path / "envs", addons, **changes))
    return caught.value.problems


def test_registry_has_one_addon_per_file_the_thirteen_of_the_issue_headlamp_and_alloy() -> None:
    assert registry.known_names() == ADDON_FILES
    assert len(ADDON_FILES) == 15 and {"headlamp", "alloy"} <= set(ADDON_FILES)


def test_unknown_addon_fails_at_load_naming_file_field_and_known_names(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"external-dns": {}, "lokki": {}})
    assert len(problems) == 1
    file, field, message = problems[0].split(": ", 2)
    assert file.endswith("dev.yaml") and field == "addons.lokki"
    assert message == f"unknown add-on 'lokki'; known: {', '.join(ADDON_FILES)}"


def test_misspelt_or_invalid_option_names_its_path(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, {"external-dns": {"polcy": "sync"}})
    assert problem.split(": ")[1] == "addons.external-dns.polcy"
    [problem] = _problems(tmp_path, {"aws-ebs-csi-driver": {}, "loki": {"mode": "Distributed"}})
    assert problem.split(": ")[1] == "addons.loki.mode" and "'Distributed'" in problem


def test_required_addon_missing_is_an_error(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, {"tempo": {}})
    assert problem.split(": ", 2)[1:] == ["addons.tempo", "requires add-on 'aws-ebs-csi-driver', which is not enabled"]


def test_addons_needing_environment_facts_fail_without_them(tmp_path: Path) -> None:
    [problem] = _problems(tmp_path, {"external-dns": {}}, dns=None)
    assert problem.split(": ")[1] == "addons.external-dns" and "dns" in problem
    [problem] = _problems(tmp_path / "efs", {"aws-efs-csi-driver": {}}, storage={"efs": False})
    assert problem.split(": ")[1] == "addons.aws-efs-csi-driver" and "storage.efs" in problem


def test_options_are_typed_and_defaults_apply(tmp_path: Path) -> None:
    [env] = load_environments(_write_env(tmp_path / "envs", {"aws-node-termination-handler": None, "external-dns": {"policy": "sync"}}))
    assert env.addons["aws-node-termination-handler"].mode == "queue"
    assert env.addons["external-dns"].policy == "sync"
    assert list(env.addons) == sorted(env.addons)


def test_dependencies_are_registered_classes_and_order_respects_them(tmp_path: Path) -> None:
    for addon in registry.ADDONS:
        for dependency in (*addon.requires, *addon.after):
            assert isinstance(dependency, type) and issubclass(dependency, Addon), (addon.name, dependency)
            assert dependency in registry.BY_CLASS, f"{addon.name} depends on unregistered {dependency.__name__}"
    # Every add-on with default options; Grafana's admin password needs the store to serve `monitoring`.
    every = {name: {} for name in ADDON_FILES} | {"external-secrets": {"store_namespaces": ["monitoring"]}}
    [env] = load_environments(_write_env(tmp_path / "envs", every))
    order = [a.name for a, _ in registry.enabled(env)]
    assert sorted(order) == ADDON_FILES
    for addon, _ in registry.enabled(env):
        for dependency in (*addon.requires, *addon.after):
            assert order.index(registry.BY_CLASS[dependency].name) < order.index(addon.name)


def test_checked_in_environments_enable_valid_subsets(environments: dict) -> None:
    for name in ("dev", "staging", "prod"):
        assert set(environments[name].addons) <= set(ADDON_FILES)
    assert set(environments["prod"].addons) == set(ADDON_FILES)
    assert environments["dev"].addons["loki"].mode == "Monolithic"


def test_load_balancer_policy_is_the_official_document_for_the_pinned_version() -> None:
    from tests.conftest import require_reference

    reference = require_reference("iam", "aws-load-balancer-controller_iam_policy_v3.5.0.json")
    from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController, official_statements

    assert AwsLoadBalancerController.chart.version == "3.5.0"  # the file name's version
    assert list(official_statements()) == json.loads(reference.read_text())["Statement"]
    # The copy in the repository, byte for byte as JSON: what the synthesized-policy test reads.
    copy = ROOT / "catalog" / "addons" / "policies" / reference.name
    assert json.loads(copy.read_text()) == json.loads(reference.read_text())
