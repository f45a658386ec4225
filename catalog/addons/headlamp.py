"""Headlamp: the cluster dashboard (the successor kubernetes/dashboard recommends since its archival
in January 2026). Users sign in with their own Kubernetes identity (a token of their own or OIDC):
the dashboard's service account is bound to nothing, so it can show nothing on its own.

ClusterIP by default (``kubectl -n headlamp port-forward svc/headlamp 8080:80``); ``ingress: true``
puts it behind an internal ALB on ``headlamp.<dns.domain>`` (or ``host``), HTTPS only with
``certificate_arn``: sign-in tokens never cross the network in clear.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, Chart, ClusterSide, Options
from catalog.ingress import CERTIFICATE_PATTERN, HOST_PATTERN, ingress_problems, internal_alb_annotations


class HeadlampOptions(Options):
    """``ingress`` (default false): an internal ALB in front of the ClusterIP Service."""

    ingress: bool = False
    host: str | None = Field(default=None, pattern=HOST_PATTERN)
    """Left out: ``headlamp.<dns.domain>``."""
    certificate_arn: str | None = Field(default=None, pattern=CERTIFICATE_PATTERN)


class Headlamp(Addon):
    name = "headlamp"
    chart = Chart(repository="https://kubernetes-sigs.github.io/headlamp/", name="headlamp", version="0.45.0")
    namespace = "headlamp"
    options_model = HeadlampOptions
    # Its Service is intercepted by the load balancer controller's Service webhook (failurePolicy Fail).
    after = (AwsLoadBalancerController,)

    def check(self, env: Any, options: HeadlampOptions) -> list[str]:
        return ingress_problems(env, ingress=options.ingress, host=options.host, certificate_arn=options.certificate_arn, sign_in="their own tokens")

    def host(self, ctx: ClusterSide) -> str:
        opts: HeadlampOptions = ctx.options
        assert ctx.env.dns is not None, "the registry requires dns for headlamp's ingress"
        return opts.host or f"headlamp.{ctx.env.dns.domain}"

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: HeadlampOptions = ctx.options
        values: dict[str, Any] = {
            # The chart binds its own service account to cluster-admin by default: anyone reaching
            # the UI would act as cluster-admin. Off: every request carries the user's identity.
            "clusterRoleBinding": {"create": False},
            "service": {"type": "ClusterIP"},
        }
        if opts.ingress:
            values["ingress"] = {
                "enabled": True,
                "ingressClassName": "alb",
                "annotations": internal_alb_annotations(opts.certificate_arn),
                "hosts": [{"host": self.host(ctx), "paths": [{"path": "/", "type": "Prefix"}]}],
            }
        return values
