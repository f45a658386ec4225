"""The add-on registry's own rules (catalog/addons/registry.py), each on its message: options given
already typed, a missing option, a team namespace that belongs to an add-on, a dependency cycle.

Pure config, no synth. Expectations come from the environment file (dev.yaml read as YAML) and the
upstream projects' namespaces (tests/addon_facts.py), not from the registry's own tables.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from pydantic import Field

from catalog.addons import registry
from catalog.addons.base import Addon, Options
from catalog.addons.metrics_server import MetricsServerOptions
from catalog.namespaces import KUBERNETES_BUILT_IN
from tests.addon_facts import RELEASES
from tests.config.test_config import DEV, problems_for

# -- parse_options ---------------------------------------------------------------------------------


def test_options_given_already_typed_are_kept_and_the_rest_still_parsed() -> None:
    """Options a caller passes as models (the schema re-validating a loaded file) are kept as they
    are, and the add-ons after them are still parsed."""
    typed = MetricsServerOptions(replicas=3)
    parsed = registry.parse_options({"metrics-server": typed, "loki": {"mode": "Monolithic"}, "external-dns": None})
    assert list(parsed) == ["external-dns", "loki", "metrics-server"]
    assert parsed["metrics-server"] is typed
    assert parsed["loki"].mode == "Monolithic"
    assert parsed["external-dns"] == registry.BY_NAME["external-dns"].options_model()


def test_a_bad_option_names_the_field_and_echoes_the_value() -> None:
    with pytest.raises(ValueError) as caught:
        registry.parse_options({"metrics-server": {"replica": 2}})
    assert str(caught.value) == "addons.metrics-server.replica: Extra inputs are not permitted; got 2"


class _ZoneOptions(Options):
    zone: str = Field(pattern=r"^[a-z]+$")


class _NeedsZone(Addon):
    name: ClassVar[str] = "needs-zone"
    namespace: ClassVar[str] = "needs-zone"
    options_model: ClassVar[type[Options]] = _ZoneOptions


def test_a_missing_option_is_named_without_an_input_to_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    """No shipped add-on has a required option today; one that does must be reported as missing,
    not with the whole options mapping echoed as the "value"."""
    monkeypatch.setitem(registry.BY_NAME, _NeedsZone.name, _NeedsZone())
    with pytest.raises(ValueError) as caught:
        registry.parse_options({"needs-zone": {}})
    assert str(caught.value) == "addons.needs-zone.zone: Field required"
    with pytest.raises(ValueError) as caught:
        registry.parse_options({"needs-zone": {"zone": "EU"}})
    assert str(caught.value) == "addons.needs-zone.zone: String should match pattern '^[a-z]+$'; got 'EU'"


# -- check_environment: a team namespace owned by an add-on ------------------------------------------


def _team(namespace: str) -> Any:
    team = next(iter(DEV["teams"]))
    return team, lambda d: d["teams"][team]["namespaces"].update({namespace: {}})


@pytest.mark.parametrize("addon", sorted(n for n, (_, ns) in RELEASES.items() if ns not in KUBERNETES_BUILT_IN))
def test_a_team_namespace_that_is_an_addons_is_refused_enabled_or_not(tmp_path: Path, addon: str) -> None:
    """Each add-on's upstream namespace (its install instructions), whether dev enables it or not."""
    namespace = RELEASES[addon][1]
    team, change = _team(namespace)
    problems = problems_for(tmp_path, change)
    expected = f"environments/dev.yaml: teams.{team}.namespaces.{namespace}: namespace {namespace!r} belongs to add-on {addon!r}"
    assert expected in problems, problems


def test_a_system_namespace_is_left_to_the_teams_own_rule(tmp_path: Path) -> None:
    """kube-system holds many add-ons; the teams' rule refuses it as a system namespace, and the
    registry does not report it a second time as an add-on's."""
    team, change = _team("kube-system")
    problems = problems_for(tmp_path, change)
    assert problems and not [p for p in problems if "belongs to add-on" in p], problems
    assert any(f"teams.{team}.namespaces" in p for p in problems), problems


# -- enabled: dependency order and cycles -----------------------------------------------------------


def test_a_dependency_cycle_names_the_addons_in_it(monkeypatch: pytest.MonkeyPatch) -> None:
    class First(Addon):
        name = "first"

    class Second(Addon):
        name = "second"
        after = (First,)

    class Third(Addon):
        name = "third"

    First.after = (Second,)  # first after second after first
    addons = (Third(), First(), Second())
    monkeypatch.setattr(registry, "ADDONS", addons)
    monkeypatch.setattr(registry, "BY_CLASS", {type(a): a for a in addons})
    env = SimpleNamespace(addons={"first": Options(), "second": Options(), "third": Options()})
    with pytest.raises(ValueError) as caught:
        registry.enabled(env)  # type: ignore[arg-type]
    assert str(caught.value) == "add-on dependency cycle among first, second"
    First.after = ()
    assert [a.name for a, _ in registry.enabled(env)] == ["third", "first", "second"]  # type: ignore[arg-type]
