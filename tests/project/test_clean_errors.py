"""Every documented ``python -m tools.*`` command, run in a state where it must fail, prints one
clean message naming what to do and exits non-zero: never a Python traceback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, Synth

NO_BASE = "0" * 40


def run(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    merged = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "PLATFORM_OUTDIR")}
    merged.update(env or {})
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=merged, capture_output=True, text=True, timeout=120, check=False)


def assert_clean(proc: subprocess.CompletedProcess[str], *expected: str, code: int | None = None) -> None:
    output = proc.stdout + proc.stderr
    assert "Traceback" not in output, output
    assert proc.returncode != 0, output
    if code is not None:
        assert proc.returncode == code, output
    for text in expected:
        assert text in proc.stderr, proc.stderr


def fake_outdir(root: Path, stacks: dict[str, dict[str, object]]) -> Path:
    """A synthesized output with the given stacks (name -> cdk.tf.json), each depending on none."""
    outdir = root / "cdktf.out"
    for name, doc in stacks.items():
        (outdir / "stacks" / name).mkdir(parents=True)
        (outdir / "stacks" / name / "cdk.tf.json").write_text(json.dumps(doc))
    (outdir / "manifest.json").write_text(json.dumps({"stacks": {n: {"dependencies": []} for n in stacks}}))
    return outdir


@pytest.mark.parametrize(
    "args",
    [
        ("tools.delivery", "stacks", "dev"),
        ("tools.delivery", "plan", "dev", "--out", "PLANS"),
        ("tools.delivery", "apply", "dev"),
    ],
)
def test_delivery_before_a_synth(args: tuple[str, ...], tmp_path: Path) -> None:
    args = tuple(str(tmp_path / "plans") if a == "PLANS" else a for a in args)
    proc = run(*args, env={"PLATFORM_OUTDIR": str(tmp_path / "cdktf.out")})
    assert_clean(proc, "tools.delivery: nothing synthesized in", "manifest.json is missing", "run `make synth` first", code=2)


def test_delivery_unknown_environment() -> None:
    known = ", ".join(sorted(p.stem for p in (ROOT / "environments").glob("*.yaml")))  # whatever files exist
    assert_clean(run("tools.delivery", "region", "nosuch"), f"unknown environment 'nosuch'; known: {known}", code=2)


def test_delivery_unknown_git_base() -> None:
    proc = run("tools.delivery", "affected", "--base", "1234567890abcdef1234567890abcdef12345678")
    assert_clean(proc, "cannot compare with git base '1234567890abcdef1234567890abcdef12345678'", "fetch-depth: 0", code=2)


def test_delivery_first_push_has_no_base_and_affects_every_environment() -> None:
    """GitHub's ``github.event.before`` on a branch's first push is forty zeros: not an error."""
    proc = run("tools.delivery", "affected", "--base", NO_BASE)
    assert proc.returncode == 0, proc.stderr
    # every environment file that deploys to AWS (no ``emulator:`` section), read as plain YAML
    deployed = sorted(p.stem for p in (ROOT / "environments").glob("*.yaml") if "emulator" not in (yaml.safe_load(p.read_text()) or {}))
    assert json.loads(proc.stdout) == deployed
    assert "every environment is affected" in proc.stderr


def test_delivery_refuses_a_local_backend_stack_without_its_state(tmp_path: Path) -> None:
    """A fresh runner must not plan the state stack from empty state."""
    outdir = fake_outdir(tmp_path, {"dev-state": {"terraform": {"backend": {"local": {"path": "terraform.dev-state.tfstate"}}}}})
    proc = run("tools.delivery", "plan", "dev", "--out", str(tmp_path / "plans"), "--outdir", str(outdir))
    assert_clean(proc, "dev-state keeps its state on local disk", "make bootstrap ENV=dev", code=2)
    assert not (tmp_path / "plans").exists()
    # The bootstrapping machine has the state file beside the JSON, but a CI runner never plans it.
    (outdir / "stacks" / "dev-state" / "terraform.dev-state.tfstate").write_text("{}")
    proc = run("tools.delivery", "plan", "dev", "--out", str(tmp_path / "plans"), "--outdir", str(outdir), env={"GITHUB_ACTIONS": "true"})
    assert_clean(proc, "dev-state keeps its state on local disk (state_backend.state_stack_in_s3: false) on a CI runner", code=2)
    proc = run("tools.delivery", "apply", "dev", env={"PLATFORM_OUTDIR": str(outdir), "GITHUB_ACTIONS": "true"})
    assert_clean(proc, "make bootstrap ENV=dev", code=2)


def test_delivery_terraform_failing(tmp_path: Path) -> None:
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    outdir = fake_outdir(tmp_path, {"dev-network": {"terraform": {"required_version": ">= 99.0"}}})
    proc = run("tools.delivery", "plan", "dev", "--out", str(tmp_path / "plans"), "--outdir", str(outdir), env={"PLATFORM_PROVIDERS_FROM_REGISTRY": "1"})
    assert_clean(proc, "tools.delivery: dev-network: terraform init failed (exit 1)", "older than the stack requires", code=1)
    assert "credentials" not in proc.stderr


def test_an_unreachable_provider_registry_is_not_reported_as_credentials(tmp_path: Path) -> None:
    """Terraform itself reports the registry it cannot reach (every request goes through a proxy on
    a closed loopback port); the last line says so, not "AWS credentials?"."""
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    stack = {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}}}
    outdir = fake_outdir(tmp_path, {"dev-network": stack})
    (tmp_path / "direct.tfrc").write_text("provider_installation {\n  direct {}\n}\n")
    env = {
        "PLATFORM_PROVIDERS_FROM_REGISTRY": "1",
        "TF_CLI_CONFIG_FILE": str(tmp_path / "direct.tfrc"),
        "TF_PLUGIN_CACHE_DIR": "",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "https_proxy": "http://127.0.0.1:9",
    }
    proc = run("tools.delivery", "plan", "dev", "--out", str(tmp_path / "plans"), "--outdir", str(outdir), env=env)
    assert_clean(proc, "terraform init failed", code=1)
    last = proc.stderr.strip().splitlines()[-1]
    assert "provider registry is unreachable" in last and "credentials" not in last, proc.stderr[-2000:]


def test_plan_report_without_plans(tmp_path: Path) -> None:
    proc = run("tools.plan_report", str(tmp_path / "missing.json"))
    assert_clean(proc, "not readable as JSON", code=1)


def test_checkov_gate_before_its_venv(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from tools.gates import checkov as checkov_gate

    monkeypatch.setattr(checkov_gate, "CHECKOV", ROOT / ".venv-checkov-missing" / "bin" / "checkov")
    assert checkov_gate.main([]) == 2
    assert "tools.gates.checkov: .venv-checkov-missing/bin/checkov is missing: run `make checkov-venv`" in capsys.readouterr().err


def test_checkov_gate_before_a_synth(tmp_path: Path) -> None:
    assert_clean(run("tools.gates.checkov", str(tmp_path / "stacks")), "does not exist: run `make synth` first", code=2)


def test_validate_before_a_synth(tmp_path: Path) -> None:
    assert_clean(run("tools.gates.validate", str(tmp_path / "cdktf.out")), "tools.gates.validate: nothing synthesized in", code=2)


def test_local_unknown_environment_and_nothing_running() -> None:
    assert_clean(run("tools.local", "up", "--env", "nosuch"), "tools.local: invalid environment configuration: unknown environment 'nosuch'", code=2)
    assert_clean(run("tools.local", "up", "--env", "dev"), "has no emulator: section", code=2)
    assert_clean(run("tools.local", "plan", "--env", "nosuch"), "no emulator is running for 'nosuch' (make local-up first)", code=2)


def test_synth_with_a_broken_environment(tmp_path: Path) -> None:
    (tmp_path / "dev.yaml").write_text("name: dev\n")
    proc = subprocess.run(
        [sys.executable, "main.py"],
        cwd=ROOT,
        env={**os.environ, "PLATFORM_ENVIRONMENTS_DIR": str(tmp_path), "PLATFORM_OUTDIR": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert_clean(proc, "invalid environment configuration:", "dev.yaml: account_id: Field required", code=2)


def _synth_errors(directory: Path) -> subprocess.CompletedProcess[str]:
    """``make synth`` (main.py) over ``directory``; it must fail with a config error."""
    env = {**os.environ, "PLATFORM_ENVIRONMENTS_DIR": str(directory), "PLATFORM_OUTDIR": str(directory / "out")}
    proc = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert_clean(proc, "invalid environment configuration:", code=2)
    return proc


def _dev_with(tmp_path: Path, old: str, new: str) -> Path:
    text = (ROOT / "environments" / "dev.yaml").read_text()
    assert old in text
    (tmp_path / "dev.yaml").write_text(text.replace(old, new, 1))
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('version: "1.35"', "version: 1.35", 'cluster.version: write it in quotes, version: "1.35"'),
        # YAML reads 1.30 as the number 1.3: the message shows the value as written
        ('version: "1.35"', "version: 1.30", 'cluster.version: write it in quotes, version: "1.30"'),
        ('account_id: "111111111111"', "account_id: 111111111111", 'account_id: write it in quotes, account_id: "111111111111"'),
    ],
    ids=["version-1.35", "version-1.30", "account-id"],
)
def test_a_number_where_text_belongs_says_to_quote_it(tmp_path: Path, old: str, new: str, expected: str) -> None:
    proc = _synth_errors(_dev_with(tmp_path, old, new))
    (line,) = [line for line in proc.stderr.splitlines() if expected in line]
    number = next(n for n, text in enumerate((tmp_path / "dev.yaml").read_text().splitlines(), 1) if text.strip() == new)
    assert f"dev.yaml: {expected.split(':')[0]}: " in line and f"(line {number}: unquoted" in line, line
    assert "got 1.3" not in proc.stderr and "valid string" not in proc.stderr
    if new.endswith("1.30"):
        assert "YAML reads 1.30 as the number 1.3)" in line


def test_a_yaml_syntax_error_keeps_file_line_and_a_caret_under_the_column(tmp_path: Path) -> None:
    """PyYAML's own marks (line, column) for an unclosed flow sequence, shown with the line."""
    _dev_with(tmp_path, "availability_zones: [eu-west-1a, eu-west-1b]", "availability_zones: [eu-west-1a, eu-west-1b")
    proc = _synth_errors(tmp_path)
    assert "<unicode string>" not in proc.stderr
    try:
        yaml.safe_load((tmp_path / "dev.yaml").read_text())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
    assert mark is not None
    lines = proc.stderr.splitlines()
    at = next(i for i, line in enumerate(lines) if f"dev.yaml:{mark.line + 1}:{mark.column + 1}: not valid YAML" in line)
    source = (tmp_path / "dev.yaml").read_text().splitlines()[mark.line]
    assert lines[at + 1].strip() == source.strip()
    caret = lines[at + 2]
    assert caret.strip() == "^" and caret.index("^") - lines[at + 1].index(source.lstrip()[0]) == mark.column - (len(source) - len(source.lstrip()))


