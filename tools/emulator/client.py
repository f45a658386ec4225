"""The emulator's server process as a test or ``make local-up`` holds it: start, wait, the
environment Terraform needs, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"  # loopback only, never configurable
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
ROOT = Path(__file__).resolve().parents[2]

# Variables that could send Terraform or boto3 anywhere but the emulator, or pick other credentials.
_DROPPED = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


class EmulatorError(RuntimeError):
    pass


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass
class Emulator:
    """One moto server process. Use as a context manager or call ``start``/``stop``."""

    port: int = 0
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, *, timeout: float = 90.0, attempts: int = 3) -> Emulator:
        """Start moto on a free loopback port (retrying if another process grabs it first)."""
        for _ in range(attempts):
            self.port = self.port or free_port()
            log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
            env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
            env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
            env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tools.emulator", "serve", str(self.port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # our own process group: stop() never signals anyone else
            )
            if not isinstance(log, int):  # our log file, not subprocess.DEVNULL
                log.close()
            if self.wait_ready(timeout):
                return self
            self.stop()
            self.port = 0
        raise EmulatorError(f"moto server did not start on {HOST} (log: {self.log_path or 'not kept'})")

    def wait_ready(self, timeout: float) -> bool:
        """Whether the server answers within ``timeout`` (also for one started by another process)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                return False  # exited: port taken or a crash
            try:
                with _opener().open(f"{self.endpoint}/moto-api/", timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        return False

    def stop(self) -> None:
        """Stop the server (its whole process group) and wait for it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        self.process = None

    def __enter__(self) -> Emulator:
        return self.start() if self.process is None else self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- clients --------------------------------------------------------------------------------

    def terraform_env(self, base: dict[str, str]) -> dict[str, str]:
        """``base`` (from ``tools.terraform.terraform_env``) pointed at this emulator only."""
        env = {k: v for k, v in base.items() if k not in _DROPPED}
        env.update(
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_ENDPOINT_URL_S3=self.endpoint,
            AWS_ACCESS_KEY_ID=ACCESS_KEY,
            AWS_SECRET_ACCESS_KEY=SECRET_KEY,
            AWS_EC2_METADATA_DISABLED="true",
            NO_PROXY=f"{HOST},localhost",
            no_proxy=f"{HOST},localhost",
        )
        return env

    def client(self, service: str, region: str) -> Any:
        import boto3  # imported late: the CLI's `serve` path does not need it

        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def create_bucket(self, bucket: str, region: str) -> None:
        """Create an S3 bucket directly (the fault tests use one without applying the state stack)."""
        s3 = self.client("s3", region)
        kwargs: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)

    def empty_bucket(self, bucket: str, region: str) -> int:
        """Delete every object version and delete marker in ``bucket``; returns how many."""
        s3 = self.client("s3", region)
        removed = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                s3.delete_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])
                removed += 1
        return removed


def _opener() -> urllib.request.OpenerDirector:
    # No proxy handler: a readiness probe to loopback must never go through a proxy.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


# -- the server process ------------------------------------------------------------------------
