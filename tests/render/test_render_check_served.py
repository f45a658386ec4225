"""The served check (tools/render/checks/served.py) on hand-built releases: an object of a custom
kind needs its CRD installed before its release (Helm docs, Chart Best Practices, "Custom Resource
Definitions": only the chart's own ``crds/`` is installed before its templates; a CRD and the
objects of its kind otherwise go in separate charts, installed in order). The same check over the
real renders of every environment: tests/render/test_render.py; its scratch break on external-dns:
tests/render/test_render_observability.py."""

from __future__ import annotations

import dataclasses
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from tests.render_check_support import context, environment, located, release
from tools.render.checks import served
from tools.render.releases import Synthesized
from tools.render.render import Rendered

MONITOR = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "app", "namespace": "apps"}, "spec": {}}
NODE_CLASS = {"apiVersion": "eks.amazonaws.com/v1", "kind": "NodeClass", "metadata": {"name": "default"}, "spec": {}}


def crd(group: str, kind: str) -> dict[str, Any]:
    plural = kind.lower() + "s"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {"group": group, "names": {"kind": kind, "plural": plural}, "scope": "Namespaced", "versions": [{"name": "v1", "served": True}]},
    }


def in_stack(item: Rendered, stack: str) -> Rendered:
    return dataclasses.replace(item, release=dataclasses.replace(item.release, stack=stack))


def test_an_object_whose_crd_release_it_does_not_wait_for_is_reported() -> None:
    env = environment("staging")
    crds = in_stack(release("monitoring-crds", "monitoring", crd("monitoring.coreos.com", "ServiceMonitor")), "s-addons")
    app = in_stack(release("app", "apps", MONITOR), "s-addons")
    assert located(served.check(context(env, crds, app))) == [
        (
            "app",
            "ServiceMonitor",
            "apps",
            "app",
            "monitoring.coreos.com/ServiceMonitor is served by the CRD of monitoring-crds, which release app does not wait for: "
            "its first install fails (no matches for kind), or drops the object where the chart checks the API's presence",
        )
    ]
    waiting = in_stack(release("app", "apps", MONITOR, depends_on=("helm_release.between",)), "s-addons")
    between = in_stack(release("between", "apps", depends_on=("helm_release.monitoring-crds",)), "s-addons")
    assert served.check(context(env, crds, between, waiting)) == []


def test_a_crd_templated_in_the_same_release_does_not_serve_its_objects() -> None:
    # Helm builds every template of the release against discovery before creating the CRD.
    env = environment("staging")
    found = served.check(context(env, release("app", "apps", crd("monitoring.coreos.com", "ServiceMonitor"), MONITOR)))
    assert [f.kind for f in found] == ["ServiceMonitor"]


def test_a_custom_kind_no_release_installs_is_reported_unless_the_cluster_serves_it() -> None:
    found = served.check(context(environment("staging"), release("pools", "kube-system", NODE_CLASS)))
    assert [f.message.split(" is served")[0] for f in found] == ["eks.amazonaws.com/NodeClass"]
    assert "CRD of no release" in found[0].message
    assert served.check(context(environment("auto"), release("pools", "kube-system", NODE_CLASS))) == []


def test_kubernetes_own_groups_need_no_crd() -> None:
    objects = (
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "a"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"}},
        {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy", "metadata": {"name": "a"}},
    )
    assert served.check(context(environment("staging"), release("app", "apps", *objects))) == []


def _chart_with_crds_dir(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}-1.0.0.tgz"
    with tarfile.open(path, "w:gz") as archive:
        for member, body in (
            (f"{name}/Chart.yaml", f"name: {name}\nversion: 1.0.0\n"),
            (f"{name}/crds/sm.yaml", json.dumps(crd("monitoring.coreos.com", "ServiceMonitor"))),
        ):
            data = body.encode()
            info = tarfile.TarInfo(member)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_the_charts_own_crds_dir_serves_its_templates_unless_skipped(tmp_path: Path) -> None:
    env = environment("staging")
    item = release("app", "apps", crd("monitoring.coreos.com", "ServiceMonitor"), MONITOR)
    item = dataclasses.replace(item, chart_path=_chart_with_crds_dir(tmp_path, "app"))
    assert served.check(context(env, item)) == []
    skipped = dataclasses.replace(item, release=dataclasses.replace(item.release, skip_crds=True))
    assert [f.kind for f in served.check(context(env, skipped))] == ["ServiceMonitor"]


def test_a_release_of_a_later_stack_is_served_by_an_earlier_stacks_crd(tmp_path: Path) -> None:
    env = environment("staging")
    (tmp_path / "manifest.json").write_text(json.dumps({"stacks": {"s-teams": {"dependencies": ["s-addons"]}, "s-addons": {"dependencies": []}}}))
    crds = in_stack(release("monitoring-crds", "monitoring", crd("monitoring.coreos.com", "ServiceMonitor")), "s-addons")
    team = in_stack(release("team", "apps", MONITOR), "s-teams")
    assert served.check(context(env, crds, team, synth=Synthesized(tmp_path))) == []
    # The other way round: the CRD's stack is applied after the object's.
    backwards = [in_stack(crds, "s-teams"), in_stack(team, "s-addons")]
    assert [f.release for f in served.check(context(env, *backwards, synth=Synthesized(tmp_path)))] == ["team"]
