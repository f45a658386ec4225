"""The Pod Security evaluator agrees with upstream: every ``pass/`` fixture of
k8s.io/pod-security-admission (test/testdata/<level>/v1.35, vendored with its commit and license in
``psa_fixtures/``) is admitted at its level and every ``fail/`` fixture is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools.examples import psa

FIXTURES = Path(__file__).parent / "psa_fixtures"
CASES = sorted(FIXTURES.glob("*/v*/*/*.yaml"))


def test_fixtures_are_vendored() -> None:
    # both levels, both outcomes: a missing folder would make the parametrized test vacuous
    assert {(p.parts[-4], p.parts[-2]) for p in CASES} == {(lvl, o) for lvl in ("baseline", "restricted") for o in ("pass", "fail")}
    assert len(CASES) > 100


@pytest.mark.parametrize("path", CASES, ids=lambda p: "/".join(p.parts[-4:]))
def test_upstream_fixture(path: Path) -> None:
    level, version, outcome = path.parts[-4], path.parts[-3], path.parts[-2]
    pod = yaml.safe_load(path.read_text())
    found = psa.violations(pod["spec"], (pod.get("metadata") or {}).get("annotations"), level=level, version=version)
    if outcome == "pass":
        assert found == [], f"{path.name} should pass {level} {version}: {found}"
    else:
        assert found, f"{path.name} should fail {level} {version}"


def test_unimplemented_version_is_refused() -> None:
    with pytest.raises(psa.UnsupportedVersion, match="1.30"):
        psa.violations({"containers": []}, level="restricted", version="v1.30")
