"""One AWS provider process for a stack's ``plan`` and ``show -json``, instead of four.

Terraform starts a provider plugin afresh for each thing it does with it: ``terraform plan``
starts hashicorp/aws three times (its schema, the validate walk, the plan walk) and ``terraform
show -json`` once more for the schema, and before each start it hashes the 700 MB binary against
the dependency lock file. Measured on the emulator (aws 5.100.0, Terraform 1.11), that is 3.2 s
of CPU for a plan and 2.0 s for its show, of which the plugin's start-up and the hashing are about
half. Terraform can instead use a provider that is already running: ``TF_REATTACH_PROVIDERS``
(https://developer.hashicorp.com/terraform/plugin/debugging#running-terraform-with-a-provider-in-debug-mode),
which the plugin prints when started with ``-debug`` (the AWS provider's main.go, through
terraform-plugin-go's ``tf5server.WithManagedDebug``). Terraform neither starts nor stops a
provider it reattaches to ("Test" mode of go-plugin's ReattachConfig).

``serving(workdir, env)`` starts the hashicorp/aws binary ``terraform init`` installed in
``workdir`` (so the lock file's check has run on that very file), with the environment Terraform
would have given it, and yields that environment with ``TF_REATTACH_PROVIDERS`` set for
hashicorp/aws only (helm and kubernetes are started by Terraform as usual). It serves one stack:
the plan configures it once and the show reads only its schema. One process is never configured
twice: the AWS provider keeps process-wide state from its configuration (a second configure of one
process fails with "unable to add custom RootCAs HTTPClient" when AWS_CA_BUNDLE is set, seen here),
so sharing one configured process between stacks is unsafe.

When no such binary is installed, or it does not come up, ``serving`` yields the environment
unchanged and says why in the stack's log: Terraform starts its own, as without this module.
"""

from __future__ import annotations

import json
import os
import platform
import queue
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

ADDRESS = "registry.terraform.io/hashicorp/aws"
START_TIMEOUT = 60.0  # seconds for the plugin to print its reattach line (it takes ~0.3 s here)
STOP_GRACE = 10.0  # seconds between SIGTERM and SIGKILL
_REATTACH = re.compile(r"^\s*TF_REATTACH_PROVIDERS='(\{.*\})'\s*$")


def _os_arch() -> str:
    machine = platform.machine().lower()
    return f"{platform.system().lower()}_{ {'x86_64': 'amd64', 'aarch64': 'arm64'}.get(machine, machine) }"


def installed_binary(workdir: Path) -> Path | None:
    """The hashicorp/aws plugin ``terraform init`` installed in ``workdir`` (its ``.terraform/providers``
    layout: address/version/os_arch/terraform-provider-aws_v<version>_x5), or None when there is
    not exactly one."""
    found = sorted((workdir / ".terraform" / "providers" / ADDRESS).glob(f"*/{_os_arch()}/terraform-provider-aws_*"))
    return found[0] if len(found) == 1 and os.access(found[0], os.X_OK) else None


def _reattach_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The reattach JSON the plugin prints on stdout, or ValueError. The rest of its stdout is read
    and dropped, so it never blocks on a full pipe."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stdout or ():
            lines.put(line)
        lines.put("")  # end of output

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if not line:
            raise ValueError(f"it exited (code {proc.wait()}) before printing TF_REATTACH_PROVIDERS")
        match = _REATTACH.match(line)
        if match:
            config = json.loads(match.group(1))
            if set(config) != {ADDRESS}:
                raise ValueError(f"it offered {sorted(config)}, not {ADDRESS}")
            return match.group(1)
    raise ValueError(f"it printed no TF_REATTACH_PROVIDERS within {timeout:.0f}s")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


_SOURCES = {"aws", "hashicorp/aws", ADDRESS}


class SharedInstall:
    """The hashicorp/aws plugin the first stack of a run installed (``terraform init``: it is linked
    from the plugin cache and checked against the lock file, hashing all 700 MB of it, 0.9 s of CPU
    per stack here), for the later stacks that pin the same version: their ``init`` then runs with
    the plugin started from it reattached, and installs and hashes only the other providers.

    Such a stack's ``.terraform`` has no hashicorp/aws and its lock file does not record it: a
    Terraform command run there later without the reattach line asks for ``terraform init``, as
    every tools.delivery command that needs it runs. A saved plan carries the lock file it was made
    with, so the plans ``apply --plans`` applies are never made this way (tools/delivery/runs.py).
    """

    def __init__(self) -> None:
        self.binary: Path | None = None

    def offer(self, binary: Path | None) -> None:
        """The plugin a stack's own ``init`` installed; the first one offered is kept."""
        if self.binary is None and binary is not None:
            self.binary = binary

    def binary_for(self, workdir: Path) -> Path | None:
        """The kept plugin when the stack in ``workdir`` requires hashicorp/aws at exactly its version
        (cdktf pins the provider package's version: ``"version": "5.100.0"``), else None."""
        if self.binary is None:
            return None
        required = (json.loads((workdir / "cdk.tf.json").read_text()).get("terraform") or {}).get("required_providers") or {}
        aws = required.get("aws") or {}
        version = self.binary.parent.parent.name  # .../hashicorp/aws/<version>/<os_arch>/<binary>
        return self.binary if aws.get("source") in _SOURCES and aws.get("version") == version else None


@contextmanager
def serving(workdir: Path, env: dict[str, str], log: TextIO, *, binary: Path | None = None, timeout: float = START_TIMEOUT) -> Iterator[dict[str, str]]:
    """``env`` with ``TF_REATTACH_PROVIDERS`` naming a hashicorp/aws process started for this stack
    from ``binary`` (default: the one init installed in ``workdir``), stopped on exit; or ``env``
    itself when none could be started (the reason goes to ``log``). What the plugin writes to
    stderr goes to ``log`` when the block raises."""
    binary = binary or installed_binary(workdir)
    if binary is None:
        print(f"({workdir.name}) no single installed {ADDRESS} plugin: Terraform starts its own", file=log)
        yield env
        return
    with tempfile.TemporaryFile(mode="w+", prefix="provider-stderr-") as stderr:
        # Its own process group: a Ctrl-C reaches Terraform, which asks the plugin to stop (StopProvider).
        proc = subprocess.Popen(
            [str(binary), "-debug"], cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, text=True, start_new_session=True
        )
        try:
            try:
                reattach = _reattach_line(proc, timeout)
            except ValueError as exc:
                print(f"({workdir.name}) {binary.name} -debug did not start ({exc}): Terraform starts its own", file=log)
                yield env
                return
            try:
                yield {**env, "TF_REATTACH_PROVIDERS": reattach}
            except BaseException:
                stderr.seek(0)
                said = stderr.read().strip()
                if said:
                    print(f"({workdir.name}) the {ADDRESS} plugin wrote:\n{said[-4000:]}", file=log)
                raise
        finally:
            _stop(proc)
