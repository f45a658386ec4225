"""Monthly cost lines of each environment, computed from the synthesized JSON (``cdktf.out``).

    python -m tools.cost [--outdir cdktf.out] [--on YYYY-MM-DD] [--write docs/cost.md]

What the stacks decide and AWS bills by the hour: the EKS control plane (standard or extended
support, from the support calendar in ``catalog/eks_versions.py`` on the date given), NAT gateways
and their public IPv4 addresses, interface VPC endpoints per Availability Zone, KMS keys, and the
node groups' instance-hours at their desired sizes (no price: catalog/prices.py says why).
Prices are the cited constants of ``catalog/prices.py`` and ``catalog/eks_versions.py``.

``--write`` replaces the section between ``<!-- cost:begin -->`` and ``<!-- cost:end -->`` of the
file (``make cost-doc``); tests/project/test_cost_doc.py checks the doc against this output.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from catalog import prices
from catalog.eks_versions import EXTENDED_PER_HOUR, HOURS_PER_MONTH, STANDARD_PER_HOUR, SUPPORT_CALENDAR

BEGIN, END = "<!-- cost:begin -->", "<!-- cost:end -->"
_DATE = re.compile(r"Priced on (\d{4}-\d{2}-\d{2})")


@dataclass(frozen=True)
class Line:
    item: str
    quantity: str
    unit: str
    monthly: float | None  # None: not priced


def _resources(outdir: Path, env: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Resource type -> {logical id: body}, over every stack of ``env``."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    for path in sorted((outdir / "stacks").glob(f"{env}-*/cdk.tf.json")):
        if path.parent.name.removeprefix(f"{env}-") not in _STACK_KINDS:
            continue  # another environment whose name starts with this one's
        for type_, bodies in json.loads(path.read_text(encoding="utf-8")).get("resource", {}).items():
            found.setdefault(type_, {}).update(bodies)
    return found


_STACK_KINDS = ("state", "network", "cluster", "storage", "addons-aws", "addons", "teams-aws", "teams")


def _per_month(per_hour: float, count: int = 1) -> float:
    return round(per_hour * HOURS_PER_MONTH * count, 2)


def eks_line(cluster: dict[str, Any], on: date) -> Line:
    version = str(cluster.get("version"))
    policy = ((cluster.get("upgrade_policy") or [{}])[0] or {}).get("support_type")
    window = SUPPORT_CALENDAR.get(version)
    if window is None:
        raise ValueError(f"aws_eks_cluster version {version!r}: not in catalog/eks_versions.py SUPPORT_CALENDAR")
    if on <= window.end_of_standard:
        return Line(
            f"EKS control plane {version}, standard support (until {window.end_of_standard.isoformat()})",
            "1 cluster",
            f"${STANDARD_PER_HOUR:.2f} per hour",
            _per_month(STANDARD_PER_HOUR),
        )
    if policy == "STANDARD":  # EKS upgrades the cluster itself at the end of standard support
        return Line(
            f"EKS control plane {version}, past standard support: EKS upgrades it",
            "1 cluster",
            f"${STANDARD_PER_HOUR:.2f} per hour",
            _per_month(STANDARD_PER_HOUR),
        )
    return Line(
        f"EKS control plane {version}, **extended support** (standard ended {window.end_of_standard.isoformat()})",
        "1 cluster",
        f"${EXTENDED_PER_HOUR:.2f} per hour",
        _per_month(EXTENDED_PER_HOUR),
    )


def lines(outdir: Path, env: str, on: date) -> list[Line]:
    res = _resources(outdir, env)
    out: list[Line] = [eks_line(c, on) for c in res.get("aws_eks_cluster", {}).values()]
    nats = len(res.get("aws_nat_gateway", {}))
    if nats:
        out.append(
            Line(
                "NAT gateway",
                str(nats),
                f"${prices.NAT_GATEWAY_PER_HOUR} per hour + ${prices.NAT_GATEWAY_PER_GB} per GB",
                _per_month(prices.NAT_GATEWAY_PER_HOUR, nats),
            )
        )
    eips = len(res.get("aws_eip", {}))
    if eips:
        out.append(
            Line("public IPv4 address (Elastic IP)", str(eips), f"${prices.PUBLIC_IPV4_PER_HOUR} per hour", _per_month(prices.PUBLIC_IPV4_PER_HOUR, eips))
        )
    interface = [e for e in res.get("aws_vpc_endpoint", {}).values() if e.get("vpc_endpoint_type") == "Interface"]
    if interface:
        per_az = 0
        for endpoint in interface:
            subnets = endpoint.get("subnet_ids")
            if not isinstance(subnets, list):
                raise ValueError(f"aws_vpc_endpoint {endpoint.get('service_name')}: subnet_ids is not a list in the JSON; cannot count its zones")
            per_az += len(subnets)
        out.append(
            Line(
                "interface VPC endpoint, per Availability Zone",
                f"{len(interface)} endpoints, {per_az} endpoint-AZs",
                f"${prices.INTERFACE_ENDPOINT_PER_AZ_HOUR} per AZ-hour + ${prices.INTERFACE_ENDPOINT_PER_GB} per GB",
                _per_month(prices.INTERFACE_ENDPOINT_PER_AZ_HOUR, per_az),
            )
        )
    keys = len(res.get("aws_kms_key", {}))
    if keys:
        out.append(
            Line("KMS customer managed key", str(keys), f"${prices.KMS_KEY_PER_MONTH:.2f} per month + requests", round(prices.KMS_KEY_PER_MONTH * keys, 2))
        )
    for group in sorted(res.get("aws_eks_node_group", {}).values(), key=lambda g: str(g.get("node_group_name_prefix") or g.get("node_group_name"))):
        name = str(group.get("node_group_name_prefix") or group.get("node_group_name") or "?").rstrip("-")
        scaling = group.get("scaling_config") or {}
        desired = int((scaling[0] if isinstance(scaling, list) else scaling)["desired_size"])
        types = " or ".join(group.get("instance_types") or ["?"])
        capacity = str(group.get("capacity_type") or "ON_DEMAND").lower().replace("_", "-")
        out.append(Line(f"node group {name}: {types}, {capacity}", f"{desired} nodes, {desired * HOURS_PER_MONTH:,} instance-hours", "no cited price", None))
    return out


def _money(value: float | None) -> str:
    return "—" if value is None else f"${value:,.2f}"


def section(outdir: Path, envs: list[tuple[str, str]], on: date) -> str:
    """The Markdown of every environment ``(name, region)``, priced on ``on``."""
    text = [
        BEGIN,
        f"Priced on {on.isoformat()} at {prices.PRICES_REGION} list prices (read {prices.PRICES_READ.isoformat()}; "
        "catalog/prices.py and catalog/eks_versions.py cite them), 730 hours a month. Generated by `make cost-doc` "
        "from the synthesized JSON; do not edit by hand.",
    ]
    for env, region in envs:
        rows = lines(outdir, env, on)
        fixed = sum(r.monthly for r in rows if r.monthly is not None)
        text += ["", f"### {env} ({region})", "", "| item | quantity | unit price | per month |", "|---|---|---|---:|"]
        text += [f"| {r.item} | {r.quantity} | {r.unit} | {_money(r.monthly)} |" for r in rows]
        text.append(f"| **priced lines, before traffic and compute** | | | **{_money(fixed)}** |")
    text.append(END)
    return "\n".join(text) + "\n"


def write(doc: Path, body: str) -> None:
    old = doc.read_text(encoding="utf-8")
    if BEGIN not in old or END not in old:
        raise ValueError(f"{doc}: no {BEGIN} ... {END} section to replace")
    start, end = old.index(BEGIN), old.index(END) + len(END) + 1
    doc.write_text(old[:start] + body + old[end:], encoding="utf-8")


def priced_on(doc: Path) -> date:
    """The date the doc's section was priced on (its first line says it)."""
    match = _DATE.search(doc.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{doc}: no 'Priced on YYYY-MM-DD' in its cost section")
    return date.fromisoformat(match.group(1))


def shipped_environments() -> list[tuple[str, str]]:
    """The environment files that deploy to AWS (not the emulator), with their regions."""
    from environments import load_environments

    return [(e.name, e.region) for e in load_environments() if e.emulator is None]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outdir", type=Path, default=Path("cdktf.out"))
    parser.add_argument("--on", type=date.fromisoformat, default=date.today(), help="the day support and prices are judged on")
    parser.add_argument("--write", type=Path, help="replace the cost section of this Markdown file")
    args = parser.parse_args(argv)
    body = section(args.outdir, shipped_environments(), args.on)
    if args.write:
        write(args.write, body)
    else:
        sys.stdout.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
