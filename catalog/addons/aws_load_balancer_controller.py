"""AWS Load Balancer Controller: ALBs for Ingresses, NLBs for Services, with the official IAM policy."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import Field

from catalog.addons.base import Addon, AwsSide, Chart, ClusterSide, Options, ServiceAccount, Statement

POLICY_FILE = Path(__file__).resolve().parent / "policies" / "aws-load-balancer-controller_iam_policy_v3.5.0.json"


@cache
def official_statements() -> tuple[Statement, ...]:
    """``docs/install/iam_policy.json`` at the pinned version, verbatim (a test compares the copy)."""
    return tuple(json.loads(POLICY_FILE.read_text(encoding="utf-8"))["Statement"])


def _unconditioned_ingress_rules(statement: Statement) -> bool:
    actions = statement.get("Action")
    return (
        statement.get("Resource") == "*"
        and "Condition" not in statement
        and isinstance(actions, list)
        and sorted(actions) == ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]
    )


class LoadBalancerOptions(Options):
    replicas: int = Field(default=2, ge=1, le=5)
    default_target_type: str = Field(default="ip", pattern="^(ip|instance)$")


class AwsLoadBalancerController(Addon):
    name = "aws-load-balancer-controller"
    chart = Chart(repository="https://aws.github.io/eks-charts", name="aws-load-balancer-controller", version="3.5.0")
    namespace = "kube-system"
    monitor_switch = {"serviceMonitor": {"enabled": True}}  # chart values.yaml serviceMonitor
    service_account = ServiceAccount(name="aws-load-balancer-controller", values_path=("serviceAccount",))
    options_model = LoadBalancerOptions
    crd_dirs = ("crds",)  # elbv2.k8s.aws and the gateway CRDs (crds.yaml, gateway-crds.yaml)
    # The install guide's policy at the pinned chart is newer than parliament 1.6.4's action
    # catalogue (iam_definition.json of 2025-04); both are in AWS's own API reference.
    iam_lint_accept = {
        "UNKNOWN_ACTION": (
            "elasticloadbalancing:ModifyIpPools (the official v3.5.0 policy) is an ELBv2 API action added after parliament's "
            "catalogue: https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_ModifyIpPools.html"
        ),
        "UNKNOWN_CONDITION_FOR_ACTION": (
            "elasticloadbalancing:CreateAction on AddTags is how the official v3.5.0 policy allows tagging only while creating; "
            "the key is newer than parliament's catalogue (the policy file is compared verbatim with upstream)"
        ),
    }

    def policy(self, ctx: AwsSide) -> list[Statement]:
        statements: list[Statement] = []
        for statement in official_statements():
            statement = dict(statement)
            if _unconditioned_ingress_rules(statement):
                # The install guide's own hardening: only security groups in this cluster's VPC.
                statement["Condition"] = {"ArnEquals": {"ec2:Vpc": f"arn:aws:ec2:{ctx.region}:{ctx.account_id}:vpc/{ctx.vpc_id}"}}
            statements.append(statement)
        return statements

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        opts: LoadBalancerOptions = ctx.options
        # region and vpcId set so the controller never needs IMDS (node hop limit is 1).
        return {
            "clusterName": ctx.cluster_name,
            "region": ctx.region,
            "vpcId": ctx.vpc_id,
            "replicaCount": opts.replicas,
            "defaultTargetType": opts.default_target_type,
        }
