"""tools/delivery/provider_server.py starts the hashicorp/aws plugin ``terraform init`` installed
in a stack and hands Terraform its reattach line, or leaves Terraform to start its own.

The plugin here is a stand-in at the path Terraform's provider cache gives an installed package
(``.terraform/providers/<hostname>/<namespace>/<type>/<version>/<os>_<arch>/``,
https://developer.hashicorp.com/terraform/cli/config/config-file#implied-local-mirror-directories)
that prints what the real aws 5.100.0 binary prints on stdout when started with ``-debug``
(captured from it on this machine: the banner, then the ``TF_REATTACH_PROVIDERS='...'`` line),
and records its arguments, environment and process id. The real binary's use by real Terraform,
with identical reports, is tests/e2e/test_deploy_and_review.py's.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.delivery.plan_harness import alive
from tools.delivery.provider_server import SharedInstall, serving, single_aws_configuration

ROOT = Path(__file__).resolve().parents[2]

REATTACH = {
    "registry.terraform.io/hashicorp/aws": {
        "Protocol": "grpc",
        "ProtocolVersion": 5,
        "Pid": 4242,
        "Test": True,
        "Addr": {"Network": "unix", "String": "/tmp/plugin2659210933"},
    }
}
# What terraform-provider-aws_v5.100.0_x5 -debug printed on stdout here (tf5server.WithManagedDebug).
BANNER = (
    "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n"
    "\tTF_REATTACH_PROVIDERS='{reattach}'\n\n"
)

PLUGIN = """#!{python}
import json, os, sys, time
record = os.environ["FAKE_PLUGIN_RECORD"]
with open(record, "w") as f:
    json.dump({{"argv": sys.argv[1:], "pid": os.getpid(), "marker": os.environ.get("MARKER")}}, f)
