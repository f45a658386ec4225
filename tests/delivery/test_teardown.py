"""Teardown: the Kubernetes objects that own AWS resources go before the add-ons, and what their
controllers created is found in AWS by the tags each controller documents (tools/delivery/teardown.py).

The AWS side runs on moto (in-process): load balancers, security groups, volumes and Route 53
records created the way the AWS Load Balancer Controller (tag ``elbv2.k8s.aws/cluster``),
ExternalDNS (TXT registry ``heritage=external-dns,external-dns/owner=<owner>``) and the EBS CSI
driver (``kubernetes.io/cluster/<id>=owned``) create them, beside resources of another cluster.
The Kubernetes side is not modelled here (no API server): the order of the deletions is checked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tools.delivery import cdktf, teardown

CLUSTER = "prod-eks"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        yield boto3.Session(region_name="eu-west-1")


def _controller_resources(session: Any, cluster: str, zone: str, host: str) -> dict[str, str]:
    ec2, elbv2, route53 = session.client("ec2"), session.client("elbv2"), session.client("route53")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"]["SubnetId"] for i, z in enumerate("ab")]
    tags = [{"Key": teardown.LB_TAG, "Value": cluster}]
    group = ec2.create_security_group(
        GroupName=f"k8s-{cluster}", Description="lb", VpcId=vpc, TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}]
    )["GroupId"]
    lb = elbv2.create_load_balancer(Name=f"k8s-{cluster}"[:32], Subnets=subnets, SecurityGroups=[group], Tags=tags)["LoadBalancers"][0]["LoadBalancerArn"]
    volume = ec2.create_volume(
        AvailabilityZone="eu-west-1a",
        Size=200,
        TagSpecifications=[
            {
                "ResourceType": "volume",
                "Tags": [
                    {"Key": f"kubernetes.io/cluster/{cluster}", "Value": "owned"},
                    {"Key": "kubernetes.io/created-for/pvc/namespace", "Value": "monitoring"},
                    {"Key": "kubernetes.io/created-for/pvc/name", "Value": "prometheus-db"},
                ],
            }
        ],
    )["VolumeId"]
    txt = f'"heritage=external-dns,external-dns/owner={cluster},external-dns/resource=ingress/payments/api"'
    route53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={
            "Changes": [
                {"Action": "CREATE", "ResourceRecordSet": {"Name": host, "Type": "CNAME", "TTL": 300, "ResourceRecords": [{"Value": "lb.example.net"}]}},
                {"Action": "CREATE", "ResourceRecordSet": {"Name": f"cname-{host}", "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": txt}]}},
            ]
        },
    )
    return {"lb": lb, "group": group, "volume": volume}


def test_leftovers_are_what_this_clusters_controllers_created(aws: Any) -> None:
    zone = aws.client("route53").create_hosted_zone(Name="example.com", CallerReference="x")["HostedZone"]["Id"].split("/")[-1]
    ours = _controller_resources(aws, CLUSTER, zone, "api.payments.example.com")
    _controller_resources(aws, "other-eks", zone, "api.other.example.com")
    left = teardown.leftovers(aws, CLUSTER, [zone])
    assert left["load balancers"] == [ours["lb"]]
    assert left["security groups"] == [ours["group"]]
    assert left["EBS volumes"] == [f"{ours['volume']} (pvc monitoring/prometheus-db)"]
    assert left["DNS records"] == [f"cname-api.payments.example.com. ({zone})"]


def test_wait_returns_once_the_controllers_have_cleaned_up(aws: Any) -> None:
    zone = aws.client("route53").create_hosted_zone(Name="example.com", CallerReference="x")["HostedZone"]["Id"].split("/")[-1]
    ours = _controller_resources(aws, CLUSTER, zone, "api.payments.example.com")
    polls: list[int] = []

    def controller_deletes(_: float) -> None:  # what the controllers do once the objects are gone
        polls.append(1)
        aws.client("elbv2").delete_load_balancer(LoadBalancerArn=ours["lb"])
        aws.client("ec2").delete_security_group(GroupId=ours["group"])
        aws.client("ec2").delete_volume(VolumeId=ours["volume"])
        records = aws.client("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
        changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in records if r["Type"] in ("TXT", "CNAME")]
        aws.client("route53").change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})

    left = teardown.wait_for_cleanup(lambda: teardown.leftovers(aws, CLUSTER, [zone]), timeout=60, interval=0, sleep=controller_deletes)
    assert left == {} and polls == [1]
    _controller_resources(aws, CLUSTER, zone, "www.payments.example.com")
    left = teardown.wait_for_cleanup(lambda: teardown.leftovers(aws, CLUSTER, [zone]), timeout=0, interval=0)
    assert set(left) == {"load balancers", "security groups", "EBS volumes", "DNS records"}


def test_destroy_drains_before_any_kubernetes_stack_goes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[str] = []
    order = ["prod-state", "prod-network", "prod-cluster", "prod-storage", "prod-addons-aws", "prod-addons", "prod-teams-aws", "prod-teams"]

    class Done:  # what subprocess.run returns with capture_output=True, text=True
        returncode = 0
        stdout = ""
        stderr = ""

    def run(args: list[str], **_: Any) -> Done:
        if "synth" in args:
            Path(args[args.index("--output") + 1]).mkdir(parents=True)
        if "destroy" in args:
            calls.append(f"destroy {args[args.index('destroy') + 1]}")
        return Done()

    monkeypatch.setattr(cdktf, "CDKTF", tmp_path)  # exists
    monkeypatch.setattr(cdktf.subprocess, "run", run)
    monkeypatch.setattr(cdktf, "stack_order", lambda env, outdir: order)
    monkeypatch.setattr(cdktf, "before_destroy", lambda env: calls.append(f"drain {env}") or 0)
    assert cdktf.cdktf("destroy", "prod", outdir=tmp_path / "out") == 0
    assert calls[0] == "drain prod", calls
    assert calls[1:] == [f"destroy {s}" for s in reversed(order) if s != "prod-state"]


def test_drain_deletes_the_owning_objects_in_order() -> None:
    seen: list[list[str]] = []
    services = {
        "items": [
            {"metadata": {"name": "api", "namespace": "payments"}, "spec": {"type": "LoadBalancer"}},
            {"metadata": {"name": "db", "namespace": "payments"}, "spec": {"type": "ClusterIP"}},
        ]
    }

    class Out:
        stdout = json.dumps(services)

    def run(args: list[str], **_: Any) -> Out:
        seen.append(args[1:])
        return Out()

    teardown.drain("kubectl", run=run)
    verbs = [" ".join(a[:2]) for a in seen]
    assert verbs == ["delete ingresses", "get services", "delete service", "delete statefulsets", "delete persistentvolumeclaims"]
    assert seen[2][:4] == ["delete", "service", "api", "-n"]


@pytest.mark.parametrize("path", sorted((Path(__file__).resolve().parents[2] / "environments").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_environments_let_external_dns_delete_its_records(path: Path) -> None:
    """ExternalDNS deletes records only with ``policy: sync`` (its ``--policy`` flag: ``upsert-only``
    never deletes); teardown waits for this cluster's records to go, so it needs ``sync``."""
    import yaml

    addons = yaml.safe_load(path.read_text()).get("addons") or {}
    if "external-dns" in addons:
        from catalog.addons.external_dns import ExternalDnsOptions

        policy = (addons["external-dns"] or {}).get("policy", ExternalDnsOptions.model_fields["policy"].default)
        assert policy == "sync", f"{path.name}: addons.external-dns.policy is {policy}"
