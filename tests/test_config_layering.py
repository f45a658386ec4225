"""environments/ depends on nothing above it: the schema and its sections import no module of
modules/, and the loader composes the schema with the add-on catalog (which refers to the schema)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from environments import ENVIRONMENTS_DIR, ConfigError, parse_environment
from environments.schema import ADDON_CATALOG, EnvironmentConfig
from tests.conftest import ROOT


def test_schema_and_sections_import_nothing_above_environments() -> None:
    code = (
        "import sys; sys.path.insert(0, '.');"
        "import environments.schema, environments.teams, environments.schema_base, environments.instance_types;"
        "above = sorted(m for m in sys.modules if m.split('.')[0] in ('modules', 'stacks', 'tools', 'main'));"
        "assert not above, above"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_the_loader_passes_the_catalog_and_a_caller_may_pass_another(tmp_path: Path) -> None:
    raw = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())
    with pytest.raises(ValueError, match="validated without an add-on catalog"):
        EnvironmentConfig.model_validate(raw)

    class NoAddons:
        def parse_options(self, raw: object) -> dict[str, object]:
            raise ValueError("addons: this catalog offers none")

        def check_environment(self, env: object) -> list[str]:
            return []

    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match=r"dev.yaml: addons: this catalog offers none"):
        parse_environment(path, addons=NoAddons())
    env = parse_environment(path)
    assert env.addons["external-dns"].policy == "sync"
    assert EnvironmentConfig.model_validate(raw, context={ADDON_CATALOG: __import__("modules.addons.registry", fromlist=["_"])}) == env
