"""Grafana as rendered by real Helm: its admin password only from SSM through External Secrets, and
the platform's dashboards loaded by the chart's own sidecar against data sources it provisions.

Cost: the environments are rendered once per session by the shared fixture; these tests add
well under a second of pure Python.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from environments import load_environments
from tests.render_support import ADDON_ENVIRONMENTS
from tools.render.environment import EnvironmentRender

MONITORED = [e.name for e in load_environments() if e.name in ADDON_ENVIRONMENTS and "kube-prometheus-stack" in e.addons]
# PromQL words that are not metric names (Prometheus docs, "Querying: operators / functions").
_IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_SELECTED = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]")


def _objects(result: EnvironmentRender) -> list[dict[str, Any]]:
    return [o for r in result.rendered for o in r.objects]


def _grafana(result: EnvironmentRender) -> dict[str, Any]:
    [deployment] = [o for o in _objects(result) if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("-grafana")]
    return deployment


def _is_password(key: str) -> bool:
    """A field holding a password (adminPassword, admin-password), not one naming where it is (passwordKey, ..._FILE)."""
    low = key.lower()
    return "password" in low and not low.endswith(("key", "file"))


def _password_keys(node: Any, path: str = "") -> list[str]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _password_keys(v, f"{path}.{k}")] + [
            f"{path}.{k}" for k, v in node.items() if _is_password(str(k)) and isinstance(v, str) and v
        ]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _password_keys(v, f"{path}[{i}]")]
    return []


@pytest.mark.parametrize("env_name", MONITORED)
def test_grafana_reads_its_admin_password_from_the_external_secret_and_nothing_carries_one(env_name: str, rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered[env_name]
    for r in result.rendered:
        assert not _password_keys(r.release.values), (r.release.name, _password_keys(r.release.values))
    secrets = [o for o in _objects(result) if o["kind"] == "Secret"]
    carrying = [s["metadata"]["name"] for s in secrets if any("password" in k.lower() for k in {**(s.get("data") or {}), **(s.get("stringData") or {})})]
    assert not carrying, f"rendered Secrets carrying a password: {carrying}"
    # The grafana container's GF_SECURITY_ADMIN_PASSWORD (Grafana docs, "Override configuration
    # with environment variables") comes from the Secret External Secrets writes from SSM.
    [container] = [c for c in _grafana(result)["spec"]["template"]["spec"]["containers"] if c["name"] == "grafana"]
    env = {e["name"]: e for e in container.get("env") or []}
    ref = env["GF_SECURITY_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert env["GF_SECURITY_ADMIN_USER"]["valueFrom"]["secretKeyRef"]["name"] == ref["name"]
    # Rendered by Grafana's own release: helm_release waits for the Deployment, which cannot start
    # without its Secret, so a release applied after it would never come.
    [release] = [r for r in result.rendered if any(o is _grafana(result) for o in r.objects)]
    [external] = [o for o in release.objects if o["kind"] == "ExternalSecret" and o["spec"]["target"]["name"] == ref["name"]]
    assert external["metadata"]["namespace"] == _grafana(result)["metadata"]["namespace"] == "monitoring"
    assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-parameter-store"}
    # dataFrom.extract splits the parameter's JSON into keys (External Secrets docs, "AWS Parameter Store").
    parameter = result.env.addons["kube-prometheus-stack"].grafana_admin_parameter
    assert external["spec"]["dataFrom"] == [{"extract": {"key": f"/{env_name}/{parameter}"}}]


def _data_sources(result: EnvironmentRender) -> dict[str, dict[str, Any]]:
    texts = [v for o in _objects(result) if o["kind"] == "ConfigMap" for k, v in (o.get("data") or {}).items() if k.endswith(".yaml") and "datasources" in v]
    return {d["uid"]: d for t in texts for d in yaml.safe_load(t).get("datasources") or [] if "uid" in d}


def _dashboards(result: EnvironmentRender) -> list[dict[str, Any]]:
    """What the rendered dashboard sidecar would load: ConfigMaps carrying its LABEL=LABEL_VALUE."""
    [sidecar] = [c for c in _grafana(result)["spec"]["template"]["spec"]["containers"] if c["name"] == "grafana-sc-dashboard"]
    env = {e["name"]: e.get("value") for e in sidecar["env"]}
    label, value = env["LABEL"], env["LABEL_VALUE"]
    maps = [o for o in _objects(result) if o["kind"] == "ConfigMap" and (o["metadata"].get("labels") or {}).get(label) == value]
    return [json.loads(v) for o in maps for k, v in o["data"].items() if k.endswith(".json") and "platform" in json.loads(v).get("tags", [])]


def _rule_metrics(result: EnvironmentRender) -> set[str]:
    rules = [o for o in _objects(result) if o["kind"] == "PrometheusRule" and o["metadata"]["name"].endswith("-platform")]
    return {m for r in rules for g in r["spec"]["groups"] for rule in g["rules"] for m in _IDENT.findall(rule["expr"])}


@pytest.mark.parametrize("env_name", MONITORED)
def test_every_platform_dashboard_queries_provisioned_sources_and_alerted_metrics(env_name: str, rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered[env_name]
    sources, alerted = _data_sources(result), _rule_metrics(result)
    boards = _dashboards(result)
    signals = {"prometheus"} | {s for s in ("loki", "tempo") if s in result.env.addons}
    used = {p["datasource"]["type"] for d in boards for p in d["panels"]}
    assert used == signals, f"dashboards per signal: {used}, collected: {signals}"
    for board in boards:
        for panel in board["panels"]:
            for target in panel["targets"]:
                uid = target["datasource"]["uid"]
                assert uid in sources and sources[uid]["type"] == target["datasource"]["type"], (board["uid"], panel["title"], uid)
                if target["datasource"]["type"] == "prometheus":
                    metrics = set(_SELECTED.findall(target["expr"]))
                    assert metrics and metrics <= alerted, (board["uid"], panel["title"], metrics - alerted)
