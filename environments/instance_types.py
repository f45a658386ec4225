"""vCPUs, memory and architectures of EC2 instance types as the config rules need them (team quotas
and limit ranges against the node groups' sizes, AMI architecture), from the one reader of EC2's
instance data, :func:`catalog.instances.instance_data`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from catalog.instances import instance_data


@dataclass(frozen=True)
class InstanceSize:
    vcpus: int
    memory_mib: int
    architectures: tuple[str, ...] = ()  # EC2's ProcessorInfo.SupportedArchitectures: x86_64, arm64, i386, ...


# An EKS node group's AMI type runs on one architecture (the ``_x86_64``/``_ARM_64`` in its name:
# EKS API reference, Nodegroup.amiType; https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html).
AMI_ARCHITECTURE = {"x86_64": "x86_64", "ARM_64": "arm64"}


@cache
def _table() -> dict[str, InstanceSize]:
    raw = instance_data()
    return {
        name: InstanceSize(
            vcpus=int(body["VCpuInfo"]["DefaultVCpus"]),
            memory_mib=int(body["MemoryInfo"]["SizeInMiB"]),
            architectures=tuple(body.get("ProcessorInfo", {}).get("SupportedArchitectures", ())),
        )
        for name, body in raw.items()
    }


def instance_size(instance_type: str) -> InstanceSize | None:
    """The size of ``instance_type``, or None when EC2 does not know the name."""
    return _table().get(instance_type)


def _moto_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("moto")
    except PackageNotFoundError:
        return "(not installed)"


def ami_architecture(ami_type: str) -> str | None:
    """The architecture an EKS AMI type runs on (``AL2023_ARM_64_STANDARD`` -> ``arm64``)."""
    return next((arch for marker, arch in AMI_ARCHITECTURE.items() if marker in ami_type), None)


def node_group_problem(instance_types: tuple[str, ...], ami_type: str) -> str | None:
    """``instance_types.<i>: message`` for the first type EC2 does not know, or that cannot run
    ``ami_type``'s architecture (EKS then refuses to create the node group); None when all fit."""
    wanted = ami_architecture(ami_type)
    for i, name in enumerate(instance_types):
        size = instance_size(name)
        if size is None:
            return (
                f"instance_types.{i}: {name!r} is not an EC2 instance type (EC2's instance-type data, as moto "
                f"{_moto_version()} ships it; a type newer than that data needs a newer moto pin in requirements.txt)"
            )
        if wanted is not None and size.architectures and wanted not in size.architectures:
            return (
                f"instance_types.{i}: {name} runs {'/'.join(size.architectures)} only, but ami_type {ami_type} needs {wanted} "
                "(pick instance types and an AMI type of the same architecture)"
            )
    return None
