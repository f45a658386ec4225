"""ExternalDNS writing Route53 records for Services and Ingresses, only in the environment's zones."""

from __future__ import annotations

from typing import Any, Literal

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, AwsSide, Chart, ClusterSide, Options, ServiceAccount, Statement


class ExternalDnsOptions(Options):
    """``policy: sync`` (default) also deletes the records whose Service or Ingress is gone, and only
    records this cluster owns (the TXT registry's ``external-dns/owner``, ``txtOwnerId``);
    ``upsert-only`` never deletes: a deleted Ingress leaves a record pointing at a released load
    balancer name (a dangling record someone else's load balancer could take), and teardown
    (tools/delivery/teardown.py) then waits for records that never go."""

    policy: Literal["sync", "upsert-only"] = "sync"
    interval: str = "1m"


class ExternalDns(Addon):
    name = "external-dns"
    chart = Chart(repository="https://kubernetes-sigs.github.io/external-dns/", name="external-dns", version="1.21.1")
    namespace = "external-dns"
    monitor_switch = {"serviceMonitor": {"enabled": True}}  # chart values.yaml serviceMonitor
    service_account = ServiceAccount(name="external-dns", values_path=("serviceAccount",))
    options_model = ExternalDnsOptions
    crd_dirs = ("crds",)  # DNSEndpoint
    # Its chart renders a Service: the load balancer controller's Service webhook (failurePolicy
    # Fail) must be serving first, or the create fails on a fresh cluster (render ordering check).
    after = (AwsLoadBalancerController,)

    def check(self, env: Any, options: Any) -> list[str]:
        if env.dns is None:
            return ["needs dns (domain and hosted_zone_ids) in the environment file"]
        return []

    def policy(self, ctx: AwsSide) -> list[Statement]:
        assert ctx.env.dns is not None, "check() refuses external-dns without dns"
        zones = [f"arn:aws:route53:::hostedzone/{z}" for z in ctx.env.dns.hosted_zone_ids]
        return [
            {
                "Sid": "ChangeRecordsInEnvironmentZones",
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:ListTagsForResources"],
                "Resource": zones,
            },
            # ListHostedZones supports no resource-level scoping (docs/tutorials/aws.md).
            {"Sid": "DiscoverZones", "Effect": "Allow", "Action": "route53:ListHostedZones", "Resource": "*"},
        ]

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: ExternalDnsOptions = ctx.options
        dns = ctx.env.dns
        assert dns is not None, "check() refuses external-dns without dns"
        return {
            "provider": {"name": "aws"},
            "domainFilters": [dns.domain],
            "txtOwnerId": ctx.cluster_name,
            "policy": opts.policy,
            "interval": opts.interval,
            "env": [{"name": "AWS_DEFAULT_REGION", "value": ctx.region}],
            # Only the zones this role may write to, so ExternalDNS never tries (and fails) elsewhere.
            "extraArgs": [f"--zone-id-filter={z}" for z in dns.hosted_zone_ids],
        }
