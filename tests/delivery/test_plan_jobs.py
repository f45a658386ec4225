"""``tools.delivery plan --jobs N`` plans independent stacks at once and reports exactly what
``--jobs 1`` (one stack after another, in order) reports: the same files, messages and exit code.

Run as the workflows run it (the CLI, a real process per Terraform command) with a stand-in
``terraform`` on PATH (tests/delivery/fake_terraform.py) that records when each command starts and
ends. The stacks are an environment's shape written by the test: which stacks another one reads
(``dependencies`` in cdktf's manifest.json) is the test's own table, and what a run must report
follows from it: a plan reads only the applied outputs of its upstream stacks, so no plan waits for
another; a stack whose upstream's plan changes an output it reads (``cross-stack-output-*``,
https://developer.hashicorp.com/terraform/internals/json-format ``output_changes``) is deferred with
every stack downstream of it; the first failure fails the run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.delivery.plan_harness import DEPENDS, ENV, ROOT, downstream, most_at_once, name, plan, same_reports, spans


def test_plans_run_at_once_up_to_jobs_and_report_as_one_after_another(tmp_path: Path) -> None:
    config = {s: {"plan_seconds": 0.5} for s in DEPENDS}
    serial = plan(tmp_path, "serial", 1, config)
    concurrent = plan(tmp_path, "concurrent", 2, config)
    assert serial["rc"] == 0, serial["stderr"]
    same_reports(serial, concurrent)
    assert {f"{s}.json" for s in map(name, DEPENDS)} <= set(serial["files"])
    one, two = spans(serial["events"], "plan"), spans(concurrent["events"], "plan")
    assert set(one) == set(two) == set(map(name, DEPENDS))
    assert most_at_once(one) == 1
    assert most_at_once(two) == 2  # never more than --jobs, and that many while stacks are left
    # A plan reads applied outputs only: a stack does not wait for its upstream stack's plan.
    assert any(two[name(s)][0] < two[name(d)][1] for s, deps in DEPENDS.items() for d in deps)
    # The plugin cache takes one init at a time.
    assert most_at_once(spans(concurrent["events"], "init")) == 1


def test_a_stack_whose_upstream_changes_outputs_is_deferred_even_when_planned_at_once(tmp_path: Path) -> None:
    """``network``'s plan changes what the stacks after it read: they and theirs are deferred, and
    ``cluster``'s own plan (which fails against outputs that do not exist yet, as on a first deploy)
    says nothing, whether it ran beside ``network``'s or never ran."""
    config: dict[str, dict[str, Any]] = {s: {"plan_seconds": 0.4} for s in DEPENDS}
    config["network"]["moves"] = True
    config["cluster"]["fail"] = True
    serial = plan(tmp_path, "serial", 1, config)
    concurrent = plan(tmp_path, "concurrent", 3, config)
    assert serial["rc"] == 0, serial["stderr"]
    same_reports(serial, concurrent)
    deferred = {line.split("\t")[0] for line in serial["files"]["deferred.txt"].splitlines()}
    assert deferred == downstream("network")
    assert {f.removesuffix(".json") for f in serial["files"] if f.startswith(f"{ENV}-")} == {name("state"), name("network")}
    assert "cannot be planned" not in concurrent["stderr"]
    # One after another, a deferred stack is never started; at once, it may have been, unreported.
    assert set(spans(serial["events"], "plan")) == {name("state"), name("network")}


def test_the_first_failure_in_stack_order_fails_the_run_and_nothing_after_it_is_reported(tmp_path: Path) -> None:
    config: dict[str, dict[str, Any]] = {s: {"plan_seconds": 0.3} for s in DEPENDS}
    config["storage"] = {"plan_seconds": 0.6, "fail": True}
    config["teams-aws"] = {"plan_seconds": 0.1, "fail": True}
    serial = plan(tmp_path, "serial", 1, config)
    concurrent = plan(tmp_path, "concurrent", 2, config)
    assert serial["rc"] == 1
    same_reports(serial, concurrent)
    reported = {f.removesuffix(".json") for f in serial["files"] if f.endswith(".json")}
    assert name("storage") not in reported and {name(d) for d in DEPENDS["storage"]} <= reported
    assert f"{name('storage')}: terraform plan failed" in serial["stderr"]
    assert f"{name('teams-aws')}: terraform plan failed" not in concurrent["stderr"]


@pytest.mark.parametrize("jobs", ["0", "two"])
def test_jobs_must_be_a_positive_whole_number(jobs: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tools.delivery", "plan", ENV, "--out", "x", "--jobs", jobs], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2 and "--jobs" in proc.stderr and repr(jobs) in proc.stderr
