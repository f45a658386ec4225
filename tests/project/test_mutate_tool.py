"""tools/gates/mutate.py's own verdict, without mutmut: a run in which mutmut judged no mutant (its
clean test run failed, say) must fail loudly, not score 100%."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import tools.gates.mutate as mutate


def _fake_mutmut(codes: dict[str, int | None], output: str = "mutmut: failed to run the clean tests"):  # type: ignore[no-untyped-def]
    def run(work: Path, *args: str, timeout: float = 0) -> subprocess.CompletedProcess[str]:
        if args[0] == "run":
            meta = work / "mutants" / "tools" / "render" / "checks" / "rbac.py.meta"
            meta.parent.mkdir(parents=True, exist_ok=True)
            meta.write_text(json.dumps({"exit_code_by_key": codes}))
            return subprocess.CompletedProcess(["mutmut", *args], 1, output, "")
        return subprocess.CompletedProcess(["mutmut", *args], 0, f"diff of {args[1]}", "")

    return run


def test_a_run_that_judged_no_mutant_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mutate, "WORK", tmp_path)
    monkeypatch.setattr(mutate, "_mutmut", _fake_mutmut({"m1": None, "m2": None}))
    with pytest.raises(SystemExit) as caught:
        mutate.run(["tools/render/checks/rbac.py"], 1)
    assert "mutmut judged none of the 2 mutants of tools/render/checks/rbac.py" in str(caught.value)
    assert "failed to run the clean tests" in (tmp_path / "tools_render_checks_rbac" / "mutmut-run.log").read_text()


def test_a_run_is_scored_on_the_mutants_it_judged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mutate, "WORK", tmp_path)
    monkeypatch.setattr(mutate, "_mutmut", _fake_mutmut({"m1": 1, "m2": 3, "m3": 36, "m4": 0, "m5": None}))
    [result] = mutate.run(["tools/render/checks/rbac.py"], 1)
    assert (result["total"], result["killed"], result["survived"], result["other"], result["score"]) == (5, 3, 1, 1, 75.0)
    assert result["survivors"] == {"m4": "diff of m4"}
