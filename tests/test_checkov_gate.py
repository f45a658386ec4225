"""The checkov gate's own logic, without checkov or a synth: a stand-in ``checkov`` prints the
JSON report shape checkov 3 writes (``-o json``: one report, or a list with one per framework), and
hand-written stacks carry ``checkov_skip`` annotations the way modules/checkov.py writes them.
The real checkov over real stacks: tests/test_checkov.py.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

import tools.checkov_gate as gate
from tools.checkov_gate import Finding, evaluate, main


def check(stack: str, resource: str, check_id: str, name: str = "a check") -> dict[str, Any]:
    return {
        "check_id": check_id,
        "check_name": name,
        "resource": resource,
        "file_path": f"/{stack}/cdk.tf.json",
        "file_abs_path": f"/somewhere/{stack}/cdk.tf.json",
    }


def report(failed: list[dict], passed: list[dict], parsing_errors: int = 0) -> dict[str, Any]:
    return {
        "check_type": "terraform_json",
        "results": {"failed_checks": failed, "passed_checks": passed, "parsing_errors": ["x.json"] if parsing_errors else []},
        "summary": {"failed": len(failed), "passed": len(passed), "parsing_errors": parsing_errors},
    }


@pytest.fixture
def fake_checkov(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``fake_checkov(output, exit_code)``: the gate's CHECKOV replaced by a script printing ``output``."""

    def install(output: Any, exit_code: int = 1, stderr: str = "") -> Path:
        script = tmp_path / "checkov"
        payload = output if isinstance(output, str) else json.dumps(output)
        (tmp_path / "out.json").write_text(payload)
        script.write_text(
            f"#!{sys.executable}\nimport sys\n"
            f"sys.stdout.write(open({str(tmp_path / 'out.json')!r}).read())\n"
            f"sys.stderr.write({stderr!r})\nsys.exit({exit_code})\n"
        )
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setattr(gate, "CHECKOV", script)
        return script

    return install


def stack(root: Path, name: str, skips: dict[str, dict[str, str]]) -> None:
    """A stack whose aws_s3_bucket resources carry the given checkov_skip annotations."""
    resources = {logical: {"//": {"checkov_skip": reasons}, "bucket": logical} for logical, reasons in skips.items()}
    resources.setdefault("plain", {"bucket": "plain"})
    (root / name).mkdir(parents=True)
    (root / name / "cdk.tf.json").write_text(json.dumps({"resource": {"aws_s3_bucket": resources}}))


def test_failures_are_accepted_only_with_a_reason_on_the_failing_resource(tmp_path: Path, fake_checkov) -> None:
    root = tmp_path / "stacks"
    stack(root, "dev-state", {"logs": {"CKV_AWS_18": "access logs would log themselves"}})
    fake_checkov(
        report(
            failed=[
                check("dev-state", "aws_s3_bucket.logs", "CKV_AWS_18", "access logging"),
                check("dev-state", "aws_s3_bucket.plain", "CKV_AWS_18", "access logging"),  # same check, other resource
                check("dev-state", "aws_s3_bucket.logs", "CKV_AWS_144", "replication"),  # other check, same resource
            ],
            passed=[check("dev-state", "aws_s3_bucket.plain", "CKV_AWS_19")],
        )
    )
    assert evaluate(root) == [
        Finding("dev-state", "aws_s3_bucket.logs", "CKV_AWS_144", "replication", None),
        Finding("dev-state", "aws_s3_bucket.logs", "CKV_AWS_18", "access logging", "access logs would log themselves"),
        Finding("dev-state", "aws_s3_bucket.plain", "CKV_AWS_18", "access logging", None),
    ]


def test_a_skip_for_a_check_that_passes_is_stale(tmp_path: Path, fake_checkov) -> None:
    root = tmp_path / "stacks"
    stack(root, "dev-network", {"flow": {"CKV_AWS_158": "was needed once"}})
    fake_checkov(report(failed=[], passed=[check("dev-network", "aws_s3_bucket.flow", "CKV_AWS_158"), check("dev-network", "aws_s3_bucket.plain", "CKV_AWS_158")]), 0)
    assert evaluate(root) == [
        Finding("dev-network", "aws_s3_bucket.flow", "STALE_SKIP:CKV_AWS_158", "skip annotation for a check that passes", None)
    ]


def test_reports_of_several_frameworks_and_stacks_are_all_read(tmp_path: Path, fake_checkov) -> None:
    root = tmp_path / "stacks"
    stack(root, "dev-state", {})
    stack(root, "prod-state", {"plain": {"CKV_X": "why"}})
    fake_checkov([report([check("dev-state", "aws_s3_bucket.plain", "CKV_X")], []), report([check("prod-state", "aws_s3_bucket.plain", "CKV_X")], [])])
    assert [(f.stack, f.reason) for f in evaluate(root)] == [("dev-state", None), ("prod-state", "why")]


