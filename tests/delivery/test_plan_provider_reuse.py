"""``tools.delivery plan`` hands each stack's Terraform commands one hashicorp/aws process, and the
first stack's install to the later ones, without changing what the run reports.

Run as the workflows run it, with the stand-in ``terraform`` (tests/delivery/fake_terraform.py),
whose ``init`` installs a stand-in plugin (tests/delivery/fake_plugin.py) where Terraform's
provider cache puts it unless ``TF_REATTACH_PROVIDERS`` names hashicorp/aws (Terraform installs
no "unmanaged" provider: seen with Terraform 1.11 here, and
https://developer.hashicorp.com/terraform/plugin/debugging#running-terraform-with-a-provider-in-debug-mode).
Each fake command records the process id the reattach line names. The same with the real
Terraform and provider on the emulator is tests/e2e/test_deploy_and_review.py's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.delivery.plan_harness import DEPENDS, ONE_AWS, alive, name, plan, same_reports

INSTALLED = Path(".terraform/providers/registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64/terraform-provider-aws_v5.100.0_x5")


def by_stack(events: list[Any], command: str) -> dict[str, int | None]:
    """The reattached process id each stack's ``command`` was given (None: Terraform started its own)."""
    return {e[3]: e[4] for e in events if e[1] == "start" and e[2] == command}


def test_each_stack_plans_and_shows_with_one_process_started_from_the_first_install(tmp_path: Path) -> None:
    config = {s: {"plan_seconds": 0.05} for s in DEPENDS}
    before = plan(tmp_path, "before", 1, config, flags=("--no-reuse-provider",), plugin=True)
    now = plan(tmp_path, "now", 2, config, plugin=True)
    assert before["rc"] == 0, before["stderr"]
    same_reports(before, now)
    stacks = set(map(name, DEPENDS))
    planned, shown, inits = by_stack(now["events"], "plan"), by_stack(now["events"], "show"), by_stack(now["events"], "init")
    assert set(planned) == set(shown) == stacks
    # One process per stack, its own: the plan configures it, the show reads its schema.
    assert all(planned[s] is not None and planned[s] == shown[s] for s in stacks), (planned, shown)
    assert len(set(planned.values())) == len(stacks)
    assert sorted(now["plugins"]) == sorted(p for p in planned.values() if p is not None)
    # The first init installs hashicorp/aws; every later one runs with its stack's process attached.
    installed = {s for s in stacks if (now["outdir"] / "stacks" / s / INSTALLED).is_file()}
    assert len(installed) == 1 and inits[next(iter(installed))] is None, (installed, inits)
    assert all(inits[s] == planned[s] for s in stacks - installed), inits
    assert not [p for p in now["plugins"] if alive(p)], "a plugin outlived the run"
    # Before: Terraform started the provider for every command of every stack, and no plugin ran.
    assert set(by_stack(before["events"], "plan").values()) == {None} and before["plugins"] == []


def test_a_failing_run_says_what_it_says_when_terraform_starts_the_provider(tmp_path: Path) -> None:
    """The plugin's own output (its start-up line on stderr) is not the stack's: Terraform keeps a
    plugin's stderr to its debug log unless the plugin crashed."""
    config: dict[str, dict[str, Any]] = {s: {"plan_seconds": 0.05} for s in DEPENDS}
    config["cluster"]["fail"] = True
    before = plan(tmp_path, "before", 1, config, flags=("--no-reuse-provider",), plugin=True)
    now = plan(tmp_path, "now", 2, config, plugin=True)
    assert before["rc"] == 1, before["stderr"]
    same_reports(before, now)
    assert "Starting github.com/hashicorp/terraform-provider-aws" not in now["stderr"]
    assert by_stack(now["events"], "plan")[name("cluster")] is not None
    assert not [p for p in now["plugins"] if alive(p)]


def test_saved_plans_are_made_with_each_stack_s_own_install(tmp_path: Path) -> None:
    """A saved plan carries the lock file it was made with (apply --plans applies it elsewhere)."""
    config = {s: {"plan_seconds": 0.05} for s in DEPENDS}
    saved = plan(tmp_path, "saved", 2, config, flags=("--save",), plugin=True)
    assert saved["rc"] == 0, saved["stderr"]
    inits, planned = by_stack(saved["events"], "init"), by_stack(saved["events"], "plan")
    assert set(inits.values()) == {None}
    assert all((saved["outdir"] / "stacks" / s / INSTALLED).is_file() for s in map(name, DEPENDS))
    assert None not in planned.values()  # each stack still plans with one process


def test_a_stack_with_an_aliased_aws_provider_is_left_to_terraform(tmp_path: Path) -> None:
    """Terraform would send both configurations to the one process it is given."""
    aliased = {"aws": [*ONE_AWS["aws"], {"alias": "us_east_1", "region": "us-east-1"}]}
    config = {s: {"plan_seconds": 0.05} for s in DEPENDS}
    now = plan(tmp_path, "now", 2, config, plugin=True, providers={"cluster": aliased})
    assert now["rc"] == 0, now["stderr"]
    inits, planned = by_stack(now["events"], "init"), by_stack(now["events"], "plan")
    assert inits[name("cluster")] is None and planned[name("cluster")] is None
    assert (now["outdir"] / "stacks" / name("cluster") / INSTALLED).is_file()
    assert all(planned[s] is not None for s in set(planned) - {name("cluster")})
