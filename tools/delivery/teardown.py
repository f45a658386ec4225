"""Teardown of what the cluster's controllers created in AWS, before the controllers go.

Terraform knows nothing of the load balancers, security groups, DNS records and EBS volumes that
the AWS Load Balancer Controller, ExternalDNS and the EBS CSI driver create for Ingresses,
LoadBalancer Services and PVCs. Destroying the add-ons first leaves them billing, and the load
balancers' security groups and network interfaces then block the network stack's destroy. So
``tools.delivery cdktf destroy`` first deletes those Kubernetes objects (``drain``), while the
controllers still run, and waits until AWS shows nothing the cluster owns (``wait_for_cleanup``).

What AWS shows, by the tags each controller documents:
* load balancers and security groups: ``elbv2.k8s.aws/cluster=<cluster>`` (AWS Load Balancer
  Controller, https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/deploy/installation/,
  "resource tags"); target groups go with their load balancer;
* DNS records: ExternalDNS's TXT registry records ``heritage=external-dns,external-dns/owner=<txtOwnerId>``
  (the cluster name here), https://kubernetes-sigs.github.io/external-dns/latest/docs/registry/txt/;
* EBS volumes: ``kubernetes.io/cluster/<cluster>=owned`` (EBS CSI driver with ``k8sTagClusterId``,
  https://github.com/kubernetes-sigs/aws-ebs-csi-driver/blob/master/docs/tagging.md).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

from tools.cli import UserError

LB_TAG = "elbv2.k8s.aws/cluster"


def leftovers(session: Any, cluster: str, zone_ids: list[str]) -> dict[str, list[str]]:
    """What the cluster's controllers created and AWS still has, by kind (empty lists: nothing)."""
    elbv2, ec2, route53 = session.client("elbv2"), session.client("ec2"), session.client("route53")
    arns = [lb["LoadBalancerArn"] for page in elbv2.get_paginator("describe_load_balancers").paginate() for lb in page["LoadBalancers"]]
    balancers = []
    for i in range(0, len(arns), 20):  # DescribeTags takes at most 20 ARNs
        for description in elbv2.describe_tags(ResourceArns=arns[i : i + 20])["TagDescriptions"]:
            if any(t["Key"] == LB_TAG and t["Value"] == cluster for t in description.get("Tags", [])):
                balancers.append(description["ResourceArn"])
    groups = ec2.describe_security_groups(Filters=[{"Name": f"tag:{LB_TAG}", "Values": [cluster]}])["SecurityGroups"]
    volumes = ec2.describe_volumes(Filters=[{"Name": f"tag:kubernetes.io/cluster/{cluster}", "Values": ["owned"]}])["Volumes"]
    owner = f"external-dns/owner={cluster}"
    records = [
        f"{record['Name']} ({zone})"
        for zone in zone_ids
        for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone)
        for record in page["ResourceRecordSets"]
        if record["Type"] == "TXT" and any("heritage=external-dns" in r["Value"] and owner in r["Value"] for r in record.get("ResourceRecords", []))
    ]
    return {
        "load balancers": balancers,
        "security groups": [g["GroupId"] for g in groups],
        "DNS records": records,
        "EBS volumes": [f"{v['VolumeId']} ({_pvc(v)})" for v in volumes],
    }


def _pvc(volume: dict[str, Any]) -> str:
    tags = {t["Key"]: t["Value"] for t in volume.get("Tags", [])}
    return f"pvc {tags.get('kubernetes.io/created-for/pvc/namespace', '?')}/{tags.get('kubernetes.io/created-for/pvc/name', '?')}"


def wait_for_cleanup(
    find: Callable[[], dict[str, list[str]]], *, timeout: float = 900, interval: float = 15, sleep: Callable[[float], None] = time.sleep
) -> dict[str, list[str]]:
    """Poll ``find`` until it reports nothing or ``timeout`` seconds passed; what is left."""
    deadline = time.monotonic() + timeout
    while True:
        left = {kind: items for kind, items in find().items() if items}
        if not left or time.monotonic() >= deadline:
            return left
        sleep(interval)


def kubectl_commands() -> list[list[str]]:
    """The deletions, in order: Ingresses and LoadBalancer Services (load balancers, their security
    groups, DNS records), then the StatefulSets and every PVC (the EBS volumes; StatefulSets keep
    their PVCs by default, and a PVC in use is deleted only when its pod is gone)."""
    return [
        ["delete", "ingresses", "--all", "--all-namespaces", "--wait=true", "--timeout=10m"],
        ["delete-load-balancer-services"],
        ["delete", "statefulsets", "--all", "--all-namespaces", "--wait=true", "--timeout=10m"],
        ["delete", "persistentvolumeclaims", "--all", "--all-namespaces", "--wait=true", "--timeout=10m"],
    ]


def drain(kubectl: str | None = None, run: Callable[..., Any] = subprocess.run) -> None:
    """Delete the Kubernetes objects that own AWS resources, on kubectl's current context."""
    binary = kubectl or shutil.which("kubectl")
    if binary is None:
        raise UserError(
            "kubectl not found: teardown deletes Ingresses, LoadBalancer Services and PVCs before the add-ons "
            "(docs/delivery.md, Teardown); install kubectl and `aws eks update-kubeconfig --name <cluster>`"
        )
    for command in kubectl_commands():
        if command == ["delete-load-balancer-services"]:
            listed = run([binary, "get", "services", "--all-namespaces", "-o", "json"], check=True, capture_output=True, text=True)
            for svc in json.loads(listed.stdout)["items"]:
                if svc.get("spec", {}).get("type") == "LoadBalancer":
                    meta = svc["metadata"]
                    run([binary, "delete", "service", meta["name"], "-n", meta["namespace"], "--wait=true"], check=True)
            continue
        run([binary, *command], check=True)


def report(left: dict[str, list[str]]) -> str:
    return "\n".join(f"  {kind}: {', '.join(items)}" for kind, items in left.items())
