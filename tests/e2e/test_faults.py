"""State survives faults: a second concurrent apply is refused by the lock, a killed apply recovers.

Both use the network stack of ``environments/local.yaml`` on their own emulator, with the state
bucket created directly (the state stack is covered by test_lifecycle.py).
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from environments import load_environments
from tests.e2e.e2e_support import phase
from tools.local import Workspace, kill_group
from tools.terraform import ROOT

pytestmark = pytest.mark.e2e

APPLY = ("apply", "-auto-approve", "-input=false", "-no-color", "-lock-timeout=0s")
LOCK_ERROR = "Error acquiring the state lock"


@pytest.fixture
def network(synthesized: Callable[[str], tuple[Path, list[str]]], make_workspace: Callable[..., Workspace]) -> tuple[Workspace, str]:
    env = load_environments(ROOT / "environments", only=["local"])[0]
    outdir, stacks = synthesized("local")
    stack = f"{env.name}-network"
    ws = make_workspace(outdir, [stack])
    ws.emulator.create_bucket(env.state_backend.bucket, env.region)
    return ws, f"{env.name}/network.tfstate"


def _wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _exists(ws: Workspace, key: str) -> bool:
    s3 = ws.emulator.client("s3", "eu-west-1")
    return any(o["Key"] == key for o in s3.list_objects_v2(Bucket="platform-local-tfstate").get("Contents", []))


def _state(ws: Workspace, key: str) -> dict:
    s3 = ws.emulator.client("s3", "eu-west-1")
    return json.loads(s3.get_object(Bucket="platform-local-tfstate", Key=key)["Body"].read())


def test_a_second_concurrent_apply_fails_fast_on_the_lock_and_the_first_completes(network: tuple[Workspace, str]) -> None:
    ws, key = network
    stack = ws.stacks[0]
    second = ws.dir(stack).parent / f"{stack}-second"
    second.mkdir()
    (second / "cdk.tf.json").write_text((ws.dir(stack) / "cdk.tf.json").read_text())
    # Sequential inits: Terraform's plugin cache is not safe for concurrent installs.
    ws.init(stack)
    ws.init(stack, cwd=second, label=f"{stack}@second")
    with phase("faults: lock contention"):
        first = ws.start(stack, *APPLY)
        _wait_for(lambda: _exists(ws, f"{key}.tflock"), 60, "the first apply to take the lock")
        started = time.monotonic()
        code = ws.run(stack, *APPLY, cwd=second, label=f"{stack}@second", ok=(0, 1))
        refused_after = time.monotonic() - started
        assert first.wait(timeout=600) == 0, f"the first apply failed: {ws.log(stack)}"
    second_log = ws.log(f"{stack}@second").read_text()
    assert code == 1 and LOCK_ERROR in second_log, f"the second apply was not refused by the lock: {ws.log(f'{stack}@second')}"
    assert refused_after < 20, f"the refusal took {refused_after:.1f}s"
    assert not _exists(ws, f"{key}.tflock"), "the lock was not released"
    state = _state(ws, key)
    assert {r["type"] for r in state["resources"]} >= {"aws_vpc", "aws_subnet", "aws_nat_gateway"}
    assert ws.plan_is_empty(stack), f"state does not match the emulator after the contention: {ws.log(stack)}"


def _start_mid_apply(ws: Workspace, stack: str):
    ws.init(stack)
    log = ws.log(stack)
    proc = ws.start(stack, *APPLY)
    # Mid-apply: some resources created, others still in flight.
    _wait_for(lambda: "Creation complete" in log.read_text() and "Still creating" in log.read_text(), 120, "the apply to be under way")
    return proc


def test_an_interrupted_apply_releases_its_lock_and_a_rerun_converges(network: tuple[Workspace, str]) -> None:
    ws, key = network
    stack = ws.stacks[0]
    with phase("faults: interrupted apply"):
        proc = _start_mid_apply(ws, stack)
        proc.send_signal(signal.SIGTERM)  # `kill <pid>`, as a cancelled CI job does: Terraform stops gracefully
        assert proc.wait(timeout=300) != 0
        assert not _exists(ws, f"{key}.tflock"), "an interrupted apply should release its lock"
        assert _state(ws, key)["resources"], "an interrupted apply should save what it created"
        ws.apply(stack)
        assert ws.plan_is_empty(stack), f"the re-run apply did not converge: {ws.log(stack)}"


def test_a_hard_killed_apply_leaves_a_stale_lock_that_force_unlock_clears(network: tuple[Workspace, str]) -> None:
    ws, key = network
    stack = ws.stacks[0]
    log = ws.log(stack)
    with phase("faults: killed apply"):
        proc = _start_mid_apply(ws, stack)
        kill_group(proc)  # SIGKILL to Terraform and its provider: no chance to save state or unlock
        assert proc.returncode not in (0, None)
        assert _exists(ws, f"{key}.tflock"), "a killed apply should leave its lock behind"

        mark = len(log.read_text())
        assert ws.run(stack, *APPLY, ok=(0, 1)) == 1
        refused = log.read_text()[mark:]
        assert LOCK_ERROR in refused, f"expected a lock error: {log}"
        lock_id = re.search(r"ID:\s+([0-9a-f-]{36})", refused)
        assert lock_id, f"no lock ID in the lock error: {log}"
        # The documented recovery (docs/emulator.md): make sure nothing runs, then force-unlock.
        ws.run(stack, "force-unlock", "-force", lock_id.group(1))
        assert not _exists(ws, f"{key}.tflock")
        # Unlocked: Terraform runs again (what the killed run created but never recorded is the
        # operator's to import or delete, docs/emulator.md).
        mark = len(log.read_text())
        ws.run(stack, "plan", "-input=false", "-no-color", "-lock-timeout=0s")
        assert LOCK_ERROR not in log.read_text()[mark:]
