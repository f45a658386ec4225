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
import platform
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from tools.delivery.provider_server import SharedInstall, serving

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


def _os_arch() -> str:
    return f"{platform.system().lower()}_{ {'x86_64': 'amd64', 'aarch64': 'arm64'}.get(platform.machine().lower(), platform.machine().lower()) }"


def install(workdir: Path, behaviour: str, *, version: str = "5.100.0") -> Path:
    """A stand-in plugin where ``terraform init`` installs hashicorp/aws ``version``."""
    package = workdir / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp" / "aws" / version / _os_arch()
    package.mkdir(parents=True)
    binary = package / f"terraform-provider-aws_v{version}_x5"
    binary.write_text(PLUGIN.format(python=sys.executable, behaviour=behaviour))
    binary.chmod(0o755)
    return binary


def prints(reattach: Mapping[str, object]) -> str:
    return f"sys.stdout.write({BANNER.format(reattach=json.dumps(reattach))!r}); sys.stdout.flush()"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purpose; /proc says which (Linux).
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(")")[1].split()[0] != "Z"


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
    assert not alive(pid)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("behaviour", "said"),
    [
        ("sys.exit(3)", "exited (code 3) before printing TF_REATTACH_PROVIDERS"),
        (
            prints({"registry.terraform.io/hashicorp/google": REATTACH["registry.terraform.io/hashicorp/aws"]}),
            "offered ['registry.terraform.io/hashicorp/google']",
        ),
        ("print('Provider started.', flush=True)", "printed no TF_REATTACH_PROVIDERS within 2s"),
    ],
)
def test_a_plugin_that_does_not_come_up_leaves_terraform_to_start_its_own(tmp_path: Path, env: dict[str, str], behaviour: str, said: str) -> None:
    install(tmp_path, behaviour)
    log = io.StringIO()
    with serving(tmp_path, env, log, timeout=2) as given:
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


def test_what_the_plugin_wrote_is_in_the_log_when_the_stack_fails(tmp_path: Path, env: dict[str, str]) -> None:
    install(tmp_path, prints(REATTACH))
    log = io.StringIO()
    with pytest.raises(RuntimeError), serving(tmp_path, env, log):
        pid = int(record(tmp_path)["pid"])  # type: ignore[call-overload]
        raise RuntimeError("terraform plan failed")
    assert "Starting github.com/hashicorp/terraform-provider-aws@5.100.0" in log.getvalue()
    assert not alive(pid)


def test_a_ctrl_c_at_the_terminal_reaches_terraform_not_the_plugin(tmp_path: Path, env: dict[str, str]) -> None:
    """Terraform asks the plugin to stop (StopProvider) on an interrupt; a SIGINT to the terminal's
    process group must not kill the plugin under it."""
    install(tmp_path, prints(REATTACH))
    with serving(tmp_path, env, io.StringIO()):
        pid = int(record(tmp_path)["pid"])  # type: ignore[call-overload]
        assert os.getpgid(pid) != os.getpgid(0)
        assert os.getpgid(pid) == pid  # its own group: the terminal's SIGINT goes to the caller's


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
