"""Pieces of ``make diagram``'s picture: label helpers and the VPC's endpoints and flow logs."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.diagram import Environment


def _id(*parts: str) -> str:
    return "_".join(re.sub(r"[^A-Za-z0-9]", "_", p) for p in parts)


def _label(title: str, *lines: str) -> str:
    """An HTML-like label: bold title, smaller detail lines (escaped)."""
    esc = [line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for line in (title, *lines)]
    rows = "".join(f'<BR/><FONT POINT-SIZE="10">{line}</FONT>' for line in esc[1:])
    return f"<<B>{esc[0]}</B>{rows}>"


def network_extras(vpc: Any, env: Environment) -> None:
    """Inside the VPC box: its endpoints (service and type) and where its flow logs go."""
    endpoints = env.resources("network", "aws_vpc_endpoint")
    if endpoints:
        lines = sorted(f"{e.get('service_name', '?')} ({e.get('vpc_endpoint_type', 'Gateway')})" for e in endpoints.values())
        vpc.node("vpc_endpoints", _label("VPC endpoints", *lines), shape="note", fillcolor="white")
    flows = env.resources("network", "aws_flow_log")
    if flows:
        groups = env.resources("network", "aws_cloudwatch_log_group")
        lines = [f"{f.get('traffic_type', 'ALL')} traffic to {str(f.get('log_destination_type', 'cloud-watch-logs'))}" for f in flows.values()]
        lines += [f"{g.get('name')} ({g.get('retention_in_days', '?')} days)" for g in groups.values()]
        vpc.node("flow_logs", _label("flow logs", *lines), shape="note", fillcolor="white")
