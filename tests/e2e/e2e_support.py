"""Helpers shared by the e2e conftest and tests."""

from __future__ import annotations

import shutil
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tools.terraform import ROOT

TIMINGS: dict[str, float] = defaultdict(float)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Add the wall time of the block to ``TIMINGS[name]`` (apply, plan, destroy, ... per env)."""
    started = time.monotonic()
    try:
        yield
    finally:
        TIMINGS[name] += time.monotonic() - started


def _previous_minor(version: str) -> str:
    major, minor = version.split(".")
    return f"{major}.{int(minor) - 1}"


def local_raw() -> dict[str, Any]:
    """environments/local.yaml as the emulator suite deploys it: one Kubernetes minor below the
    shipped file, so the upgrade test moves it to the shipped minor, whose add-on builds are pinned
    (the minor after the newest shipped one has none yet, and the loader refuses it)."""
    raw: dict[str, Any] = yaml.safe_load((ROOT / "environments" / "local.yaml").read_text())
    raw["cluster"]["version"] = _previous_minor(str(raw["cluster"]["version"]))
    return raw


def local_environment(directory: Path) -> Path:
    """:func:`local_raw` written to ``directory/local.yaml``; returns ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "local.yaml").write_text(yaml.safe_dump(local_raw(), sort_keys=False))
    return directory


def wide_environment(directory: Path) -> Path:
    """The second shape: environments/local.yaml widened to three AZs, a NAT gateway per AZ, two
    node groups and a secondary pod CIDR, under another name and bucket, without add-ons. Written to ``directory``;
    returns it.

    The add-ons' AWS side (roles, buckets, queue) does not depend on the network or node group
    shape and ``local`` applies it already; leaving it out here keeps the suite in its time budget
    (the buckets' lifecycle read-back alone costs ~55 s per apply).
    """
    raw = yaml.safe_load((ROOT / "environments" / "local.yaml").read_text())
    raw["name"] = "localwide"
    raw.pop("addons", None)
    raw.pop("teams", None)  # teams need external-secrets; local applies the teams' AWS side already
    # Karpenter's AWS side lives in <env>-addons-aws, which this shape leaves out; local applies it.
    raw.pop("karpenter", None)
    raw["cluster"].pop("autoscaler", None)
    raw.pop("dns", None)
    raw["network"].update(
        availability_zones=["eu-west-1a", "eu-west-1b", "eu-west-1c"],
        public_subnets=["10.60.0.0/22", "10.60.4.0/22", "10.60.8.0/22"],
        private_subnets=["10.60.32.0/19", "10.60.64.0/19", "10.60.96.0/19"],
        vpc_cidr="10.60.0.0/16",
        nat_gateways="one_per_az",
    )
    raw["cluster"]["node_groups"]["spot"] = {
        "instance_types": ["m6i.large", "m5.large"],
        "capacity": "SPOT",
        "min_size": 0,
        "desired_size": 1,
        "max_size": 3,
        "labels": {"node.kubernetes.io/capacity": "spot"},
        "taints": [{"key": "capacity", "value": "spot", "effect": "NO_SCHEDULE"}],
    }
    # Pods in a secondary CIDR (network.pod_network, VPC CNI custom networking): applied, planned
    # and destroyed here; the ENIConfigs are part of the vpc-cni add-on's configuration (<env>-cluster).
    raw["network"]["pod_network"] = {"cidr": "100.64.0.0/16", "subnets": ["100.64.0.0/18", "100.64.64.0/18", "100.64.128.0/18"]}
    raw["state_backend"]["bucket"] = "platform-localwide-tfstate"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "localwide.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    return directory


def copy_stacks(outdir: Path, stacks: list[str], dest: Path) -> Path:
    """A private copy of the synthesized stacks, so each test has its own .terraform and local state."""
    for stack in stacks:
        shutil.copytree(outdir / "stacks" / stack, dest / "stacks" / stack)
    return dest
