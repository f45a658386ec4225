"""Headlamp, the cluster dashboard: enabled in dev, staging and prod, ClusterIP, bound to nothing
(its chart binds it to cluster-admin by default), optional internal ALB ingress over HTTPS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from catalog.addons.base import ClusterSide
from catalog.addons.headlamp import Headlamp, HeadlampOptions
from environments import ConfigError, EnvironmentConfig
from tests.config.test_addons_config import _problems
from tests.conftest import Synth
from tools.render.charts import search_dirs
from tools.render.checks import Context, rbac, schema
from tools.render.environment import EnvironmentRender
from tools.render.releases import Release
from tools.render.render import render_releases

CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/0f0e0d0c-1111-2222-3333-444455556666"


def _release(values: dict) -> Release:
    chart = Headlamp.chart
    return Release(
        address="helm_release.headlamp",
        name="headlamp",
        namespace=Headlamp.namespace,
        chart=chart.name,
        version=chart.version,
        repository=chart.repository,
        values=values,
    )


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_headlamp_is_enabled_clusterip_and_unbound_after_the_load_balancer_controller(env_name: str, synth: Synth) -> None:
    releases = {b["name"]: (k, b) for k, b in synth.resources(f"{env_name}-addons", "helm_release").items()}
    _, body = releases["headlamp"]
    assert (body["chart"], body["version"], body["namespace"]) == ("headlamp", "0.45.0", "headlamp")
    values = json.loads(body["values"][0])
    assert values["clusterRoleBinding"] == {"create": False} and values["service"] == {"type": "ClusterIP"}
    assert "ingress" not in values
    alb_id, _ = releases["aws-load-balancer-controller"]
    assert f"helm_release.{alb_id}" in body["depends_on"]


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_rendered_headlamp_has_no_binding_and_a_clusterip_service(env_name: str, rendered: dict[str, EnvironmentRender]) -> None:
    item = rendered[env_name].of("headlamp")
    kinds = sorted(o["kind"] for o in item.objects)
    assert kinds == ["Deployment", "Secret", "Service", "ServiceAccount"]
    service = next(o for o in item.objects if o["kind"] == "Service")
    assert service["spec"]["type"] == "ClusterIP"


def test_the_charts_default_binding_to_cluster_admin_is_caught_by_the_render_check(helm: Path, rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["dev"]
    [item] = render_releases(helm, [_release({})], search_dirs(), cluster_version=result.env.cluster.version)
    findings = rbac.check(Context(result.env, (item,), result.synth))
    assert [f.message for f in findings] == ["binds ServiceAccount headlamp/headlamp to cluster-admin"]


def test_optional_ingress_is_an_internal_https_alb_on_the_environments_domain(
    helm: Path, rendered: dict[str, EnvironmentRender], environments: dict[str, EnvironmentConfig]
) -> None:
    env = environments["dev"]
    ctx = ClusterSide(env=env, options=HeadlampOptions(ingress=True, certificate_arn=CERT), cluster_name=env.cluster_name)
    values = Headlamp().release_values(ctx)
    [item] = render_releases(helm, [_release(values)], search_dirs(), cluster_version=env.cluster.version)
    ingress = next(o for o in item.objects if o["kind"] == "Ingress")
    assert ingress["spec"]["ingressClassName"] == "alb"
    assert ingress["spec"]["rules"][0]["host"] == f"headlamp.{env.dns.domain}"
    notes = ingress["metadata"]["annotations"]
    assert notes["alb.ingress.kubernetes.io/scheme"] == "internal" and notes["alb.ingress.kubernetes.io/certificate-arn"] == CERT
    assert json.loads(notes["alb.ingress.kubernetes.io/listen-ports"]) == [{"HTTPS": 443}]
    ctx_all = Context(env, (*rendered["dev"].rendered, item), rendered["dev"].synth)
    assert not [f for f in schema.check(ctx_all) if f.release == "headlamp"]
    assert not [f for f in rbac.check(ctx_all) if f.release == "headlamp"]


def test_ingress_without_a_certificate_or_the_controller_is_a_config_error(tmp_path: Path) -> None:
    problems = _problems(tmp_path, {"headlamp": {"ingress": True}})
    assert [p.split(": ", 2)[1:] for p in problems] == [["addons.headlamp", "ingress: needs the aws-load-balancer-controller add-on (it creates the ALB)"]]
    problems = _problems(tmp_path / "2", {"aws-load-balancer-controller": {}, "headlamp": {"ingress": True}})
    assert any("certificate_arn: required with ingress" in p for p in problems), problems
    with pytest.raises(ConfigError):
        from environments import load_environments
        from tests.config.test_addons_config import _write_env

        load_environments(_write_env(tmp_path / "3", {"headlamp": {"certificate_arn": "not-an-arn"}}))
