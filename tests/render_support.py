"""Session fixtures for the render tests: Helm, the chart archives, every environment rendered once."""

from __future__ import annotations

from pathlib import Path

import pytest

from environments import EnvironmentConfig, load_environments
from tests.conftest import Synth, missing_prerequisite
from tools.render.charts import ChartMissing, search_dirs
from tools.render.checks import Context
from tools.render.environment import EnvironmentRender, environment_releases, render_environment
from tools.render.helm import HelmMissing, find_helm

# Every environment file with add-ons, a user's new file included (read at collection time).
ADDON_ENVIRONMENTS = sorted(e.name for e in load_environments() if e.addons)


def helm_or_skip() -> Path:
    try:
        return find_helm()
    except HelmMissing as exc:
        missing_prerequisite(f"Helm not available: {exc}")


def render_or_skip(helm: Path, env: EnvironmentConfig, outdir: Path, **kwargs) -> EnvironmentRender:
    try:
        return render_environment(helm, env, outdir, search_dirs(), **kwargs)
    except ChartMissing as exc:
        missing_prerequisite(f"chart archive missing: {exc}")


@pytest.fixture(scope="session")
def helm() -> Path:
    return helm_or_skip()


@pytest.fixture(scope="session")
def rendered(helm: Path, synth: Synth, environments: dict[str, EnvironmentConfig]) -> dict[str, EnvironmentRender]:
    """Every environment with add-ons, rendered from the session's synth (written under its outdir)."""
    return {name: render_or_skip(helm, environments[name], synth.outdir) for name in ADDON_ENVIRONMENTS}


def context(result: EnvironmentRender) -> Context:
    return Context(result.env, result.rendered, result.synth)


__all__ = ["ADDON_ENVIRONMENTS", "context", "environment_releases", "helm", "helm_or_skip", "render_or_skip", "rendered"]
