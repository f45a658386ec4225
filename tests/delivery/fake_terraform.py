"""A stand-in for the ``terraform`` executable, for the planner's scheduling tests: each command
sleeps as long as the stack's entry in ``$FAKE_TF_CONFIG`` says and appends its start and end
(``[seconds, "start"|"end", command, stack]``, one JSON line each) to ``$FAKE_TF_EVENTS``.

Per stack (the working directory's name): ``plan_seconds``; ``moves`` (its plan changes a
``cross-stack-output-*`` output, as cdktf names the outputs other stacks read); ``fail`` (the plan
fails without saving a plan file). What it prints is fixed per stack, so two runs print the same.

Providers, as Terraform handles them: ``init`` installs hashicorp/aws (a copy of
``$FAKE_TF_PLUGIN``, when set) where Terraform's provider cache puts it, unless the stack
configures no aws provider or ``TF_REATTACH_PROVIDERS`` names it (Terraform installs no
"unmanaged" provider). Each event also records the process id ``TF_REATTACH_PROVIDERS`` names
(None without it).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

AWS = "registry.terraform.io/hashicorp/aws"


def reattached() -> int | None:
    given = os.environ.get("TF_REATTACH_PROVIDERS")
    return int(json.loads(given)[AWS]["Pid"]) if given else None


def install_aws() -> None:
    plugin = os.environ.get("FAKE_TF_PLUGIN")
    configured = json.loads(Path("cdk.tf.json").read_text()).get("provider", {}).get("aws")
    if plugin and configured and reattached() is None:
        package = Path(".terraform/providers", AWS, "5.100.0", "linux_amd64")
        package.mkdir(parents=True, exist_ok=True)
        (package / "terraform-provider-aws_v5.100.0_x5").write_text(f"#!{sys.executable}\n" + Path(plugin).read_text())
        (package / "terraform-provider-aws_v5.100.0_x5").chmod(0o755)


def note(what: str, command: str, stack: str) -> None:
    line = json.dumps([time.time(), what, command, stack, reattached()]) + "\n"
    fd = os.open(os.environ["FAKE_TF_EVENTS"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())  # one write with O_APPEND: lines of concurrent runs do not mix
    finally:
        os.close(fd)


def shown(stack: str, moves: bool) -> dict[str, object]:
    """What ``terraform show -json`` prints of the plan (https://developer.hashicorp.com/terraform/internals/json-format)."""
    return {
        "format_version": "1.2",
        "resource_changes": [{"address": f"terraform_data.{stack.replace('-', '_')}", "change": {"actions": ["update"], "before": {}, "after": {}}}],
        "output_changes": {"cross-stack-output-id": {"actions": ["update"] if moves else ["no-op"], "before": "a", "after": "b" if moves else "a"}},
    }


def main(argv: list[str]) -> int:
    stack = Path.cwd().name
    me = json.loads(Path(os.environ["FAKE_TF_CONFIG"]).read_text()).get(stack, {})
    command = argv[0]
    note("start", command, stack)
    try:
        if command == "init":
            time.sleep(0.05)
            install_aws()
            print(f"Initializing {stack}\nTerraform has been successfully initialized!")
        elif command == "plan":
            time.sleep(float(me.get("plan_seconds", 0.3)))
            if me.get("fail"):
                print(f"Error: {stack} cannot be planned", file=sys.stderr)
                return 1
            Path("tfplan").write_text(json.dumps(shown(stack, bool(me.get("moves")))))
            print(f"Plan of {stack}: 1 to change")
            print(f"Warning: {stack} is a fake", file=sys.stderr)
        elif command == "show":
            print(Path(argv[-1]).read_text())
        elif command == "state":
            pass  # `state pull` with no state yet
        else:
            print(f"fake terraform: {command} is not faked", file=sys.stderr)
            return 1
        return 0
    finally:
        note("end", command, stack)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
