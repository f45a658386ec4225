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

A stack with more than one hashicorp/aws configuration (an alias) is left to Terraform
(``single_aws_configuration``): Terraform would send every configuration to the one process.
When no such binary is installed, or it does not come up, ``serving`` yields the environment
unchanged and says why in the stack's log: Terraform starts its own, as without this module.

A ``-debug`` plugin never exits by itself, so it runs under a small ``sh`` watchdog that stops it
when its stdin, a pipe from this process, closes: when ``serving`` ends, and also when the planner
dies in any way (SIGKILL included), since the kernel closes the pipe then.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TextIO

ADDRESS = "registry.terraform.io/hashicorp/aws"
START_TIMEOUT = 60.0  # seconds for the plugin to print its reattach line (it takes ~0.3 s here)
STOP_GRACE = 10.0  # seconds for the plugin to exit once asked, before it is killed
_REATTACH = re.compile(r"^\s*TF_REATTACH_PROVIDERS='(\{.*\})'\s*$")
_SOURCES = {"aws", "hashicorp/aws", ADDRESS}
# Started as `sh -c WATCHDOG <plugin>`: the plugin gets /dev/null for stdin and sh ends with it; a
# subshell waits for the end of sh's stdin (the pipe from the planner: closed by `_stop`, or by the
# kernel when the planner dies) and then stops the plugin.
WATCHDOG = 'exec 3<&0 </dev/null; "$0" -debug & child=$!; (read -r _ <&3; kill -TERM "$child" 2>/dev/null) >/dev/null 2>&1 & exec 3<&-; wait "$child"'
# Go's runtime starts a crash report with one of these (runtime/panic.go, runtime/error.go);
# Terraform prints such a report from a plugin it started, so a reattached one's is printed too.
_CRASH = re.compile(r"^(panic: |fatal error: )", re.MULTILINE)


def installed_binary(workdir: Path) -> Path | None:
    """The hashicorp/aws plugin ``terraform init`` installed in ``workdir`` (its ``.terraform/providers``
    layout: address/version/os_arch/terraform-provider-aws_v<version>_x5; init installs only this
    machine's platform), or None when there is not exactly one."""
    found = sorted((workdir / ".terraform" / "providers" / ADDRESS).glob("*/*/terraform-provider-aws_*"))
    return found[0] if len(found) == 1 and os.access(found[0], os.X_OK) else None


def single_aws_configuration(workdir: Path) -> bool:
    """Whether the stack configures hashicorp/aws exactly once (no alias, no module that could add
    one): Terraform's JSON syntax gives a provider's configurations as one object or a list of them
    (https://developer.hashicorp.com/terraform/language/syntax/json#provider-blocks)."""
    doc = json.loads((workdir / "cdk.tf.json").read_text())
    configured = (doc.get("provider") or {}).get("aws")
    count = 1 if isinstance(configured, dict) else len(configured) if isinstance(configured, list) else 0
    return count == 1 and not doc.get("module")


def _reattach_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The reattach JSON the plugin prints on stdout, or ValueError. The rest of its stdout is read
    and dropped, so it never blocks on a full pipe."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in proc.stdout or ():
            if lines.qsize() < 1000:  # once the line is found nobody reads these
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
            try:
                code = proc.wait(timeout=STOP_GRACE)
            except subprocess.TimeoutExpired:
                code = None
            raise ValueError(f"it exited (code {code}) before printing TF_REATTACH_PROVIDERS")
        match = _REATTACH.match(line)
        if match:
            config = json.loads(match.group(1))
            if set(config) != {ADDRESS}:
                raise ValueError(f"it offered {sorted(config)}, not {ADDRESS}")
            return match.group(1)
    raise ValueError(f"it printed no TF_REATTACH_PROVIDERS within {timeout:.0f}s")


def _stop(proc: subprocess.Popen[str]) -> None:
    """Close the watchdog's stdin (it stops the plugin); kill the group if that takes too long.
    (The plugin's stdout is left to the thread reading it: closing a pipe another thread is
    reading blocks until that read ends.)"""
    try:
        if proc.stdin is not None:
            proc.stdin.close()
    except OSError:
        pass  # the watchdog is gone already
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own group: the watchdog and the plugin
        proc.wait()


def _crash_report(stderr: IO[bytes]) -> str | None:
    """The end of what the plugin wrote, when it holds a Go crash report."""
    stderr.seek(0, os.SEEK_END)
    stderr.seek(max(0, stderr.tell() - 16384))
    said = stderr.read().decode(errors="replace")
    found = _CRASH.search(said)
    return said[found.start() :].strip() if found else None


class SharedInstall:
    """The hashicorp/aws plugin the first stack of a run installed (``terraform init``: it is linked
    from the plugin cache and checked against the lock file, hashing all 700 MB of it, 0.9 s of CPU
    per stack here), for the later stacks that pin the same version: their ``init`` then runs with
    the plugin started from it reattached, and installs and hashes only the other providers.

    Such a stack's ``.terraform`` then has no hashicorp/aws, nor, in a directory never initialized
    before (a runner's), does its lock file record it: a Terraform command run there later without
    the reattach line asks for ``terraform init``, which every tools.delivery command that needs it
    runs first. A saved plan carries the lock file it was made
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
    itself when none could be started (the reason goes to ``log``). When the plugin crashed, its
    crash report goes to ``log`` (as Terraform prints one from a plugin it started)."""
    binary = binary or installed_binary(workdir)
    if binary is None:
        print(f"({workdir.name}) no single installed {ADDRESS} plugin: Terraform starts its own", file=log)
        yield env
        return
    with tempfile.TemporaryFile(prefix="provider-stderr-") as stderr:
        try:
            # Its own process group: a Ctrl-C reaches Terraform, which asks the plugin to stop (StopProvider).
            proc = subprocess.Popen(
                ["sh", "-c", WATCHDOG, str(binary)],
                cwd=workdir,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                start_new_session=True,
            )
        except OSError as exc:
            print(f"({workdir.name}) cannot start {binary.name} ({exc}): Terraform starts its own", file=log)
            yield env
            return
        try:
            try:
                reattach = _reattach_line(proc, timeout)
            except ValueError as exc:
                print(f"({workdir.name}) {binary.name} -debug did not start ({exc}): Terraform starts its own", file=log)
                yield env
                return
            try:
                yield {**env, "TF_REATTACH_PROVIDERS": reattach}
            finally:
                report = _crash_report(stderr)
                if report:
                    print(f"({workdir.name}) the {ADDRESS} plugin crashed:\n{report}", file=log)
        finally:
            _stop(proc)
