"""``network.pod_network``: a secondary VPC CIDR whose subnets hold the pods (VPC CNI custom networking).

Pods then take their addresses from a range the rest of the network never routes to (the
AWS "Advanced VPC / Secondary CIDRs" pattern), so a small primary VPC CIDR does not cap the number
of pods. The block must come from the ranges AWS recommends for it: 100.64.0.0/10 (RFC 6598
shared address space) or 198.19.0.0/16 (RFC 2544 benchmarking). One pod subnet per availability
zone, in the order of ``availability_zones``; the VPC CNI gets one ENIConfig per zone naming it.
"""

from __future__ import annotations

import ipaddress
from typing import Self

from pydantic import model_validator

from catalog.fields import Cidr, Strict

ALLOWED_RANGES = (ipaddress.IPv4Network("100.64.0.0/10"), ipaddress.IPv4Network("198.19.0.0/16"))


class PodNetwork(Strict):
    cidr: Cidr
    """The secondary VPC CIDR block (/16 to /28, as for any VPC CIDR block)."""
    subnets: tuple[Cidr, ...]
    """One pod subnet per availability zone, inside ``cidr``."""

    @model_validator(mode="after")
    def _inside(self) -> Self:
        block = ipaddress.IPv4Network(self.cidr)
        if not any(block.subnet_of(allowed) for allowed in ALLOWED_RANGES):
            raise ValueError(f"cidr: {self.cidr} is not inside 100.64.0.0/10 or 198.19.0.0/16, the ranges for pod CIDRs")
        if not 16 <= block.prefixlen <= 28:
            raise ValueError(f"cidr: a VPC CIDR block is /16 to /28; got /{block.prefixlen}")
        seen: list[tuple[int, ipaddress.IPv4Network]] = []
        for i, cidr in enumerate(self.subnets):
            net = ipaddress.IPv4Network(cidr)
            if not net.subnet_of(block):
                raise ValueError(f"subnets.{i}: {cidr} is not inside cidr {self.cidr}")
            for j, other in seen:
                if net.overlaps(other):
                    raise ValueError(f"subnets.{i}: {cidr} overlaps subnets.{j} {other}")
            seen.append((i, net))
        return self


def layout_problems(pod_network: PodNetwork | None, vpc_cidr: str, zones: tuple[str, ...]) -> list[str]:
    """What the pod network must agree on with the rest of ``network`` (``pod_network.<field>: ...``)."""
    if pod_network is None:
        return []
    problems = []
    if ipaddress.IPv4Network(pod_network.cidr).overlaps(ipaddress.IPv4Network(vpc_cidr)):
        problems.append(f"pod_network.cidr: {pod_network.cidr} overlaps vpc_cidr {vpc_cidr}")
    if len(pod_network.subnets) != len(zones):
        problems.append(f"pod_network.subnets: expected one pod subnet per availability zone ({len(zones)}), got {len(pod_network.subnets)}")
    return problems
