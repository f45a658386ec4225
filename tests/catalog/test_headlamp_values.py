"""Headlamp's spec without Helm or a synth: the values it gives its chart and the config problems it
reports (the rendered chart and the render checks over it: tests/addons/test_headlamp.py).

Facts: the chart (headlamp 0.45.0 values.yaml) binds its service account to cluster-admin unless
``clusterRoleBinding.create`` is false, and exposes ``service.type`` and an ``ingress`` block; the
annotations are the AWS Load Balancer Controller's ingress annotations (docs: "Ingress
annotations": scheme, target-type, listen-ports, certificate-arn, ssl-policy); the TLS 1.3 policy
name is ELB's. Expected hosts come from dev.yaml read as YAML.
"""

from __future__ import annotations

from typing import Any

import pytest

from catalog.addons.base import ClusterSide
from catalog.addons.headlamp import Headlamp, HeadlampOptions
from tests.config.test_config import DEV
from tests.render_check_support import environment

CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/0f0e0d0c-1111-2222-3333-444455556666"
ENV = environment("dev")


def values(**options: Any) -> dict[str, Any]:
    return Headlamp().values(ClusterSide(env=ENV, options=HeadlampOptions(**options), cluster_name=ENV.cluster_name))


def ingress(host: str) -> dict[str, Any]:
    return {
        "enabled": True,
        "ingressClassName": "alb",
        "annotations": {
            "alb.ingress.kubernetes.io/scheme": "internal",
            "alb.ingress.kubernetes.io/target-type": "ip",
            "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
            "alb.ingress.kubernetes.io/certificate-arn": CERT,
            "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        },
        "hosts": [{"host": host, "paths": [{"path": "/", "type": "Prefix"}]}],
    }


def test_by_default_a_clusterip_service_bound_to_nothing() -> None:
    assert values() == {"clusterRoleBinding": {"create": False}, "service": {"type": "ClusterIP"}}


def test_ingress_is_an_internal_https_alb_on_the_environments_domain() -> None:
    assert values(ingress=True, certificate_arn=CERT) == {
        "clusterRoleBinding": {"create": False},
        "service": {"type": "ClusterIP"},
        "ingress": ingress(f"headlamp.{DEV['dns']['domain']}"),
    }
    assert values(ingress=True, certificate_arn=CERT, host="dash.example.org")["ingress"] == ingress("dash.example.org")


NEEDS_CONTROLLER = "ingress: needs the aws-load-balancer-controller add-on (it creates the ALB)"
NEEDS_HOST = "ingress: needs host, or dns.domain in the environment file"
NEEDS_CERT = "certificate_arn: required with ingress (users sign in with their own tokens: HTTPS only)"


def _without(*addons: str, dns: bool = True) -> Any:
    def change(d: dict[str, Any]) -> None:
        for name in addons:
            d["addons"].pop(name, None)
        if not dns:
            d.pop("dns", None)

    return environment("dev", change)


@pytest.mark.parametrize(
    ("env", "options", "problems"),
    [
        (ENV, {}, []),
        (_without("aws-load-balancer-controller", "external-dns", dns=False), {}, []),  # no ingress: nothing needed
        (ENV, {"ingress": True, "certificate_arn": CERT}, []),
        (ENV, {"ingress": True}, [NEEDS_CERT]),
        (_without("aws-load-balancer-controller"), {"ingress": True, "certificate_arn": CERT}, [NEEDS_CONTROLLER]),
        (_without("external-dns", dns=False), {"ingress": True, "certificate_arn": CERT}, [NEEDS_HOST]),
        (_without("external-dns", dns=False), {"ingress": True, "certificate_arn": CERT, "host": "dash.example.org"}, []),
        (_without("aws-load-balancer-controller", "external-dns", dns=False), {"ingress": True}, [NEEDS_CONTROLLER, NEEDS_HOST, NEEDS_CERT]),
    ],
)
def test_ingress_needs_the_controller_a_host_and_a_certificate(env: Any, options: dict[str, Any], problems: list[str]) -> None:
    assert Headlamp().check(env, HeadlampOptions(**options)) == problems
