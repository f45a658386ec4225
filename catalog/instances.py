"""What a pod can request on an EKS node of an instance type: capacity minus EKS's reservations.

Pure Python, no cdktf: add-on specs (Loki's cache sizing) and the render fit check both use it.
Instance facts (memory, vCPUs, ENIs, IPv4 addresses per ENI, architectures) come from the EC2
instance-type data moto ships (``moto/ec2/resources/instance_types.json.gz``, the output of
DescribeInstanceTypes), read without importing moto.

Reservations are those of the EKS optimized AMIs (awslabs/amazon-eks-ami, nodeadm
``internal/kubelet/config.go``, the same formulas as the AL2 ``bootstrap.sh``):
- max pods without prefix delegation = ENIs x (IPv4 per ENI - 1) + 2 (``eni-max-pods.txt``);
- kube-reserved memory = 11 MiB x max pods + 255 MiB;
- kube-reserved CPU = 6% of the first core, 1% of the second, 0.5% of the next two, 0.25% above four;
- eviction hard threshold ``memory.available<100Mi``.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EVICTION_HARD_MIB = 100


class UnknownInstanceType(KeyError):
    pass


@functools.lru_cache(maxsize=1)
def instance_data() -> dict[str, dict[str, Any]]:
    """EC2's DescribeInstanceTypes answer for every type, by name (read once per process)."""
    spec = importlib.util.find_spec("moto")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("moto is not installed: its EC2 instance-type data is needed (requirements.txt)")
    path = Path(next(iter(spec.submodule_search_locations))) / "ec2" / "resources" / "instance_types.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        data: dict[str, dict[str, Any]] = json.load(handle)
    return data


@dataclass(frozen=True)
class NodeCapacity:
    instance_type: str
    memory_mib: int
    vcpus: int
    max_pods: int
    architectures: tuple[str, ...]

    @property
    def kube_reserved_memory_mib(self) -> int:
        return 11 * self.max_pods + 255

    @property
    def kube_reserved_cpu_millis(self) -> float:
        steps = ((1, 0.06), (1, 0.01), (2, 0.005))
        left, reserved = self.vcpus, 0.0
        for cores, share in steps:
            used = min(left, cores)
            reserved += used * 1000 * share
            left -= used
        return reserved + max(left, 0) * 1000 * 0.0025

    @property
    def allocatable_memory_mib(self) -> int:
        return self.memory_mib - self.kube_reserved_memory_mib - EVICTION_HARD_MIB

    @property
    def allocatable_cpu_millis(self) -> float:
        return self.vcpus * 1000 - self.kube_reserved_cpu_millis


def capacity(instance_type: str) -> NodeCapacity:
    data = instance_data().get(instance_type)
    if data is None:
        raise UnknownInstanceType(instance_type)
    net = data["NetworkInfo"]
    return NodeCapacity(
        instance_type=instance_type,
        memory_mib=int(data["MemoryInfo"]["SizeInMiB"]),
        vcpus=int(data["VCpuInfo"]["DefaultVCpus"]),
        max_pods=int(net["MaximumNetworkInterfaces"]) * (int(net["Ipv4AddressesPerInterface"]) - 1) + 2,
        architectures=tuple(data["ProcessorInfo"]["SupportedArchitectures"]),
    )


def known(instance_type: str) -> bool:
    return instance_type in instance_data()


def all_types() -> list[str]:
    return sorted(instance_data())
