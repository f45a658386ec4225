"""Every in-cluster address in a release's values resolves: ``<service>.<namespace>.svc[.cluster.local][:port]``
names a Service rendered in this environment, in that namespace, with that port.

Cluster DNS gives a Service the name ``<service>.<namespace>.svc.<cluster-domain>`` and nothing
answers on a port the Service does not list (Kubernetes docs, "DNS for Services and Pods" and
"Service"). Data-source URLs, the collector's push URL, OTLP and remote-write endpoints all live in
values (the Alloy configuration too), so a renamed release, namespace or port is a finding here
rather than a pipeline that silently delivers nothing. Without a port, the scheme's (http 80, https
443) is expected; a name with neither is checked for the Service only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tools.render.checks.base import Context, Finding

ADDRESS = re.compile(
    r"(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<service>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)\.(?P<namespace>[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)"
    r"\.svc(?:\.cluster\.local)?(?![\w.-]*[a-z])(?::(?P<port>\d+))?"
)
DEFAULT_PORTS = {"http": 80, "https": 443, "grpc": 80}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)
    elif isinstance(value, str):
        yield value


def addresses(text: str) -> Iterator[tuple[str, str, int | None]]:
    """(service, namespace, port or None) of each service address in ``text`` (not a pod's name under a headless Service)."""
    for match in ADDRESS.finditer(text):
        before = text[match.start() - 1] if match.start() else ""
        if before and (before in ".}-_" or before.isalnum()):
            continue  # part of a longer name, or a template
        port = match.group("port")
        scheme = match.group("scheme")
        yield match.group("service"), match.group("namespace"), int(port) if port else DEFAULT_PORTS.get(scheme or "")


def services(ctx: Context) -> dict[tuple[str, str], set[int]]:
    out: dict[tuple[str, str], set[int]] = {}
    for item, obj in ctx.objects():
        if obj.get("kind") == "Service":
            key = ((obj.get("metadata") or {}).get("name", ""), ctx.namespace_of(item, obj))
            out.setdefault(key, set()).update(int(p["port"]) for p in (obj.get("spec") or {}).get("ports") or [] if "port" in p)
    return out


def check(ctx: Context) -> list[Finding]:
    rendered = services(ctx)
    findings: list[Finding] = []
    for item in ctx.rendered:
        seen: set[tuple[str, str, int | None]] = set()
        for text in strings(item.release.values):
            for service, namespace, port in addresses(text):
                if (service, namespace, port) in seen:
                    continue
                seen.add((service, namespace, port))
                where = f"{service}.{namespace}.svc" + (f":{port}" if port else "")
                ports = rendered.get((service, namespace))
                if ports is None:
                    others = sorted(ns for (name, ns) in rendered if name == service)
                    hint = f" (a Service {service} exists in {', '.join(others)})" if others else ""
                    findings.append(
                        ctx.finding(item.release.name, None, f"values address {where}: no Service {service} in namespace {namespace} is rendered{hint}")
                    )
                elif port is not None and port not in ports:
                    findings.append(
                        ctx.finding(item.release.name, None, f"values address {where}: Service {namespace}/{service} has ports {sorted(ports)}, not {port}")
                    )
    return findings
