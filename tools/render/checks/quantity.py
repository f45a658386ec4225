"""Kubernetes resource quantities (``500m``, ``1.5``, ``9830Mi``, ``1G``, ``1e3``) as numbers."""

from __future__ import annotations

import re

_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_QUANTITY = re.compile(r"^([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E))?$")


def parse(value: object) -> float:
    """The quantity in base units (cores, bytes). Raises ValueError when it is not one."""
    if isinstance(value, (int, float)):
        return float(value)
    match = _QUANTITY.match(str(value).strip())
    if not match:
        raise ValueError(f"not a Kubernetes quantity: {value!r}")
    number, exponent, suffix = match.groups()
    if exponent:
        return float(number + exponent)
    return float(number) * _SUFFIX[suffix or ""]


def mib(value_bytes: float) -> str:
    return f"{value_bytes / 2**20:.0f}Mi"


def millicores(cores: float) -> str:
    return f"{cores * 1000:.0f}m"
