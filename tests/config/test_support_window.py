"""The Kubernetes minor's EKS support window, judged on a pinned date (never the calendar's today):
a version past standard support warns at load time and in the plan report, naming the end date and
the extra cost, unless ``cluster.upgrade_policy: EXTENDED`` chose it."""

from __future__ import annotations

from datetime import date

import pytest

from catalog.eks_versions import CLUSTER_VERSIONS, EXTENDED_EXTRA_PER_MONTH, SUPPORT_CALENDAR, support_warning

DEC_6_2026 = date(2026, 12, 6)


def test_every_offered_minor_has_a_support_window_with_its_source() -> None:
    assert set(SUPPORT_CALENDAR) == set(CLUSTER_VERSIONS)
    for window in SUPPORT_CALENDAR.values():
        assert window.end_of_standard < window.end_of_extended
        assert window.source.startswith("https://")


def test_the_extra_cost_is_the_price_difference_over_a_month() -> None:
    # $0.60 - $0.10 per cluster-hour, 730 hours a month (AWS's monthly convention).
    assert EXTENDED_EXTRA_PER_MONTH == pytest.approx(365.0)


@pytest.mark.parametrize(
    ("version", "status"),
    [("1.32", "extended"), ("1.33", "extended"), ("1.34", "extended"), ("1.35", "standard"), ("1.36", "standard")],
)
def test_the_calendar_as_of_december_6_2026(version: str, status: str) -> None:
    warning = support_warning(version, None, today=DEC_6_2026)
    assert (warning is not None) == (status == "extended")


def test_the_warning_names_the_end_date_and_the_cost() -> None:
    warning = support_warning("1.34", None, today=DEC_6_2026)
    assert warning is not None
    assert "2026-12-02" in warning and "$365" in warning and "upgrade_policy: EXTENDED" in warning


def test_extended_on_purpose_is_not_warned_about() -> None:
    assert support_warning("1.33", "EXTENDED", today=DEC_6_2026) is None
    assert support_warning("1.33", "STANDARD", today=DEC_6_2026) is not None


def test_the_last_day_of_standard_support_is_still_standard() -> None:
    end = SUPPORT_CALENDAR["1.34"].end_of_standard
    assert support_warning("1.34", None, today=end) is None
    assert support_warning("1.34", None, today=date.fromordinal(end.toordinal() + 1)) is not None


def test_every_shipped_environment_is_in_standard_support_on_december_6_2026(real_environments) -> None:  # type: ignore[no-untyped-def]
    warned = {name: w for name, env in real_environments.items() if (w := support_warning(env.cluster.version, env.cluster.upgrade_policy, today=DEC_6_2026))}
    assert not warned, warned


def test_shipped_environments_are_at_most_one_minor_apart_and_prod_is_not_ahead(real_environments) -> None:  # type: ignore[no-untyped-def]
    from catalog.eks_versions import minor_index

    minors = {name: minor_index(env.cluster.version) for name, env in real_environments.items()}
    assert max(minors.values()) - min(minors.values()) <= 1
    assert minors["prod"] == min(minors.values())


# --- the plan report and the load-time warning ---------------------------------------------------


def _cluster_plan(tmp_path, version: str, support_type: str | None, actions: list[str]):  # type: ignore[no-untyped-def]
    from tests.review.test_plan_report import plan_file, rc
    from tools.plan_report import load_plan

    after = {"name": "dev-eks", "version": version, "upgrade_policy": [{"support_type": support_type}] if support_type else []}
    return load_plan(
        "dev-cluster", plan_file(tmp_path, "dev-cluster", rc("aws_eks_cluster", "eks", actions, before=after if actions != ["create"] else None, after=after))
    )


@pytest.mark.parametrize("actions", [["no-op"], ["update"], ["create"]], ids=["unchanged", "update", "create"])
def test_the_plan_report_warns_about_a_cluster_past_standard_support(tmp_path, actions) -> None:  # type: ignore[no-untyped-def]
    from tools.plan_report import assess, render

    plan = _cluster_plan(tmp_path, "1.33", None, actions)
    risks = [r for r in assess([plan], today=DEC_6_2026) if "standard support" in r.message]
    assert [(r.level, r.address) for r in risks] == [("medium", "aws_eks_cluster.eks")]
    assert "2026-07-29" in risks[0].message and "$365/month" in risks[0].message
    assert "2026-07-29" in render([plan], risks)


def test_the_plan_report_is_quiet_in_standard_support_or_when_extended_is_chosen(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tools.plan_report import assess

    for version, policy in (("1.35", None), ("1.33", "EXTENDED")):
        plan = _cluster_plan(tmp_path, version, policy, ["no-op"])
        assert not [r for r in assess([plan], today=DEC_6_2026) if "standard support" in r.message]


def test_the_plan_report_cli_judges_the_day_it_is_given(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.review.test_plan_report import plan_file, rc
    from tools.plan_report import main

    after = {"version": "1.34", "upgrade_policy": []}
    path = plan_file(tmp_path, "dev-cluster", rc("aws_eks_cluster", "eks", ["no-op"], before=after, after=after))
    main([str(path), "--today", "2026-12-01", "--out", str(tmp_path / "before.md")])
    main([str(path), "--today", "2026-12-06", "--out", str(tmp_path / "after.md")])
    assert "2026-12-02" not in (tmp_path / "before.md").read_text()
    assert "left EKS standard support on 2026-12-02" in (tmp_path / "after.md").read_text()


def test_loading_warns_on_stderr_without_failing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import shutil

    from tests.conftest import ROOT, run_main

    env_dir = tmp_path / "envs"
    env_dir.mkdir()
    text = (ROOT / "environments" / "dev.yaml").read_text()
    import re

    (env_dir / "dev.yaml").write_text(re.sub(r'version: "1\.\d+"', 'version: "1.34"', text, count=1))
    shutil.copy(ROOT / "environments" / "staging.yaml", env_dir / "staging.yaml")
    shutil.copy(ROOT / "environments" / "prod.yaml", env_dir / "prod.yaml")
    proc = run_main(tmp_path / "out", env_dir=env_dir, only="dev", extra_env={"PLATFORM_TODAY": "2026-12-06"})
    assert proc.returncode == 0, proc.stderr
    assert "warning: dev: cluster.version: Kubernetes 1.34 left EKS standard support on 2026-12-02" in proc.stderr
    proc = run_main(tmp_path / "out2", env_dir=env_dir, only="dev", extra_env={"PLATFORM_TODAY": "2026-12-01"})
    assert "standard support" not in proc.stderr