def test_stack_falls_back_to_the_absolute_path(tmp_path: Path, fake_checkov) -> None:
    root = tmp_path / "stacks"
    stack(root, "dev-state", {"plain": {"CKV_X": "why"}})
    failed = check("dev-state", "aws_s3_bucket.plain", "CKV_X")
    failed["file_path"] = "/cdk.tf.json"
    fake_checkov(report([failed], []))
    assert [(f.stack, f.reason) for f in evaluate(root)] == [("dev-state", "why")]


@pytest.mark.parametrize(
    ("output", "exit_code", "message"),
    [
        ("", 1, "checkov did not run (exit 1): boom"),
        (report([], []), 2, "checkov did not run (exit 2): boom"),
        (report([], [], parsing_errors=1), 1, "checkov could not parse: ['x.json']"),
    ],
)
def test_checkov_that_did_not_run_or_could_not_parse_is_an_error(tmp_path: Path, fake_checkov, output: Any, exit_code: int, message: str) -> None:
    root = tmp_path / "stacks"
    stack(root, "dev-state", {})
    fake_checkov(output, exit_code, stderr="boom")
    with pytest.raises(RuntimeError) as caught:
        evaluate(root)
    assert str(caught.value) == message


def test_main_exits_1_on_an_unaccepted_failure_and_0_when_all_are_accepted(tmp_path: Path, fake_checkov, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "stacks"
    stack(root, "dev-state", {"logs": {"CKV_AWS_18": "reason"}})
    fake_checkov(report([check("dev-state", "aws_s3_bucket.logs", "CKV_AWS_18"), check("dev-state", "aws_s3_bucket.plain", "CKV_AWS_18")], []))
    assert main([str(root)]) == 1
    assert "1 failed check(s) without an accepted reason" in capsys.readouterr().out
    # One stack directory: scanned through its parent, only its own findings count.
    fake_checkov(report([check("dev-state", "aws_s3_bucket.logs", "CKV_AWS_18")], []))
    assert main([str(root / "dev-state")]) == 0
    assert "checkov: no unaccepted failures" in capsys.readouterr().out


def test_main_on_one_stack_ignores_the_other_stacks_findings(tmp_path: Path, fake_checkov, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "stacks"
    stack(root, "dev-state", {})
    stack(root, "dev-network", {})
    fake_checkov(report([check("dev-network", "aws_s3_bucket.plain", "CKV_X")], []))
    assert main([str(root / "dev-state")]) == 0
    assert main([str(root / "dev-network")]) == 1
    capsys.readouterr()


def test_the_checkov_command_line(tmp_path: Path, fake_checkov, monkeypatch: pytest.MonkeyPatch) -> None:
    """terraform_json framework, no downloads, JSON out, mapping skipped; the directory scanned is a
    copy of the stacks without their ``moved`` blocks (checkov's JSON parser cannot read them)."""
    root = tmp_path / "stacks"
    stack(root, "dev-state", {})
    original = json.loads((root / "dev-state" / "cdk.tf.json").read_text())
    with_moved = dict(original, moved=[{"from": "aws_s3_bucket.old", "to": "aws_s3_bucket.plain"}])
    (root / "dev-state" / "cdk.tf.json").write_text(json.dumps(with_moved))
    seen: dict[str, Any] = {}

    def run(args, **kwargs):  # type: ignore[no-untyped-def]
        seen["args"], seen["env"] = args, kwargs["env"]
        scanned = Path(args[args.index("-d") + 1])
        seen["scanned"] = {p.relative_to(scanned).as_posix(): json.loads(p.read_text()) for p in scanned.glob("**/cdk.tf.json")}
        import subprocess

        return subprocess.CompletedProcess(args, 0, json.dumps(report([], [])), "")

    monkeypatch.setattr(gate.subprocess, "run", run)
    assert gate.run_checkov(root) == ([], [])
    args = seen["args"]
    assert args[1:4] == ["--framework", "terraform_json", "-d"] and args[5:] == ["--skip-download", "-o", "json"]
    assert args[4] != str(root)  # never the synthesized files themselves
    assert seen["scanned"] == {"dev-state/cdk.tf.json": original}
    assert "moved" in json.loads((root / "dev-state" / "cdk.tf.json").read_text())  # the original is untouched
    assert seen["env"]["BC_SKIP_MAPPING"] == "TRUE" and seen["env"]["LOG_LEVEL"] == "ERROR"
