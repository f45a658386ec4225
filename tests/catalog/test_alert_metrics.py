"""Every metric an alert rule or dashboard panel queries is one its exporter defines at the pinned
version, with the labels the query uses.

The expectation comes from the exporters' own sources: ``reference/metrics/<exporter>.txt`` lists
the metrics (type, label names) extracted from the upstream repository at the tag of the pinned
chart's app version (each file's header names repository, tag and paths). Labels a query may use
beyond the exporter's are those the scrape adds: ``job`` and ``instance`` (Prometheus docs, "Jobs
and instances") and ``namespace``, ``service``, ``pod``, ``container``, ``endpoint`` that
prometheus-operator's ServiceMonitor/PodMonitor relabeling sets (prometheus-operator docs,
"ServiceMonitor: target labels"). A histogram or summary also exposes ``_count``/``_sum``
(``_bucket`` for a histogram) (Prometheus docs, "Metric types").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog.observability.alerts import EXPORTERS, groups
from catalog.observability.dashboards import dashboards
from environments import load_environments

FACTS = Path(__file__).resolve().parents[2] / "reference" / "metrics"
TARGET_LABELS = frozenset({"job", "instance", "namespace", "service", "pod", "container", "endpoint"})
_SUFFIXES = {"histogram": ("_count", "_sum", "_bucket"), "summary": ("_count", "_sum")}
# PromQL keywords and operators spelled as words (Prometheus docs, "Querying: operators").
_WORDS = frozenset({"and", "or", "unless", "bool", "offset"})
_GROUPING = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
_TOKEN = re.compile(r'(?P<str>"[^"]*")|(?P<brace>\{[^}]*\})|(?P<range>\[[^\]]*\])|(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)|(?P<other>.)', re.S)
_MATCHER = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"')


@dataclass(frozen=True)
class Metric:
    name: str
    type: str
    labels: frozenset[str]


def load_facts(exporter: str) -> dict[str, Metric]:
    path = FACTS / f"{exporter}.txt"
    text = path.read_text(encoding="utf-8")
    assert re.search(r"(?m)^# repository: \S+", text) and re.search(r"(?m)^# tag: \S+", text), f"{path}: header names no repository and tag"
    out: dict[str, Metric] = {}
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        name, type_, labels = line.split()
        metric = Metric(name, type_, frozenset() if labels == "-" else frozenset(labels.split(",")))
        out[name] = metric
        for suffix in _SUFFIXES.get(type_, ()):
            out[name + suffix] = Metric(name + suffix, "counter", metric.labels | ({"le"} if suffix == "_bucket" else set()))
    return out


@dataclass
class Query:
    selectors: list[tuple[str, set[str]]]  # metric name, labels its matchers name
    grouping: set[str]  # labels named in by/without/on/ignoring/group_*


def parse(expr: str) -> Query:
    """Metric selectors and grouping labels of a PromQL expression (enough for the platform's rules)."""
    tokens = [(m.lastgroup, m.group()) for m in _TOKEN.finditer(expr) if not m.group().isspace()]
    query = Query([], set())
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else (None, "")
        if kind == "ident" and text in _GROUPING:
            if nxt[1] == "(":
                j = i + 2
                while tokens[j][1] != ")":
                    if tokens[j][0] == "ident":
                        query.grouping.add(tokens[j][1])
                    j += 1
                i = j
        elif kind == "ident" and text not in _WORDS and nxt[1] != "(" and nxt[1] not in ("by", "without"):  # not a call or an aggregation
            labels = set(_MATCHER.findall(nxt[1])) if nxt[0] == "brace" else set()
            query.selectors.append((text, labels))
        i += 1
    return query


def _queries() -> list[tuple[str, str, tuple[str, ...], str]]:
    """(what, expression, exporters, annotation text) of every rule and every dashboard panel."""
    out = []
    for group in groups():
        for rule in group["rules"]:
            out.append((f"alert {rule['alert']}", rule["expr"], EXPORTERS.get(rule["alert"], ()), rule["annotations"]["summary"]))
    every = tuple(sorted(p.stem for p in FACTS.glob("*.txt")))
    for env in load_environments():
        for board in dashboards(env):
            for panel in board["panels"]:
                for target in panel["targets"]:
                    if target["datasource"]["type"] == "prometheus":
                        out.append((f"{env.name}: dashboard {board['uid']}: {panel['title']}", target["expr"], every, ""))
    return out


QUERIES = _queries()


def test_parse_reads_selectors_matchers_and_grouping() -> None:
    q = parse('sum by (reason) (increase(foo_total{a="x",b=~"y|z"}[10m])) > 0 and on() bar')
    assert q.selectors == [("foo_total", {"a", "b"}), ("bar", set())]
    assert q.grouping == {"reason"}


def test_every_alert_names_its_exporters() -> None:
    alerts = {r["alert"] for g in groups() for r in g["rules"]}
    assert sorted(alerts - EXPORTERS.keys()) == []
    for alert, exporters in EXPORTERS.items():
        for exporter in exporters:
            assert (FACTS / f"{exporter}.txt").is_file(), f"{alert}: no fact file reference/metrics/{exporter}.txt"


@pytest.mark.parametrize(("what", "expr", "exporters", "summary"), QUERIES, ids=[q[0] for q in QUERIES])
def test_metrics_and_labels_are_the_exporters_own(what: str, expr: str, exporters: tuple[str, ...], summary: str) -> None:
    facts: dict[str, Metric] = {}
    for exporter in exporters:
        facts.update(load_facts(exporter))
    query = parse(expr)
    assert query.selectors, f"{what}: no metric in {expr!r}"
    used: set[str] = set(TARGET_LABELS)
    for name, labels in query.selectors:
        metric = facts.get(name)
        assert metric is not None, f"{what}: {name} is not a metric {', '.join(exporters)} defines (reference/metrics/)"
        assert labels <= metric.labels | TARGET_LABELS, f"{what}: {name} has no label {sorted(labels - metric.labels - TARGET_LABELS)}"
        used |= metric.labels
    assert query.grouping <= used, f"{what}: grouping by {sorted(query.grouping - used)}, a label none of its metrics has"
    shown = set(re.findall(r"\$labels\.([a-zA-Z_]+)", summary))
    assert shown <= used | query.grouping, f"{what}: summary shows {sorted(shown - used)}, a label none of its metrics has"
