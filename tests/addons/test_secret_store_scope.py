"""The environment-wide ClusterSecretStore (every parameter under ``/<env>``) serves only
the namespaces the environment file lists, never a team's or an add-on's.

Which namespaces a store serves is judged here by a re-statement of External Secrets' own rule
(pkg/controllers/secretstore/client_manager.go, ``validateNamespaceConditions``, v2.x): no
conditions serves every namespace; otherwise a namespace is served when, in any condition, its
``namespaceSelector``, one of its ``namespaces`` (matched as the label
``kubernetes.io/metadata.name``) or one of its ``namespaceRegexes`` matches. Expectations come from
the environment files read as plain YAML.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.addons.base import ClusterSide
from catalog.addons.registry import ADDONS, BY_NAME
from environments import ConfigError, load_environments
from tests.conftest import ROOT

TEAM_LABEL = "platform.example.com/team"  # what modules/teams/kubernetes.py puts on every team namespace
SHIPPED = sorted(p.stem for p in (ROOT / "environments").glob("*.yaml"))


def _selector_matches(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions are ANDed)."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


def store_serves(spec: dict[str, Any], namespace: str, labels: dict[str, str]) -> bool:
    conditions = spec.get("conditions") or []
    if not conditions:
        return True
    labels = {**labels, "kubernetes.io/metadata.name": namespace}
    for condition in conditions:
        selectors = [condition["namespaceSelector"]] if "namespaceSelector" in condition else []
        selectors += [{"matchLabels": {"kubernetes.io/metadata.name": n}} for n in condition.get("namespaces", [])]
        if any(_selector_matches(s, labels) for s in selectors):
            return True
        if any(re.search(r, namespace) for r in condition.get("namespaceRegexes", [])):
            return True
    return False


def test_the_rule_itself() -> None:
    """The re-statement above, on the cases External Secrets documents."""
    assert store_serves({}, "anything", {})
    assert store_serves({"conditions": [{"namespaces": ["a"]}]}, "a", {})
    assert not store_serves({"conditions": [{"namespaces": ["a"]}]}, "b", {})
    assert not store_serves({"conditions": [{"namespaces": []}]}, "a", {})
    dne = {"conditions": [{"namespaceSelector": {"matchExpressions": [{"key": "t", "operator": "DoesNotExist"}]}}]}
    assert store_serves(dne, "default", {}) and not store_serves(dne, "x", {"t": "team"})


def _store(env: Any) -> dict[str, Any] | None:
    addon = BY_NAME["external-secrets"]
    ctx = ClusterSide(env=env, options=env.addons["external-secrets"], cluster_name=env.name)
    resources = addon.custom_resources(ctx)
    if resources is None:
        return None
    [store] = resources.manifests
    assert store["kind"] == "ClusterSecretStore"
    return store


@pytest.fixture(scope="module")
def shipped() -> dict[str, Any]:
    return {e.name: e for e in load_environments()}


@pytest.mark.parametrize("name", SHIPPED)
def test_store_serves_exactly_the_listed_namespaces(name: str, shipped: dict[str, Any]) -> None:
    raw = yaml.safe_load((ROOT / "environments" / f"{name}.yaml").read_text())
    listed = (raw.get("addons", {}).get("external-secrets") or {}).get("store_namespaces", [])
    assert listed, f"{name}.yaml lists no store_namespaces: the test needs a shipped store to judge"
    store = _store(shipped[raw["name"]])
    assert store is not None
    spec = store["spec"]
    for ns in listed:
        assert store_serves(spec, ns, {}), f"{name}: listed namespace {ns} is not served"
    teams = raw.get("teams") or {}
    for team, body in teams.items():
        for ns in body["namespaces"]:
            assert not store_serves(spec, ns, {TEAM_LABEL: team}), f"{name}: team namespace {ns} reads all of /{raw['name']}"
    others = {"default", "kube-system", *(a.namespace for a in ADDONS)} - set(listed)
    for ns in sorted(others):
        assert not store_serves(spec, ns, {}), f"{name}: unlisted namespace {ns} reads all of /{raw['name']}"


def _write(tmp: Path, mutate: Any) -> Path:
    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    mutate(raw)
    (tmp / "dev.yaml").write_text(yaml.safe_dump(raw))
    return tmp


def test_no_listed_namespace_means_no_store(tmp_path: Path) -> None:
    directory = _write(tmp_path, lambda raw: raw["addons"].update({"external-secrets": {}}))
    [env] = load_environments(directory)
    assert _store(env) is None


@pytest.mark.parametrize(
    ("namespaces", "field", "says"),
    [
        (["apps", "web"], "store_namespaces.1", "belongs to team 'web'"),
        (["apps", "apps"], "store_namespaces.1", "listed twice"),
        (["Not_A_Name"], "store_namespaces.0", "should match pattern"),
    ],
)
def test_bad_store_namespaces_name_file_and_field(tmp_path: Path, namespaces: list[str], field: str, says: str) -> None:
    directory = _write(tmp_path, lambda raw: raw["addons"].update({"external-secrets": {"store_namespaces": namespaces}}))
    with pytest.raises(ConfigError) as exc:
        load_environments(directory)
    [problem] = exc.value.problems
    assert "dev.yaml" in problem and field in problem and says in problem, problem
