"""The floors load without what sits above them: the catalog (platform facts and add-on specs) and
the config layer import no cdktf, no provider package and nothing of modules/, stacks/ or tools/, so
``load_environments()`` works in an interpreter that has only pydantic and PyYAML."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

# A meta-path finder that refuses every package the two floors must not need: the cdktf and jsii
# runtime, the provider bindings, and the floors above (their import is the failure, not a skip).
_BARE = """
import sys
FORBIDDEN = ("cdktf", "cdktf_cdktf_provider_aws", "cdktf_cdktf_provider_helm", "cdktf_cdktf_provider_kubernetes",
             "constructs", "jsii", "modules", "stacks", "tools", "main")
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN:
            raise ImportError(f"the config floor imported {name}")
        return None
sys.meta_path.insert(0, Refuse())
sys.path.insert(0, ".")
"""


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run([sys.executable, "-c", _BARE + code], cwd=ROOT, capture_output=True, text=True, check=False, env=env)


def test_every_environment_loads_without_cdktf_or_the_floors_above() -> None:
    proc = _run("from environments import load_environments\nenvs = load_environments()\nprint(len(envs))")
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) >= 1


def test_the_catalog_and_its_registry_import_without_side_effects() -> None:

    proc = _run(
        "import os\nbefore = dict(os.environ)\n"
        "import catalog.addons.registry, catalog.karpenter.addon, catalog.karpenter.policy, catalog.instances, catalog.namespaces\n"
        "assert dict(os.environ) == before, 'importing the catalog changed the environment'\n"
        "print(len(catalog.addons.registry.ADDONS))"
    )
    assert proc.returncode == 0, proc.stderr
    assert int(proc.stdout.strip()) > 0


def test_the_refusal_itself_fires() -> None:
    """The guard above must be able to fail: importing a construct module is refused."""
    proc = _run("import modules.shared.kms")
    assert proc.returncode != 0
    assert "the config floor imported modules" in proc.stderr
