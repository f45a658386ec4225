"""Calico's metrics are scraped: the monitors the tigera-operator add-on ships select what the Tigera
operator creates at runtime, which no render can show.

The expectation is the operator's own source at the version the chart pins,
``reference/calico/operator-metrics-targets.txt`` (its header names repository, tag, commit and
paths): Typha's metrics Service (name, labels, selector, port name), the pod labels the operator puts
on calico-typha and calico-node, and that calico-node declares no container port and gets no metrics
Service in Calico open source. A PodMonitor's ``port``/``portNumber`` keep only declared container
ports (prometheus-operator 0.93.1 PodMonitor CRD, the one kube-prometheus-stack 88.5.3 ships:
"This cannot be used to enable scraping of an undeclared port ... use relabeling to override the
``__address__`` label"), so the calico-node target's address comes from relabeling, computed here as
Prometheus' ``replace`` action does (Prometheus docs, ``<relabel_config>``: source labels joined by
``separator``, ``regex`` fully anchored, ``$1`` in ``replacement``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from catalog.addons.base import ClusterSide
from catalog.addons.registry import BY_NAME
from environments import load_environments
from tools.render.checks import monitors
from tools.render.checks.base import Context, matches_selector
from tools.render.releases import Release
from tools.render.render import Rendered

FACTS_FILE = Path(__file__).resolve().parents[2] / "reference" / "calico" / "operator-metrics-targets.txt"
ENVIRONMENTS = [e for e in load_environments() if "tigera-operator" in e.addons and "kube-prometheus-stack" in e.addons]


def facts() -> dict[str, str]:
    text = FACTS_FILE.read_text(encoding="utf-8")
    assert re.search(r"(?m)^# repository: \S+", text) and re.search(r"(?m)^# tag: v\S+", text), f"{FACTS_FILE}: header names no repository and tag"
    return dict(line.split(" ", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))


def pairs(value: str) -> dict[str, str]:
    return {} if value == "-" else dict(item.split("=", 1) for item in value.split(","))


def _calico(env: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    addon = BY_NAME["tigera-operator"]
    ctx = ClusterSide(env=env, options=env.addons["tigera-operator"], cluster_name=env.cluster_name)
    custom = addon.custom_resources(ctx)
    assert custom is not None, f"{env.name}: tigera-operator ships no monitors although kube-prometheus-stack is enabled"
    return addon.release_values(ctx)["installation"], [dict(m) for m in custom.manifests]


def _rendered(name: str, namespace: str, *objects: dict[str, Any]) -> Rendered:
    return Rendered(Release(f"helm_release.{name}", name, namespace, name, None, None, {}), Path(name), "", tuple(objects))


def _workload(f: dict[str, str], component: str, env_ports: int) -> dict[str, Any]:
    kind, name = f[f"{component}.workload"].split("/")
    ports = [{"name": n, "containerPort": int(p)} for n, p in pairs(f[f"{component}.container_ports"]).items()]
    labels = pairs(f[f"{component}.pod_labels"])
    container = {"name": name, "ports": ports, "env": [{"name": f[f"{component}.metrics_env"], "value": str(env_ports)}]}
    spec = {"hostNetwork": f[f"{component}.host_network"] == "true", "containers": [container]}
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": name, "namespace": f["namespace"]},
        "spec": {"selector": {"matchLabels": labels}, "template": {"metadata": {"labels": labels}, "spec": spec}},
    }


def _replace(rule: dict[str, Any], labels: dict[str, str]) -> dict[str, str]:
    if rule.get("action", "replace") != "replace":
        return labels
    value = (rule.get("separator") or ";").join(labels.get(s, "") for s in rule.get("sourceLabels") or [])
    match = re.fullmatch(rule.get("regex", "(.*)"), value)
    if match is None:
        return labels
    return {**labels, rule["targetLabel"]: match.expand(rule.get("replacement", "$1").replace("$", "\\"))}


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=[e.name for e in ENVIRONMENTS])
def test_typhas_metrics_service_is_scraped_by_a_service_monitor(env: Any) -> None:
    f = facts()
    installation, manifests = _calico(env)
    port = installation.get(f["typha.metrics_port_field"])
    assert isinstance(port, int), f"installation.{f['typha.metrics_port_field']} is not set: the operator creates no {f['typha.metrics_service']}"
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f["typha.metrics_service"], "namespace": f["namespace"], "labels": pairs(f["typha.metrics_service_labels"])},
        "spec": {
            "selector": pairs(f["typha.metrics_service_selector"]),
            "ports": [{"name": f["typha.metrics_service_port_name"], "port": port, "targetPort": port}],
        },
    }
    prometheus = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Prometheus",
        "metadata": {"name": "p"},
        "spec": {"serviceMonitorSelector": {}, "serviceMonitorNamespaceSelector": {}},
    }
    operator_made = _rendered("operator-made", f["namespace"], service, _workload(f, "typha", port))
    ctx = Context(env, (_rendered("prometheus", "monitoring", prometheus), _rendered("tigera-operator-monitors", "tigera-operator", *manifests), operator_made))
    assert monitors.check(ctx) == []
    # The same objects without the platform's monitors: the check reports Typha.
    bare = Context(env, (_rendered("prometheus", "monitoring", prometheus), operator_made))
    assert [f.name for f in monitors.check(bare)] == ["calico-typha"]


@pytest.mark.parametrize("env", ENVIRONMENTS, ids=[e.name for e in ENVIRONMENTS])
def test_calico_nodes_felix_is_scraped_by_a_pod_monitor_on_the_metrics_port(env: Any) -> None:
    f = facts()
    assert f["node.metrics_service"] == "-" and f["node.container_ports"] == "-"
    installation, manifests = _calico(env)
    port = installation.get(f["node.metrics_port_field"])
    assert isinstance(port, int), f"installation.{f['node.metrics_port_field']} is not set: Felix serves no metrics"
    pod_labels = pairs(f["node.pod_labels"])
    found = [m for m in manifests if m["kind"] == "PodMonitor" and matches_selector(m["spec"].get("selector") or {}, pod_labels)]
    assert len(found) == 1, "one PodMonitor selects calico-node's pods"
    spec = found[0]["spec"]
    assert f["namespace"] in (spec.get("namespaceSelector") or {}).get("matchNames", []) or (spec.get("namespaceSelector") or {}).get("any")
    [endpoint] = spec["podMetricsEndpoints"]
    assert not {"port", "portNumber", "targetPort"} & endpoint.keys(), "calico-node declares no container port: a port filter drops every target"
    labels = {"__address__": "10.0.1.7", "__meta_kubernetes_pod_ip": "10.0.1.7", "__meta_kubernetes_pod_container_name": "calico-node"}
    for rule in endpoint.get("relabelings") or []:
        labels = _replace(rule, labels)
    assert labels["__address__"] == f"10.0.1.7:{port}"