print("Starting github.com/hashicorp/terraform-provider-aws@5.100.0 (go1.23.10)...", file=sys.stderr, flush=True)
{behaviour}
time.sleep(600)
"""


def install(workdir: Path, behaviour: str, *, version: str = "5.100.0") -> Path:
    """A stand-in plugin where ``terraform init`` installs hashicorp/aws ``version``."""
    package = workdir / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws" / version / "linux_amd64"
    package.mkdir(parents=True)
    binary = package / f"terraform-provider-aws_v{version}_x5"
    binary.write_text(PLUGIN.format(python=sys.executable, behaviour=behaviour))
    binary.chmod(0o755)
    return binary


def prints(reattach: Mapping[str, object]) -> str:
    return f"sys.stdout.write({BANNER.format(reattach=json.dumps(reattach))!r}); sys.stdout.flush()"


def gone(pid: int, within: float) -> bool:
    """Whether the process ends within ``within`` seconds (a signal is delivered asynchronously)."""
    deadline = time.monotonic() + within
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def record(tmp_path: Path) -> dict[str, object]:
    deadline = time.monotonic() + 10
    path = tmp_path / "record.json"
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return json.loads(path.read_text())  # type: ignore[no-any-return]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "FAKE_PLUGIN_RECORD": str(tmp_path / "record.json"), "MARKER": "from-the-caller"}


def test_terraform_is_given_the_reattach_line_of_the_plugin_init_installed(tmp_path: Path, env: dict[str, str]) -> None:
    install(tmp_path, prints(REATTACH))
    log = io.StringIO()
    with serving(tmp_path, env, log) as given:
        seen = record(tmp_path)
        assert json.loads(given["TF_REATTACH_PROVIDERS"]) == REATTACH
        assert {k: v for k, v in given.items() if k != "TF_REATTACH_PROVIDERS"} == env
        assert seen["argv"] == ["-debug"]
        assert seen["marker"] == "from-the-caller"  # the environment Terraform would have given it
        assert alive(int(seen["pid"]))  # type: ignore[call-overload]
    assert not alive(int(seen["pid"])), "the plugin outlived the stack"  # type: ignore[call-overload]
    assert log.getvalue() == ""


def test_a_plugin_ignoring_sigterm_is_killed(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tools.delivery.provider_server.STOP_GRACE", 0.5)
    install(tmp_path, "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + prints(REATTACH))
    started = time.monotonic()
    with serving(tmp_path, env, io.StringIO()):
        pid = int(record(tmp_path)["pid"])  # type: ignore[call-overload]
    assert gone(pid, within=5)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("behaviour", "said"),
    [
        ("sys.exit(3)", "exited (code 3) before printing TF_REATTACH_PROVIDERS"),
        (
            prints({"registry.terraform.io/hashicorp/google": REATTACH["registry.terraform.io/hashicorp/aws"]}),
            "offered ['registry.terraform.io/hashicorp/google']",
        ),
        ("print('Provider started.', flush=True)", "printed no TF_REATTACH_PROVIDERS within 1s"),
    ],
)
def test_a_plugin_that_does_not_come_up_leaves_terraform_to_start_its_own(tmp_path: Path, env: dict[str, str], behaviour: str, said: str) -> None:
    install(tmp_path, behaviour)
    log = io.StringIO()
    with serving(tmp_path, env, log, timeout=1) as given:
        assert given == env
    assert said in log.getvalue(), log.getvalue()
    assert "Terraform starts its own" in log.getvalue()
    assert not alive(int(record(tmp_path)["pid"]))  # type: ignore[call-overload]


@pytest.mark.parametrize("versions", [[], ["5.100.0", "5.99.0"]])
def test_without_exactly_one_installed_aws_plugin_terraform_starts_its_own(tmp_path: Path, env: dict[str, str], versions: list[str]) -> None:
    for version in versions:
        install(tmp_path, prints(REATTACH), version=version)
    log = io.StringIO()
    with serving(tmp_path, env, log) as given:
        assert given == env
    assert "no single installed registry.terraform.io/hashicorp/aws plugin" in log.getvalue()
    assert not (tmp_path / "record.json").exists()


def test_what_the_plugin_says_stays_out_of_the_log_unless_it_crashed(tmp_path: Path, env: dict[str, str]) -> None:
    """A failing stack's output is what it is when Terraform starts the plugin: Terraform keeps a
    plugin's stderr to its own log, and prints it only as a crash report (Go's ``panic: ``)."""
    install(tmp_path, prints(REATTACH))
    log = io.StringIO()
    with pytest.raises(RuntimeError), serving(tmp_path, env, log):
        raise RuntimeError("terraform plan failed")
    assert log.getvalue() == ""


def test_a_plugin_crash_report_is_in_the_log(tmp_path: Path, env: dict[str, str]) -> None:
    crash = "panic: runtime error: invalid memory address or nil pointer dereference\ngoroutine 112 [running]:\nmain.main()"
    install(tmp_path, prints(REATTACH) + f"\nprint({crash!r}, file=sys.stderr, flush=True)\nsys.exit(2)")
    log = io.StringIO()
    with pytest.raises(RuntimeError), serving(tmp_path, env, log):
        time.sleep(0.5)
        raise RuntimeError("terraform plan failed: the plugin exited")
    assert log.getvalue().endswith(f"the registry.terraform.io/hashicorp/aws plugin crashed:\n{crash}\n"), log.getvalue()
    assert "Starting github.com/hashicorp/terraform-provider-aws" not in log.getvalue()


def test_the_plugin_does_not_outlive_a_planner_killed_with_sigkill(tmp_path: Path, env: dict[str, str]) -> None:
    install(tmp_path, prints(REATTACH))
    planner = (
        "import io, os, signal, sys\n"
        "from pathlib import Path\n"
        "from tools.delivery.provider_server import serving\n"
        f"with serving(Path({str(tmp_path)!r}), {env!r}, io.StringIO()):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    killed = subprocess.run([sys.executable, "-c", planner], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    pid = int(record(tmp_path)["pid"])  # type: ignore[call-overload]
    assert gone(pid, within=10), "the plugin outlived the planner"


def test_a_plugin_that_cannot_be_started_leaves_terraform_to_start_its_own(tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    install(tmp_path, prints(REATTACH))

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(8, "Exec format error")

    monkeypatch.setattr("tools.delivery.provider_server.subprocess.Popen", refuse)
    log = io.StringIO()
    with serving(tmp_path, env, log) as given:
        assert given == env
    assert "cannot start terraform-provider-aws_v5.100.0_x5 ([Errno 8] Exec format error): Terraform starts its own" in log.getvalue()


@pytest.mark.parametrize(
    ("provider", "module", "single"),
    [
        ({"aws": [{"region": "eu-west-1"}]}, None, True),  # as cdktf writes it
        ({"aws": {"region": "eu-west-1"}}, None, True),
        ({"aws": [{"region": "eu-west-1"}], "helm": [{}]}, None, True),
        ({"aws": [{"region": "eu-west-1"}, {"alias": "us_east_1", "region": "us-east-1"}]}, None, False),
        ({"aws": [{"region": "eu-west-1"}]}, {"vpc": {"source": "terraform-aws-modules/vpc/aws"}}, False),
        ({}, None, False),
    ],
)
def test_only_a_stack_with_one_aws_configuration_shares_a_process(tmp_path: Path, provider: dict[str, object], module: object, single: bool) -> None:
    doc: dict[str, object] = {"provider": provider, **({"module": module} if module else {})}
    (tmp_path / "cdk.tf.json").write_text(json.dumps(doc))
    assert single_aws_configuration(tmp_path) is single


def stack(tmp_path: Path, name: str, aws: dict[str, str] | None) -> Path:
    workdir = tmp_path / name
    workdir.mkdir()
    required = {"aws": aws} if aws is not None else {"helm": {"source": "helm", "version": "3.1.1"}}
    (workdir / "cdk.tf.json").write_text(json.dumps({"terraform": {"required_providers": required}}))
    return workdir


@pytest.mark.parametrize(
    ("aws", "shared"),
    [
        ({"source": "aws", "version": "5.100.0"}, True),  # as cdktf writes it
        ({"source": "hashicorp/aws", "version": "5.100.0"}, True),
        ({"source": "registry.terraform.io/hashicorp/aws", "version": "5.100.0"}, True),
        ({"source": "aws", "version": "5.99.0"}, False),
        # A range may select another version than the one installed first: that stack's own init chooses.
        ({"source": "aws", "version": "~> 5.100"}, False),
        ({"source": "example.com/someone/aws", "version": "5.100.0"}, False),
        (None, False),
    ],
)
def test_a_later_stack_reuses_the_first_install_only_at_exactly_its_version(tmp_path: Path, aws: dict[str, str] | None, shared: bool) -> None:
    first = install(stack(tmp_path, "first", {"source": "aws", "version": "5.100.0"}), prints(REATTACH))
    later = stack(tmp_path, "later", aws)
    install_ = SharedInstall()
    assert install_.binary_for(later) is None  # nothing installed yet
    install_.offer(None)  # a stack whose init installed no hashicorp/aws
    install_.offer(first)
    install_.offer(install(stack(tmp_path, "second", {"source": "aws", "version": "5.99.0"}), prints(REATTACH), version="5.99.0"))
    assert install_.binary_for(later) == (first if shared else None)
