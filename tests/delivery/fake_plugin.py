"""A stand-in for the hashicorp/aws plugin started with ``-debug``: it prints what the real
aws 5.100.0 binary prints on stdout (the banner and the ``TF_REATTACH_PROVIDERS='...'`` line,
captured from it on this machine), writes its start-up line to stderr as the real one does
(``Starting github.com/hashicorp/terraform-provider-aws@5.100.0``), appends its process id to
``$FAKE_PLUGIN_PIDS``, and waits to be stopped."""

import json
import os
import sys
import time

if sys.argv[1:] != ["-debug"]:
    sys.exit(f"fake plugin: started with {sys.argv[1:]}, not -debug")
with open(os.environ["FAKE_PLUGIN_PIDS"], "a") as pids:
    pids.write(f"{os.getpid()}\n")
print("Starting github.com/hashicorp/terraform-provider-aws@5.100.0 (go1.23.10)...", file=sys.stderr, flush=True)
reattach = {
    "registry.terraform.io/hashicorp/aws": {
        "Protocol": "grpc",
        "ProtocolVersion": 5,
        "Pid": os.getpid(),
        "Test": True,
        "Addr": {"Network": "unix", "String": f"/tmp/plugin{os.getpid()}"},
    }
}
sys.stdout.write(
    "Provider started. To attach Terraform CLI, set the TF_REATTACH_PROVIDERS environment variable with the following:\n\n"
    f"\tTF_REATTACH_PROVIDERS='{json.dumps(reattach, separators=(',', ':'))}'\n\n"
)
sys.stdout.flush()
time.sleep(600)
