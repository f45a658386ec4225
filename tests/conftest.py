"""Shared fixtures: every environment is synthesized once per test session, in a subprocess.

The subprocess runs ``main.py`` exactly as ``make synth`` does, so the tests assert on the product's
contract (the Terraform JSON) and the test process itself never starts jsii.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import pytest

# The render fixtures (``helm``, ``rendered``) for every test that names them.
pytest_plugins = ["tests.render_support"]

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from environments import EnvironmentConfig, load_environments  # noqa: E402


def run_main(
    outdir: Path, *, env_dir: Path | None = None, only: str | None = None, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PLATFORM_OUTDIR=str(outdir), PLATFORM_QUIET="1")
    if env_dir is not None:
        env["PLATFORM_ENVIRONMENTS_DIR"] = str(env_dir)
    if only is not None:
        env["PLATFORM_ENVIRONMENTS"] = only
    env.update(extra_env or {})
    return subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def in_ci() -> bool:
    """``CI=true`` (GitHub Actions and most CI systems set it)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing_prerequisite(reason: str) -> NoReturn:
    """A test cannot run because a tool or input is missing on this machine (Terraform, the
    provider mirror, Helm, chart archives, reference files, checkov): a skip with the reason
    printed (``-ra``) on a developer machine; with ``CI=true`` a failure, so a CI image that lost a
    tool cannot stay green by skipping everything that uses it."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A ``ci_only`` test (a slow proof, e.g. tests/stacks/test_fast_import.py) runs in CI
    (``CI=true``, where ``make test`` still fails on it) or when its file is named on the command
    line; a local ``make test`` skips it with the reason shown (``-ra``)."""
    if in_ci():
        return
    named = {Path(arg.split("::")[0]).resolve() for arg in config.args}
    for item in items:
        marker = item.get_closest_marker("ci_only")
        if marker is not None and Path(str(item.path)).resolve() not in named:
            reason = marker.kwargs.get("reason", "slow")
            item.add_marker(
                pytest.mark.skip(reason=f"ci_only ({reason}): runs with CI=true, or name its file: pytest {Path(str(item.path)).relative_to(ROOT)}")
            )


@dataclass
class Synth:
    """The synthesized output of one run of main.py."""

    outdir: Path
    _cache: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def stack_names(self) -> list[str]:
        return sorted(p.parent.name for p in (self.outdir / "stacks").glob("*/cdk.tf.json"))

    def stack(self, name: str) -> dict[str, Any]:
        if name not in self._cache:
            self._cache[name] = json.loads((self.outdir / "stacks" / name / "cdk.tf.json").read_text())
        return self._cache[name]

    def resources(self, stack: str, type_: str) -> dict[str, dict[str, Any]]:
        """Logical name -> body of every ``type_`` resource in ``stack`` (empty when none)."""
        return self.stack(stack).get("resource", {}).get(type_, {})

    def one(self, stack: str, type_: str) -> dict[str, Any]:
        found = list(self.resources(stack, type_).values())
        assert len(found) == 1, f"expected one {type_} in {stack}, found {len(found)}"
        return found[0]

    def data(self, stack: str, type_: str) -> dict[str, dict[str, Any]]:
        return self.stack(stack).get("data", {}).get(type_, {})


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    proc = run_main(outdir)
    assert proc.returncode == 0, f"main.py failed:\n{proc.stdout}\n{proc.stderr}"
    return Synth(outdir)


# Reference facts vendored in the repository with their sources and sha256 (reference/README.md):
# official IAM documents and each pinned chart's Chart.yaml, values.yaml and values.schema.json.
REFERENCE = ROOT / "reference"


def require(present: object, what: str, how: str) -> None:
    """``missing_prerequisite("<what> not found: <how>")`` unless ``present``."""
    if not present:
        missing_prerequisite(f"{what} not found: {how}")


def require_reference(*parts: str) -> Path:
    """A path under the reference directory, or a skip (locally) / failure (CI) naming it."""
    path = REFERENCE.joinpath(*parts)
    require(path.exists(), f"reference file {path}", "it is part of the repository (reference/README.md): restore it from git")
    return path


def chart_archive(name: str, version: str) -> Path:
    """A pinned chart archive from ``make charts``' cache (or $PLATFORM_CHARTS_DIR), or a skip
    (locally) / failure (CI) saying how to get it."""
    from tools.render.charts import ChartMissing, find_chart, search_dirs

    try:
        return find_chart(name, version, search_dirs())
    except ChartMissing as exc:
        missing_prerequisite(str(exc))


@pytest.fixture(scope="session")
def tf_env() -> dict[str, str]:
    """Environment for offline Terraform with the local hashicorp/aws mirror; a visible skip on a
    machine without terraform or the mirror, a failure in CI."""
    from tools.terraform import terraform_env

    env = terraform_env()
    require(env is not None, "terraform or the local mirror of hashicorp/aws 5.100.0", "install terraform and the provider mirror (TF_PROVIDER_MIRROR)")
    assert env is not None
    return env


@pytest.fixture(scope="session")
def environments() -> dict[str, EnvironmentConfig]:
    return {env.name: env for env in load_environments()}


@pytest.fixture(scope="session")
def real_environments(environments: dict[str, EnvironmentConfig]) -> dict[str, EnvironmentConfig]:
    """The environments that deploy to AWS (not the local emulator)."""
    return {name: env for name, env in environments.items() if env.emulator is None}
