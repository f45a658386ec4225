"""A synthesized output of two small stacks of the environment ``mini`` with the shape cdktf gives
an environment's stacks (manifest.json, stacks/<name>/cdk.tf.json, S3 backends, the consumer
reading the producer through ``terraform_remote_state`` and a ``cross-stack-output-*`` output),
holding a secret Terraform itself marks sensitive, made at apply time (so it lives in state only,
like the EKS token a data source reads), never written in the configuration. Only Terraform's built-in resources, so the
delivery commands plan and apply it against the emulator's S3 in seconds."""

from __future__ import annotations

import json
from pathlib import Path

ENV = "mini"
BUCKET = "mini-tfstate"
REGION = "eu-west-1"


def backend(layer: str, endpoint: str) -> dict[str, object]:
    return {
        "bucket": BUCKET,
        "key": f"{ENV}/{layer}.tfstate",
        "region": REGION,
        "use_lockfile": True,
        "use_path_style": True,
        "skip_credentials_validation": True,
        "skip_requesting_account_id": True,
        "skip_metadata_api_check": True,
        "skip_region_validation": True,
        "endpoints": {"s3": endpoint},
    }


def write(outdir: Path, endpoint: str, *, version: str = "1", note: str = "a") -> Path:
    """``version`` is what the base stack publishes to the app stack: changing it changes a
    cross-stack output (so the app stack is deferred by ``plan --defer``); ``note`` changes each
    stack without changing what one reads of the other."""
    base = {
        "terraform": {"backend": {"s3": backend("base", endpoint)}},
        "resource": {
            "terraform_data": {
                "credential": {"input": "${sensitive(uuid())}", "lifecycle": {"ignore_changes": ["input"]}},
                "release": {"input": version},
                "note": {"input": note},
            }
        },
        "output": {
            "cross-stack-output-terraform_datarelease": {"value": "${terraform_data.release.output}"},
            "token": {"value": "${terraform_data.credential.output}", "sensitive": True},
        },
    }
    app = {
        "terraform": {"backend": {"s3": backend("app", endpoint)}},
        "data": {"terraform_remote_state": {"base": {"backend": "s3", "config": backend("base", endpoint)}}},
        "resource": {
            "terraform_data": {
                "deployment": {"input": "${data.terraform_remote_state.base.outputs.cross-stack-output-terraform_datarelease}"},
                "note": {"input": note},
            }
        },
    }
    stacks = {f"{ENV}-base": (base, []), f"{ENV}-app": (app, [f"{ENV}-base"])}
    for name, (doc, _) in stacks.items():
        (outdir / "stacks" / name).mkdir(parents=True, exist_ok=True)
        (outdir / "stacks" / name / "cdk.tf.json").write_text(json.dumps(doc, indent=1))
    manifest = {
        "version": "0.21.0",
        "stacks": {n: {"name": n, "dependencies": deps, "synthesizedStackPath": f"stacks/{n}/cdk.tf.json"} for n, (_, deps) in stacks.items()},
    }
    (outdir / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return outdir


def secret(emulator: object) -> str:
    """The secret the base stack made, read from its state object in the bucket."""
    body = emulator.client("s3", REGION).get_object(Bucket=BUCKET, Key=f"{ENV}/base.tfstate")["Body"].read()  # type: ignore[attr-defined]
    return str(json.loads(body)["outputs"]["token"]["value"])


def state(emulator: object, layer: str) -> dict[str, object]:
    body = emulator.client("s3", REGION).get_object(Bucket=BUCKET, Key=f"{ENV}/{layer}.tfstate")["Body"].read()  # type: ignore[attr-defined]
    return dict(json.loads(body))
