"""A label an alert or dashboard reads from an exporter's metric is the exporter's own value, not the
scrape target's, when both set it.

Prometheus attaches target labels to every scraped series; prometheus-operator's ServiceMonitor and
PodMonitor targets carry ``job``, ``instance``, ``namespace``, ``service``, ``pod``, ``container`` and
``endpoint``. When a scraped series has one of those too, ``honor_labels`` decides (Prometheus docs,
configuration, ``<scrape_config>``): "If honor_labels is set to "false", label conflicts are resolved
by renaming conflicting labels in the scraped data to "exported_<original-label>" ... If
honor_labels is set to "true", label conflicts are resolved by keeping label values from the scraped
data". A monitor endpoint's ``honorLabels`` defaults to false (prometheus-operator API reference,
Endpoint / PodMetricsEndpoint). So wherever a rule or panel groups by, matches on or shows such a
label of a metric whose exporter defines it (``reference/metrics/<exporter>.txt``), every monitor of
that exporter must set ``honorLabels: true``; otherwise the rule reads the exporter Pod's namespace
(``external-secrets`` for every ExternalSecret).

A monitor "of an exporter" is one whose name contains the exporter's fact-file name (the charts name
them after the release or component: ``external-secrets-metrics``,
``kube-prometheus-stack-kube-state-metrics``).
"""

from __future__ import annotations

import re

import pytest

from environments import load_environments
from tests.catalog.test_alert_metrics import FACTS, QUERIES, TARGET_LABELS, load_facts, parse
from tests.render_support import ADDON_ENVIRONMENTS
from tools.render.environment import EnvironmentRender

# Environments whose Prometheus stack renders the rules, dashboards and monitors (read at collection time).
MONITORED = [e.name for e in load_environments() if e.name in ADDON_ENVIRONMENTS and "kube-prometheus-stack" in e.addons]
EXPORTERS = sorted(p.stem for p in FACTS.glob("*.txt"))


def conflicts() -> list[tuple[str, str, str, frozenset[str]]]:
    """(query, metric, exporter, labels the query reads that the exporter and the target both set)."""
    facts = {exporter: load_facts(exporter) for exporter in EXPORTERS}
    out = []
    for what, expr, exporters, summary in QUERIES:
        query = parse(expr)
        shown = set(re.findall(r"\$labels\.([a-zA-Z_]+)", summary))
        for name, matchers in query.selectors:
            for exporter in exporters:
                metric = facts[exporter].get(name)
                if metric is None:
                    continue
                read = (set(matchers) | query.grouping | shown) & metric.labels & TARGET_LABELS
                if read:
                    out.append((what, name, exporter, frozenset(read)))
    return out


CONFLICTS = conflicts()


def test_the_external_secrets_namespace_is_among_the_conflicts() -> None:
    # The reason this test exists: externalsecret_status_condition{namespace} is the ExternalSecret's.
    assert ("alert ExternalSecretSyncFailing", "externalsecret_status_condition", "external-secrets", frozenset({"namespace"})) in CONFLICTS


def _environments(what: str) -> list[str]:
    """A dashboard query is its environment's ("<env>: dashboard ..."); an alert rule every one's."""
    own = what.split(": ", 1)[0]
    return [own] if own in MONITORED else ([] if ": dashboard" in what else MONITORED)


CASES = [(env_name, *c) for c in CONFLICTS for env_name in _environments(c[0])]


@pytest.mark.parametrize(("env_name", "what", "metric", "exporter", "labels"), CASES, ids=[f"{c[0]}-{c[1]}:{c[2]}" for c in CASES])
def test_monitors_keep_the_exporters_own_labels(
    env_name: str, what: str, metric: str, exporter: str, labels: frozenset[str], rendered: dict[str, EnvironmentRender]
) -> None:
    result = rendered[env_name]
    found = [
        (obj, endpoint)
        for item in result.rendered
        for obj in item.objects
        if obj.get("kind") in ("ServiceMonitor", "PodMonitor") and exporter in obj["metadata"]["name"]
        for endpoint in (obj.get("spec") or {}).get("endpoints") or (obj.get("spec") or {}).get("podMetricsEndpoints") or []
    ]
    if not found:
        pytest.skip(f"{env_name} renders no monitor of {exporter}")
    renamed = sorted({obj["metadata"]["name"] for obj, endpoint in found if endpoint.get("honorLabels") is not True})
    assert not renamed, (
        f"{env_name}: {what} reads {sorted(labels)} of {metric}, but {', '.join(renamed)} (honorLabels false) stores the exporter's value "
        f"as {', '.join('exported_' + label for label in sorted(labels))}"
    )
