"""Karpenter's pinned AMI alias must be a release that has AMIs for the cluster's Kubernetes minor:
an amazon-eks-ami release (al2023@vYYYYMMDD) built before EKS released a minor has none for it, and
the EC2NodeClass never becomes ready after a cluster.version bump."""

from __future__ import annotations

import pytest

from tests.config.test_karpenter_config import STAGING, problems_for


def _with(version: str, alias: str):  # type: ignore[no-untyped-def]
    def mutate(d):  # type: ignore[no-untyped-def]
        d["cluster"]["version"] = version
        d["karpenter"]["ami_alias"] = alias

    return mutate


@pytest.mark.parametrize(
    ("version", "alias"),
    [("1.35", "al2023@v20251215"), ("1.34", "al2023@v20250901")],
    ids=["1.35-alias-before-its-eks-release", "1.34-alias-before-its-eks-release"],
)
def test_an_alias_older_than_the_minor_is_refused_naming_both(tmp_path, version: str, alias: str) -> None:  # type: ignore[no-untyped-def]
    problems = problems_for(tmp_path, _with(version, alias))
    assert any("karpenter.ami_alias" in p and alias in p and f"Kubernetes {version}" in p for p in problems), problems


def test_an_alias_from_after_the_minor_release_is_accepted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import copy

    import yaml

    from environments.loader import parse_environment

    data = copy.deepcopy(STAGING)
    _with("1.35", "al2023@v20260818")(data)
    path = tmp_path / "env.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    assert parse_environment(path).karpenter.ami_alias == "al2023@v20260818"


def test_the_shipped_aliases_fit_their_clusters(environments) -> None:  # type: ignore[no-untyped-def]
    from environments.karpenter import alias_problem

    for env in environments.values():
        if env.karpenter is not None:
            assert alias_problem(env.karpenter.ami_alias, env.cluster.version) is None
