"""The observability pipeline as rendered by real Helm: addresses that resolve, a collector on every
node, every exporter scraped, correlated Grafana data sources, and alert rules that Prometheus' own
``promtool`` accepts and whose unit tests fire on synthetic series.

Cost: the environments are rendered once per session by the shared fixture; these tests add
~1 s of pure Python and ~2 s of promtool (one process per rendered PrometheusRule).
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from environments import load_environments
from environments.teams import team_fargate_profiles
from tests.conftest import missing_prerequisite
from tests.render_support import ADDON_ENVIRONMENTS
from tools.render.checks import Context, addresses, collector, monitors, served
from tools.render.environment import EnvironmentRender
from tools.render.releases import Release
from tools.render.render import Rendered

ALERT_TESTS = Path(__file__).parent / "alert_tests" / "platform.test.yaml"
# Environments whose Prometheus stack renders rules and an Alertmanager (read at collection time).
MONITORED = [e.name for e in load_environments() if e.name in ADDON_ENVIRONMENTS and "kube-prometheus-stack" in e.addons]


def _swap(result: EnvironmentRender, name: str, *, values: dict | None = None, objects: list[dict] | None = None) -> Context:
    items = []
    for r in result.rendered:
        if r.release.name == name:
            rel = Release(**{**r.release.__dict__, "values": values if values is not None else r.release.values})
            r = Rendered(rel, r.chart_path, r.manifest, tuple(objects) if objects is not None else r.objects)
        items.append(r)
    return Context(result.env, tuple(items), result.synth)


def _of(result: EnvironmentRender, release: str) -> Rendered:
    item = result.of(release)
    assert item is not None, f"{result.env.name} renders no {release}"
    return item


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        missing_prerequisite(f"{name} not found: apt-get install {'prometheus' if name == 'promtool' else 'prometheus-alertmanager'}")
    return path


# --- the checks catch what they name (scratch breaks of real rendered releases) -----------------


def test_an_address_to_a_missing_port_or_namespace_is_a_finding(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    values = copy.deepcopy(_of(result, "tempo").release.values)
    url = values["tempo"]["metricsGenerator"]["remoteWriteUrl"]
    values["tempo"]["metricsGenerator"]["remoteWriteUrl"] = url.replace(":9090", ":9091")
    [finding] = addresses.check(_swap(result, "tempo", values=values))
    assert finding.release == "tempo" and "has ports [8080, 9090], not 9091" in finding.message
    values["tempo"]["metricsGenerator"]["remoteWriteUrl"] = url.replace(".monitoring.", ".prometheus.")
    [finding] = addresses.check(_swap(result, "tempo", values=values))
    assert "no Service kube-prometheus-stack-prometheus in namespace prometheus" in finding.message
    assert "exists in monitoring" in finding.message


def test_the_collectors_push_url_and_data_sources_are_checked(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    seen = {(s, ns, p) for r in result.rendered for t in addresses.strings(r.release.values) for s, ns, p in addresses.addresses(t)}
    assert {("loki-gateway", "loki", 80), ("tempo", "tempo", 3200), ("kube-prometheus-stack-prometheus", "monitoring", 9090)} <= seen


def test_a_collector_that_does_not_tolerate_a_taint_misses_those_nodes(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["dev"]  # the spot group is tainted capacity=spot:NoSchedule
    objects = copy.deepcopy(list(_of(result, "alloy").objects))
    ds = next(o for o in objects if o["kind"] == "DaemonSet")
    ds["spec"]["template"]["spec"]["tolerations"] = []
    findings = collector.check(_swap(result, "alloy", objects=objects))
    assert [f.message for f in findings] == ["cannot run on spot: taint capacity=spot:NoSchedule not tolerated; its pods' logs are not collected"]
    ctx = Context(result.env, tuple(r for r in result.rendered if r.release.name != "alloy"), result.synth)
    assert "no collector release" in collector.check(ctx)[0].message


def test_an_exporter_without_a_monitor_or_outside_prometheus_selection_is_a_finding(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objects = [o for o in _of(result, "sealed-secrets").objects if o["kind"] != "ServiceMonitor"]
    findings = monitors.check(_swap(result, "sealed-secrets", objects=objects))
    assert [(f.kind, f.name) for f in findings] == [("Deployment", "sealed-secrets-controller")], findings
    # The operator's rule: a nil serviceMonitorNamespaceSelector means the Prometheus' own namespace only.
    kps = copy.deepcopy(list(_of(result, "kube-prometheus-stack").objects))
    prometheus = next(o for o in kps if o["kind"] == "Prometheus")
    del prometheus["spec"]["serviceMonitorNamespaceSelector"]
    names = {f.release for f in monitors.check(_swap(result, "kube-prometheus-stack", objects=kps))}
    assert {"sealed-secrets", "loki", "tempo", "alloy", "karpenter"} <= names and "kube-prometheus-stack" not in names


# --- Grafana: data sources and correlations as rendered ---------------------------------------


def test_a_chart_rendered_monitor_whose_release_does_not_wait_for_the_monitoring_crds_is_a_finding(rendered: dict[str, EnvironmentRender]) -> None:
    # external-dns 1.21.1 renders its ServiceMonitor whenever serviceMonitor.enabled (no capability gate).
    result = rendered["staging"]
    item = result.of("external-dns")
    assert item is not None
    assert any("kube-prometheus-stack_crds" in d for d in item.release.depends_on), "external-dns waits for kube-prometheus-stack's CRD releases"
    # Only its own CRD release left (the load balancer controller it also waits for now waits for them too).
    kept = tuple(d for d in item.release.depends_on if d.startswith("helm_release.external-dns_"))
    detached = Rendered(dataclasses.replace(item.release, depends_on=kept), item.chart_path, item.manifest, item.objects)
    ctx = Context(result.env, tuple(detached if r is item else r for r in result.rendered), result.synth)
    assert [(f.release, f.kind, f.name) for f in served.check(ctx)] == [("external-dns", "ServiceMonitor", "external-dns")]


# The CSI drivers' charts expose metrics only when asked (values controller/node.enableMetrics); with
# Prometheus in the environment they must, and the monitors check above then requires a monitor.
CSI_DRIVERS = ("aws-ebs-csi-driver", "aws-efs-csi-driver")


@pytest.mark.parametrize("env_name", MONITORED)
def test_the_csi_drivers_export_metrics_to_a_monitor(env_name: str, rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered[env_name]
    for name in CSI_DRIVERS:
        item = result.of(name)
        if item is None:
            continue
        exporting = [o for o in item.objects if o.get("kind") == "Service" and any(monitors.exports(p.get("name")) for p in o["spec"].get("ports") or [])]
        assert exporting, f"{env_name}: {name} renders no metrics Service"
        assert any(o.get("kind") == "ServiceMonitor" for o in item.objects), f"{env_name}: {name} renders no ServiceMonitor"
    assert monitors.check(Context(result.env, result.rendered, result.synth)) == []


@pytest.mark.parametrize("env_name", [e for e in MONITORED if e in ("staging", "prod")])
def test_grafana_provisions_loki_and_tempo_with_their_correlations(env_name: str, rendered: dict[str, EnvironmentRender]) -> None:
    kps = _of(rendered[env_name], "kube-prometheus-stack")
    texts = [v for o in kps.objects if o["kind"] == "ConfigMap" for k, v in (o.get("data") or {}).items() if k.endswith(".yaml") and "datasources" in v]
    sources = {d["uid"]: d for t in texts for d in yaml.safe_load(t).get("datasources") or [] if "uid" in d}
    assert {"prometheus", "loki", "tempo"} <= set(sources)
    assert sources["loki"]["jsonData"]["derivedFields"][0]["datasourceUid"] == "tempo"
    tempo = sources["tempo"]["jsonData"]
    assert tempo["tracesToLogsV2"]["datasourceUid"] == "loki"
    assert tempo["tracesToMetrics"]["datasourceUid"] == tempo["serviceMap"]["datasourceUid"] == "prometheus"
    prometheus = next(o for o in kps.objects if o["kind"] == "Prometheus")
    assert prometheus["spec"]["enableRemoteWriteReceiver"] is True


# --- alert rules through promtool --------------------------------------------------------------


def _rules(result: EnvironmentRender) -> list[dict]:
    return [o for r in result.rendered for o in r.objects if o.get("kind") == "PrometheusRule"]


@pytest.mark.parametrize("env_name", MONITORED)
def test_promtool_accepts_every_rendered_prometheus_rule(env_name: str, rendered: dict[str, EnvironmentRender], tmp_path: Path) -> None:
    rules = _rules(rendered[env_name])
    assert rules, f"{env_name} renders no PrometheusRule"
    files = []
    for rule in rules:
        path = tmp_path / f"{rule['metadata']['name']}.yaml"
        path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
        files.append(str(path))
    proc = subprocess.run([_tool("promtool"), "check", "rules", *files], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _platform_rules(tmp_path: Path, rendered: dict[str, EnvironmentRender]) -> tuple[dict, Path]:
    [rule] = [r for r in _rules(rendered["staging"]) if r["metadata"]["name"].endswith("-platform")]
    (tmp_path / "platform.rules.yaml").write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    shutil.copy(ALERT_TESTS, tmp_path / ALERT_TESTS.name)
    return rule, tmp_path / ALERT_TESTS.name


def test_every_platform_alert_has_a_unit_test_and_promtool_passes_them(rendered: dict[str, EnvironmentRender], tmp_path: Path) -> None:
    rule, tests = _platform_rules(tmp_path, rendered)
    alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
    tested = {t["alertname"] for case in yaml.safe_load(tests.read_text())["tests"] for t in case["alert_rule_test"] if t.get("exp_alerts")}
    assert alerts and alerts == tested, f"without a firing test: {sorted(alerts - tested)}"
    proc = subprocess.run([_tool("promtool"), "test", "rules", str(tests)], capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_promtool_fails_a_rule_that_no_longer_fires(rendered: dict[str, EnvironmentRender], tmp_path: Path) -> None:
    rule, tests = _platform_rules(tmp_path, rendered)
    broken = copy.deepcopy(rule["spec"]["groups"])
    broken[0]["rules"][0]["expr"] = broken[0]["rules"][0]["expr"].replace("== 0", "== 5")
    (tmp_path / "platform.rules.yaml").write_text(yaml.safe_dump({"groups": broken}))
    proc = subprocess.run([_tool("promtool"), "test", "rules", str(tests)], capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path)
    assert proc.returncode != 0 and "PlatformControllerDown" in proc.stdout + proc.stderr


@pytest.mark.parametrize("env_name", MONITORED)
def test_amtool_accepts_the_rendered_alertmanager_configuration(env_name: str, rendered: dict[str, EnvironmentRender], tmp_path: Path) -> None:
    kps = _of(rendered[env_name], "kube-prometheus-stack")
    [secret] = [o for o in kps.objects if o["kind"] == "Secret" and "alertmanager.yaml" in (o.get("data") or {})]
    path = tmp_path / "alertmanager.yaml"
    path.write_bytes(base64.b64decode(secret["data"]["alertmanager.yaml"]))
    proc = subprocess.run([_tool("amtool"), "check-config", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path.write_text(path.read_text() + "\nroute_typo: {}\n")  # a scratch break amtool must refuse
    assert subprocess.run([_tool("amtool"), "check-config", str(path)], capture_output=True, check=False).returncode != 0


# --- Fargate: EKS's log router configured (EKS user guide, "Start AWS Fargate logging") -------

FARGATE = [
    e.name for e in load_environments() if e.name in ADDON_ENVIRONMENTS and "alloy" in e.addons and (e.cluster.fargate_profiles or team_fargate_profiles(e))
]


@pytest.mark.parametrize("env_name", FARGATE)
def test_the_fargate_log_router_writes_to_the_environments_log_group(env_name: str, rendered: dict[str, EnvironmentRender]) -> None:
    env = rendered[env_name].env
    objects = [o for r in rendered[env_name].rendered for o in r.objects]
    [namespace] = [o for o in objects if o["kind"] == "Namespace" and o["metadata"]["name"] == "aws-observability"]
    assert namespace["metadata"]["labels"]["aws-observability"] == "enabled"
    [config] = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "aws-logging"]
    assert config["metadata"]["namespace"] == "aws-observability"
    assert sum(len(k) + len(v) for k, v in config["data"].items()) <= 5300  # the guide's limit
    output = dict(line.split(None, 1) for line in config["data"]["output.conf"].splitlines()[1:] if line.strip())
    assert output["Name"] == "cloudwatch_logs" and output["region"] == env.region
    assert output["log_group_name"] == f"/aws/eks/{env.cluster_name}/fargate" and output["auto_create_group"] == "false"


# --- Alertmanager routes to the environment's receiver, its secret from SSM ------------------

ALERTING = [e.name for e in load_environments() if e.name in MONITORED and e.addons["kube-prometheus-stack"].alerting is not None]


@pytest.mark.parametrize("env_name", ALERTING)
def test_alertmanager_routes_to_the_receiver_whose_url_external_secrets_reads_from_ssm(env_name: str, rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered[env_name]
    alerting = result.env.addons["kube-prometheus-stack"].alerting
    objects = [(r.release.name, o) for r in result.rendered for o in r.objects]
    [secret] = [o for _, o in objects if o["kind"] == "Secret" and "alertmanager.yaml" in (o.get("data") or {})]
    config = yaml.safe_load(base64.b64decode(secret["data"]["alertmanager.yaml"]))
    receiver = next(r for r in config["receivers"] if r["name"] == config["route"]["receiver"])
    [slack] = receiver["slack_configs"]
    assert slack["channel"] == alerting.slack_channel and "api_url" not in slack  # never the URL itself in values or state
    # prometheus-operator mounts each of alertmanagerSpec.secrets at /etc/alertmanager/secrets/<name>/.
    [am] = [o for _, o in objects if o["kind"] == "Alertmanager"]
    prefix, name, key = slack["api_url_file"].rsplit("/", 2)
    assert prefix == "/etc/alertmanager/secrets" and name in am["spec"]["secrets"]
    [external] = [o for _, o in objects if o["kind"] == "ExternalSecret" and o["spec"]["target"]["name"] == name]
    assert external["metadata"]["namespace"] == "monitoring"
    [data] = external["spec"]["data"]
    assert data["secretKey"] == key and data["remoteRef"]["key"] == f"/{env_name}/{alerting.webhook_parameter}"
    assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "aws-parameter-store"}