def test_a_duplicate_name_blames_the_copy_not_the_original(tmp_path: Path) -> None:
    """A copy that sorts before the original (``a-copy.yaml`` of ``dev.yaml``) is the one named."""
    shutil.copy(ROOT / "environments" / "dev.yaml", tmp_path / "dev.yaml")
    shutil.copy(ROOT / "environments" / "dev.yaml", tmp_path / "a-copy.yaml")
    proc = _synth_errors(tmp_path)
    assert "a-copy.yaml: name: environment name 'dev' is already used by" in proc.stderr and "dev.yaml: name:" not in proc.stderr.replace(
        "a-copy.yaml: name:", ""
    )


def test_delivery_plan_refuses_the_real_dev_state_stack(synth: Synth, tmp_path: Path) -> None:
    """`make plan-report ENV=dev` on a machine that did not bootstrap dev: the synthesized dev-state
    stack is on local state (dev.yaml) and is refused before Terraform starts."""
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synth.outdir, outdir)
    proc = run("tools.delivery", "plan", "dev", "--out", str(tmp_path / "plans"), "--outdir", str(outdir))
    assert_clean(proc, "dev-state keeps its state on local disk", code=2)


def test_outputs_after_a_deploy_are_a_markdown_table(tmp_path: Path) -> None:
    """`tools.delivery outputs`: what a deploy's job summary shows (real Terraform, local state)."""
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    state = {
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 1,
        "lineage": "x",
        "resources": [],
        "outputs": {
            "cluster_name": {"value": "dev-eks", "type": "string"},
            "cross-stack-output-aws_vpc.id": {"value": "vpc-1", "type": "string"},
            "secret": {"value": "s", "type": "string", "sensitive": True},
        },
    }
    outdir = fake_outdir(tmp_path, {"dev-cluster": {"terraform": {"backend": {"local": {"path": "terraform.tfstate"}}}}})
    (outdir / "stacks" / "dev-cluster" / "terraform.tfstate").write_text(json.dumps(state))
    proc = run("tools.delivery", "outputs", "dev", "--outdir", str(outdir), env={"PLATFORM_PROVIDERS_FROM_REGISTRY": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "| dev-cluster | cluster_name | `dev-eks` |" in proc.stdout
    assert "| dev-cluster | secret | `(sensitive)` |" in proc.stdout
    assert "cross-stack-output" not in proc.stdout


def test_bootstrap_and_ci_matrix_in_failing_states() -> None:
    assert_clean(run("tools.delivery.bootstrap", "nosuch"), "tools.delivery.bootstrap: invalid environment configuration: unknown environment 'nosuch'", code=2)
    assert_clean(run("tools.delivery", "ci-matrix"), "ci-matrix needs --base <git ref>, --pending or --environment <name>", code=2)
    assert_clean(run("tools.delivery", "ci-matrix", "--environment", "local"), "local: an emulator environment is never planned or deployed by CI", code=2)
    assert_clean(run("tools.diagram", "dev", "--outdir", "/nonexistent/cdktf.out"), "no synthesized stacks for 'dev'", code=2)


def test_an_emulator_environment_may_plan_its_local_state_stack_on_a_runner(tmp_path: Path) -> None:
    """The e2e suite on a GitHub runner plans `local` (state thrown away with the emulator)."""
    from tools.delivery.stacks import _refuse_local_backends

    outdir = fake_outdir(tmp_path, {"local-state": {"terraform": {"backend": {"local": {"path": "terraform.local-state.tfstate"}}}}})
    _refuse_local_backends("local", ["local-state"], outdir)  # no refusal
    outdir2 = fake_outdir(tmp_path / "dev", {"dev-state": {"terraform": {"backend": {"local": {"path": "terraform.dev-state.tfstate"}}}}})
    with pytest.raises(Exception, match="make bootstrap ENV=dev"):
        _refuse_local_backends("dev", ["dev-state"], outdir2)
