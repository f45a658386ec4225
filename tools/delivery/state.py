"""The environment's state objects as the delivery reads them: which ones no synthesized stack uses,
and every stack's outputs after a deploy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tools.delivery.changes import OUTDIR
from tools.delivery.stacks import run_terraform, stack_order, terraform_env


def _s3_backends(env_name: str, outdir: Path) -> list[dict[str, object]]:
    """The S3 backend blocks of the environment's synthesized stacks (none with Terraform Cloud)."""
    backends = []
    for stack in stack_order(env_name, outdir):
        doc = json.loads((outdir / "stacks" / stack / "cdk.tf.json").read_text())
        s3 = doc.get("terraform", {}).get("backend", {}).get("s3")
        if s3:
            backends.append({**s3, "stack": stack})
    return backends


def _state_prefix(key: str) -> str:
    """``[<key_prefix>/]<env>/`` of a state key ``[<key_prefix>/]<env>/<layer>.tfstate`` (stacks.base.state_key)."""
    return key.rsplit("/", 1)[0] + "/"


def _resource_count(state: dict[str, Any]) -> int:
    """Managed resource instances recorded in a Terraform state (data sources are not in AWS)."""
    resources = state.get("resources") or []
    return sum(len(r.get("instances") or []) for r in resources if isinstance(r, dict) and r.get("mode") == "managed")


def stacks_not_synthesized(env_name: str, outdir: Path = OUTDIR) -> dict[str, object]:
    """State objects of ``env_name`` in its S3 state bucket that no synthesized stack uses.

    Read with the caller's AWS credentials (the plan role reads state anyway), or the static ones
    an emulator environment's backend carries; the endpoint comes from ``AWS_ENDPOINT_URL_S3``
    like Terraform's. A bucket that does not exist yet (first deploy) has none. Returns
    ``{"environment", "checked", "bucket", "stacks": [{"stack", "state", "resources"}]}``;
    ``checked`` is false (with a ``reason``) for a Terraform Cloud backend, whose workspaces are
    not listed here.
    """
    backends = _s3_backends(env_name, outdir)
    result: dict[str, object] = {"environment": env_name, "checked": False, "stacks": []}
    if not backends:
        result["reason"] = "no stack of this environment uses the S3 backend"
        return result
    import boto3  # late: only `plan` needs it
    from botocore.config import Config
    from botocore.exceptions import ClientError

    first = backends[0]
    bucket, prefix = str(first["bucket"]), _state_prefix(str(first["key"]))
    # A synthesized stack counts even when its backend is not the bucket (the state stack before
    # it is migrated, or after it is migrated back out): its own stale object is not an orphan.
    synthesized = set(stack_order(env_name, outdir))
    used = {str(b["key"]) for b in backends}
    s3 = boto3.client(
        "s3",
        region_name=str(first["region"]),
        aws_access_key_id=first.get("access_key"),
        aws_secret_access_key=first.get("secret_key"),
        config=Config(s3={"addressing_style": "path" if first.get("use_path_style") else "auto"}),
    )
    result.update(checked=True, bucket=bucket)
    found = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                key = item["Key"]
                layer = key[len(prefix) :]
                # Only this environment's state objects: not lock files, not other prefixes' objects.
                stack = f"{env_name}-{layer.removesuffix('.tfstate')}"
                if "/" in layer or not layer.endswith(".tfstate") or key in used or stack in synthesized:
                    continue
                state = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                found.append({"stack": stack, "state": f"s3://{bucket}/{key}", "resources": _resource_count(state)})
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
            raise
        result["reason"] = f"state bucket {bucket} does not exist yet"
    result["stacks"] = found
    return result


def outputs_markdown(env_name: str, outdir: Path = OUTDIR) -> str:
    """A Markdown table of every stack's outputs after a deploy (cluster name and endpoint, role
    ARNs, bucket names; not the cross-stack plumbing, not sensitive values): the deploy's job
    summary and ``make``-side "what did I get"."""
    env = terraform_env()
    rows = []
    for stack in stack_order(env_name, outdir):
        workdir = outdir / "stacks" / stack
        if not (workdir / ".terraform").is_dir():
            run_terraform(["init", "-input=false", "-no-color"], workdir, env, stdout=sys.stderr)
        shown = run_terraform(["output", "-json"], workdir, env, capture_output=True)
        for name, item in sorted(json.loads(shown.stdout or b"{}").items()):
            if name.startswith("cross-stack-output-"):
                continue
            value = "(sensitive)" if item.get("sensitive") else item.get("value")
            rows.append(f"| {stack} | {name} | `{value if isinstance(value, str) else json.dumps(value)}` |")
    return "\n".join([f"### Outputs of {env_name}", "", "| stack | output | value |", "|---|---|---|", *rows]) + "\n"
