"""The checkov gate's own logic, without checkov or a synth: a stand-in ``checkov`` prints the
JSON report shape checkov 3 writes (``-o json``: one report, or a list with one per framework), and
hand-written stacks carry ``checkov_skip`` annotations the way modules/shared/checkov.py writes them.
The real checkov over real stacks: tests/stacks/test_checkov.py.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

import tools.gates.checkov as gate
from tools.gates.checkov import Finding, evaluate, main


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
    fake_checkov(
        report(failed=[], passed=[check("dev-network", "aws_s3_bucket.flow", "CKV_AWS_158"), check("dev-network", "aws_s3_bucket.plain", "CKV_AWS_158")]), 0
    )
    assert evaluate(root) == [Finding("dev-network", "aws_s3_bucket.flow", "STALE_SKIP:CKV_AWS_158", "skip annotation for a check that passes", None)]


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


# -- what _main prints: the table of failures, the verdict, the errors before any scan ----------------


def table_rows(out: str) -> tuple[str, list[list[str]]]:
    """(title, rows) of the table rich printed: the title (rich wraps it to the table's width, so
    it is returned without whitespace), then every line with cells."""
    lines = [line for line in out.splitlines() if line.strip()]
    top = next(i for i, line in enumerate(lines) if line.lstrip().startswith("┏"))
    rows = [[cell.strip() for cell in line.strip().strip("┃│").split("┃" if "┃" in line else "│")] for line in lines if "│" in line or "┃" in line]
    return "".join("".join(line.split()) for line in lines[:top]), rows


def test_main_prints_every_finding_as_a_row_with_its_reason_or_not_accepted(
    tmp_path: Path, fake_checkov, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # one table row per line
    root = tmp_path / "stacks"
    stack(root, "dev-state", {"logs": {"CKV_AWS_18": "access logs would log themselves"}})
    fake_checkov(report([check("dev-state", "aws_s3_bucket.logs", "CKV_AWS_18"), check("dev-state", "aws_s3_bucket.plain", "CKV_AWS_144")], []))
    assert main([str(root)]) == 1
    out = capsys.readouterr().out
    title, rows = table_rows(out)
    assert title == f"checkovfailuresunder{root}"
    assert rows == [
        ["stack", "resource", "check", "accepted because"],
        ["dev-state", "aws_s3_bucket.logs", "CKV_AWS_18", "access logs would log themselves"],
        ["dev-state", "aws_s3_bucket.plain", "CKV_AWS_144", "NOT ACCEPTED"],
    ]
    assert out.rstrip().splitlines()[-1] == "1 failed check(s) without an accepted reason"


def test_main_counts_unaccepted_failures_over_every_directory_given(
    tmp_path: Path, fake_checkov, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    root = tmp_path / "stacks"
    stack(root, "dev-state", {})
    stack(root, "prod-state", {"plain": {"CKV_X": "why"}})
    fake_checkov(report([check("dev-state", "aws_s3_bucket.plain", "CKV_X"), check("prod-state", "aws_s3_bucket.plain", "CKV_X")], []))
    # dev-state has one unaccepted failure, prod-state none: the verdict is over both.
    assert main([str(root / "dev-state"), str(root / "prod-state")]) == 1
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == "1 failed check(s) without an accepted reason"
    assert main([str(root / "prod-state"), str(root / "dev-state"), str(root / "dev-state")]) == 1
    assert capsys.readouterr().out.rstrip().splitlines()[-1] == "2 failed check(s) without an accepted reason"
    assert main([str(root / "prod-state")]) == 0
    out = capsys.readouterr().out
    assert table_rows(out)[1] == [["stack", "resource", "check", "accepted because"], ["prod-state", "aws_s3_bucket.plain", "CKV_X", "why"]]
    assert out.rstrip().splitlines()[-1] == "checkov: no unaccepted failures"


def test_main_without_arguments_scans_the_synthesized_stacks(
    tmp_path: Path, fake_checkov, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setattr(gate, "ROOT", tmp_path)
    fake_checkov(report([], []), 0)
    assert main([]) == 2
    assert (
        capsys.readouterr().err
        == f"tools.gates.checkov: {tmp_path / 'cdktf.out' / 'stacks'} does not exist: run `make synth` first (or name synthesized stack directories)\n"
    )
    stack(tmp_path / "cdktf.out" / "stacks", "dev-state", {})
    assert main([]) == 0
    assert table_rows(capsys.readouterr().out)[0] == f"checkovfailuresunder{tmp_path / 'cdktf.out' / 'stacks'}"


def test_main_without_checkov_says_how_to_install_it(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate, "ROOT", tmp_path)
    monkeypatch.setattr(gate, "CHECKOV", tmp_path / ".venv-checkov" / "bin" / "checkov")
    assert main([str(tmp_path)]) == 2
    assert (
        capsys.readouterr().err == "tools.gates.checkov: .venv-checkov/bin/checkov is missing: run `make checkov-venv` (or `make checkov`, which creates it)\n"
    )


def test_a_report_of_nothing_to_scan_has_no_findings(tmp_path: Path, fake_checkov) -> None:
    """checkov 3.3.30 over a directory without resources prints only a summary (no ``results``,
    no ``summary`` key); a report may also lack one of the lists."""
    root = tmp_path / "stacks"
    stack(root, "dev-state", {})
    fake_checkov({"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0, "resource_count": 0, "checkov_version": "3.3.30"}, 0)
    assert evaluate(root) == []
    fake_checkov(
        [
            {"check_type": "terraform_json", "results": {"failed_checks": [check("dev-state", "aws_s3_bucket.plain", "CKV_X")]}},
            {"check_type": "terraform_json", "results": {"passed_checks": []}},
        ]
    )
    assert [f.check_id for f in evaluate(root)] == ["CKV_X"]


def test_a_check_on_a_stack_without_resources_is_judged(tmp_path: Path, fake_checkov) -> None:
    """Provider checks (e.g. hard-coded credentials) pass on stacks that declare no resources."""
    root = tmp_path / "stacks"
    (root / "dev-dns").mkdir(parents=True)
    (root / "dev-dns" / "cdk.tf.json").write_text(json.dumps({"provider": {"aws": [{"region": "eu-west-1"}]}}))
    fake_checkov(report([check("dev-dns", "aws.default", "CKV_AWS_41")], [check("dev-dns", "aws.default", "CKV_AWS_41")]))
    assert evaluate(root) == [Finding("dev-dns", "aws.default", "CKV_AWS_41", "a check", None)]


def test_checkovs_error_output_is_kept_to_its_last_2000_characters(tmp_path: Path, fake_checkov) -> None:
    root = tmp_path / "stacks"
    stack(root, "dev-state", {})
    fake_checkov("", 2, stderr="x" * 100 + "y" * 2000)
    with pytest.raises(RuntimeError) as caught:
        evaluate(root)
    assert str(caught.value) == "checkov did not run (exit 2): " + "y" * 2000


def test_checkov_runs_with_the_callers_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PATH, HOME, proxies: checkov gets the caller's environment plus its own two settings."""
    root = tmp_path / "stacks"
    stack(root, "dev-state", {})
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    seen: dict[str, Any] = {}

    def run(args, **kwargs):  # type: ignore[no-untyped-def]
        import subprocess

        seen.update(kwargs["env"])
        return subprocess.CompletedProcess(args, 0, json.dumps(report([], [])), "")

    monkeypatch.setattr(gate.subprocess, "run", run)
    gate.run_checkov(root)
    assert seen["HTTPS_PROXY"] == "http://proxy.example:3128" and seen["PATH"] == gate.os.environ["PATH"]


def test_the_scan_copy_keeps_every_stack_file_at_its_relative_path(tmp_path: Path) -> None:
    """Every ``cdk.tf.json`` under the root, at any depth (``cdktf.out`` holds ``stacks/<stack>``)."""
    root = tmp_path / "out"
    files = [
        "stacks/dev-state/assets/cdk.tf.json",
        "stacks/dev-state/cdk.tf.json",
        "stacks/prod-state/cdk.tf.json",
    ]  # sorted: dev-state/ exists when its own file comes
    for i, name in enumerate(files):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(json.dumps({"resource": {"aws_s3_bucket": {f"b{i}": {}}}, "moved": [{"from": "a.b", "to": "a.c"}]}))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert gate._without_moved(root, scratch) == scratch
    assert {p.relative_to(scratch).as_posix(): json.loads(p.read_text()) for p in scratch.glob("**/cdk.tf.json")} == {
        name: {"resource": {"aws_s3_bucket": {f"b{i}": {}}}} for i, name in enumerate(files)
    }
