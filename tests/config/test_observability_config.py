"""The observability add-ons' load-time rules: Loki needs a log collector, and each signal's
retention agrees with the lifecycle of the bucket that stores it.

Pure config tests (no cdktf, no Helm): milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from environments import ConfigError, load_environments

ROOT = Path(__file__).resolve().parents[2]


def _problems(tmp_path: Path, addons: dict[str, object]) -> list[str]:
    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    raw["addons"] = addons
    raw.pop("teams", None)
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as caught:
        load_environments(tmp_path)
    return caught.value.problems


_MONITORED = {"aws-ebs-csi-driver": {}, "external-secrets": {"store_namespaces": ["monitoring"]}}


def test_loki_without_a_log_collector_is_an_error_naming_file_and_field(tmp_path: Path) -> None:
    # Loki receives logs only by push (Loki docs, "Send log data"): without Alloy it stores nothing.
    [problem] = _problems(tmp_path, {"aws-ebs-csi-driver": {}, "loki": {}})
    file, field, message = problem.split(": ", 2)
    assert file.endswith("dev.yaml") and field == "addons.loki"
    assert message == "requires add-on 'alloy', which is not enabled"


def test_every_shipped_environment_with_loki_runs_the_collector() -> None:
    with_loki = [e for e in load_environments() if "loki" in e.addons]
    assert with_loki
    assert all("alloy" in e.addons for e in with_loki)


def test_prometheus_retention_that_cannot_fit_its_volume_is_an_error_naming_the_field(tmp_path: Path) -> None:
    # Prometheus docs, "Storage / Operational aspects": needed_disk_space = retention_time_seconds *
    # ingested_samples_per_second * bytes_per_sample, with 1-2 bytes per sample. 90 days of 20,000
    # samples/s at 2 bytes is 311 GB (290 GiB): it cannot fit a 50 GiB volume.
    addons = {**_MONITORED, "kube-prometheus-stack": {"retention_days": 90, "storage_gib": 50, "ingested_samples_per_second": 20000}}
    [problem] = _problems(tmp_path, addons)
    file, addon, field, message = problem.split(": ", 3)  # the registry's "addons.<name>: <field>: ..."
    assert file.endswith("dev.yaml") and (addon, field) == ("addons.kube-prometheus-stack", "storage_gib")
    assert "290 GiB" in message and "retention_days 90" in message


def test_shipped_prometheus_volumes_hold_their_retention() -> None:
    for env in load_environments():
        opts = env.addons.get("kube-prometheus-stack")
        if opts is not None:
            need = opts.retention_days * 86400 * opts.ingested_samples_per_second * 2
            assert need <= opts.storage_gib * 2**30 * 0.85, env.name


def test_alertmanager_receiver_needs_the_secret_store_to_serve_the_monitoring_namespace(tmp_path: Path) -> None:
    addons = {
        "aws-ebs-csi-driver": {},
        "external-secrets": {"store_namespaces": ["apps"]},
        "kube-prometheus-stack": {"alerting": {"slack_channel": "#platform", "webhook_parameter": "alertmanager/slack-webhook"}},
    }
    # The store serves Grafana's admin password too: the first of the two fields it fails is reported.
    [problem] = _problems(tmp_path, addons)
    file, addon, field, message = problem.split(": ", 3)
    assert addon == "addons.kube-prometheus-stack" and field in ("grafana_admin_parameter", "alerting")
    assert "external-secrets" in message and "store_namespaces" in message and "'monitoring'" in message


@pytest.mark.parametrize("store", [None, {"store_namespaces": ["apps"]}])
def test_grafanas_admin_password_needs_the_secret_store_to_serve_the_monitoring_namespace(tmp_path: Path, store: dict | None) -> None:
    addons: dict[str, object] = {"aws-ebs-csi-driver": {}, "kube-prometheus-stack": {}}
    if store is not None:
        addons["external-secrets"] = store
    [problem] = _problems(tmp_path, addons)
    file, addon, field, message = problem.split(": ", 3)
    assert file.endswith("dev.yaml") and (addon, field) == ("addons.kube-prometheus-stack", "grafana_admin_parameter")
    assert "external-secrets" in message and "store_namespaces" in message and "'monitoring'" in message


_CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"


@pytest.mark.parametrize(
    ("grafana", "extra", "field", "says"),
    [
        ({"ingress": True}, {"aws-load-balancer-controller": {}}, "certificate_arn", "required with ingress"),
        ({"ingress": True, "certificate_arn": _CERT}, {}, "ingress", "needs the aws-load-balancer-controller add-on"),
    ],
)
def test_grafana_ingress_needs_https_and_the_load_balancer_controller(tmp_path: Path, grafana: dict, extra: dict, field: str, says: str) -> None:
    [problem] = _problems(tmp_path, {**_MONITORED, **extra, "kube-prometheus-stack": grafana})
    file, addon, got, message = problem.split(": ", 3)
    assert file.endswith("dev.yaml") and (addon, got) == ("addons.kube-prometheus-stack", field) and says in message


def test_grafana_ingress_is_an_internal_https_alb_on_the_environments_domain_as_headlamps(tmp_path: Path) -> None:
    from catalog.addons.base import ClusterSide
    from catalog.addons.registry import BY_NAME

    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    raw.pop("teams", None)
    raw["addons"] = {**_MONITORED, "aws-load-balancer-controller": {}, "headlamp": {"ingress": True, "certificate_arn": _CERT}}
    raw["addons"]["kube-prometheus-stack"] = {"ingress": True, "certificate_arn": _CERT}
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(raw))
    [env] = load_environments(tmp_path)

    def values(name: str) -> dict:
        return BY_NAME[name].values(ClusterSide(env=env, options=env.addons[name], cluster_name=env.cluster_name))

    ingress, headlamp = values("kube-prometheus-stack")["grafana"]["ingress"], values("headlamp")["ingress"]
    assert ingress["annotations"] == headlamp["annotations"] and ingress["ingressClassName"] == headlamp["ingressClassName"]
    assert ingress["annotations"]["alb.ingress.kubernetes.io/scheme"] == "internal"
    assert ingress["hosts"] == [f"grafana.{raw['dns']['domain']}"]
