"""Plan-report rules for production hardening: changes that break IRSA, node bootstrap, private egress, EFS
mounts, add-on data or cluster access, that open EFS up, and plans blocked by a protected resource.

Registered in ``tools/plan_report.assess`` with one line. Each rule reads one stack's plan
(``StackPlan``) and yields ``Risk``s in plain words.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from catalog.protected import PROTECTED_TYPES
from tools.review.plan import Change, Risk, StackPlan

_LOSS = ("replace", "destroy")

# What removing a release takes with it, beyond its own pods (chart name -> consequence).
_RELEASE_LOSS = {
    "aws-ebs-csi-driver": "the gp3 default StorageClass and the EBS CSI driver go with it: new EBS volumes cannot be provisioned or attached",
    "aws-load-balancer-controller": "Ingresses and LoadBalancer Services are no longer reconciled; the ALBs/NLBs it created are orphaned in AWS (nothing deletes them)",
    "aws-efs-csi-driver": "the EFS StorageClass and driver go with it: EFS volumes cannot be mounted on new pods",
    "external-secrets": "ExternalSecrets stop syncing (its CRDs, and with them every ExternalSecret object, may be deleted)",
    "cluster-autoscaler": "node groups stop scaling",
}


def _verb(change: Change) -> str:
    return "replaced (destroyed, then created again)" if change.action == "replace" else "destroyed"


def _values(change: Change) -> dict[str, Any]:
    return change.before or change.after or {}


def _oidc_provider(change: Change) -> Iterator[Risk]:
    if change.type == "aws_iam_openid_connect_provider" and change.action in _LOSS:
        url = _values(change).get("url") or change.address
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"The IAM OIDC provider {url} will be {_verb(change)}: every role that trusts it (the add-ons' IRSA roles, "
            "or Terraform Cloud runs) cannot be assumed until roles trust the new provider; pods lose their AWS access.",
        )


def _platform_role(change: Change) -> Iterator[Risk]:
    if change.type != "aws_iam_role" or change.action not in _LOSS:
        return
    trust = str(_values(change).get("assume_role_policy") or "")
    name = _values(change).get("name") or change.address
    if "eks.amazonaws.com" in trust and "eks-fargate" not in trust:
        what = "the EKS cluster role (the control plane manages ENIs, load balancers and logs with it)"
    elif "ec2.amazonaws.com" in trust:
        what = "the node IAM role (nodes join the cluster, pull images and run the VPC CNI with it; new nodes cannot join)"
    elif "eks-fargate-pods.amazonaws.com" in trust:
        what = "the Fargate pod execution role (Fargate pods cannot start)"
    else:
        return
    yield Risk("high", change.stack, change.address, f"Role {name}, {what}, will be {_verb(change)}.")


def _private(change: Change) -> bool:
    values = _values(change)
    tags = values.get("tags") or {}
    return bool(values.get("nat_gateway_id")) or "private" in change.address or "private" in str(tags.get("Name", ""))


def _routes(change: Change) -> Iterator[Risk]:
    if change.type not in ("aws_route", "aws_route_table", "aws_route_table_association") or change.action not in _LOSS:
        return
    kind = {"aws_route": "A route", "aws_route_table": "A route table", "aws_route_table_association": "A route table association"}[change.type]
    if _private(change):
        why = "private subnets lose their way out through NAT (image pulls, AWS APIs, webhooks fail) until it is back"
    else:
        why = "public subnets lose their internet route (NAT gateways and public load balancers stop working) until it is back"
    yield Risk("high", change.stack, change.address, f"{kind} will be {_verb(change)}: {why}.")


def _efs_access(change: Change) -> Iterator[Risk]:
    if change.type == "aws_efs_mount_target" and change.action in _LOSS:
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"An EFS mount target will be {_verb(change)}: pods in its zone lose their EFS volumes (I/O hangs) until it is back.",
        )
    elif change.type == "aws_security_group" and change.action in _LOSS and "efs" in f"{change.address} {_values(change).get('name', '')}".lower():
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"The EFS security group will be {_verb(change)}: every mount target loses NFS access while it is swapped.",
        )


def _statements(policy: Any) -> list[dict[str, Any]] | None:
    try:
        document = json.loads(policy) if isinstance(policy, str) else None
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict):
        return None
    listed = document.get("Statement") or []
    return [s for s in (listed if isinstance(listed, list) else [listed]) if isinstance(s, dict)]


def _content(statement: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in statement.items() if k != "Sid"}, sort_keys=True)


def _efs_policy(change: Change) -> Iterator[Risk]:
    """The file system policy (modules/storage/efs_policy.py) removed, or an update that drops or changes
    a Deny or adds or changes an Allow. Without a policy EFS applies its default one: full access,
    root included, to any client that reaches a mount target, TLS or not
    (https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html)."""
    if change.type != "aws_efs_file_system_policy":
        return
    if change.action in _LOSS:
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"The EFS file system policy will be {_verb(change)}: meanwhile EFS's default policy applies, which lets any client "
            "that reaches a mount target mount, write and act as root, without TLS and without an access point.",
        )
        return
    if change.action != "update" or not change.changed("policy"):
        return
    before, after = _statements(_values(change).get("policy")), _statements((change.after or {}).get("policy"))
    if before is None or after is None:
        return
    kept = {_content(s) for s in after}
    had = {_content(s) for s in before}
    dropped = [str(s.get("Sid") or _content(s)) for s in before if s.get("Effect") == "Deny" and _content(s) not in kept]
    granted = [str(s.get("Sid") or _content(s)) for s in after if s.get("Effect") == "Allow" and _content(s) not in had]
    if dropped or granted:
        what = "; ".join(
            part
            for part in (
                f"Deny statements dropped or changed: {', '.join(dropped)}" if dropped else "",
                f"Allow statements added or changed: {', '.join(granted)}" if granted else "",
            )
            if part
        )
        yield Risk(
            "medium",
            change.stack,
            change.address,
            f"The EFS file system policy is loosened ({what}): make sure it is meant; clients should still need TLS, a "
            "mount target and (unless storage.efs_require_access_point is false) an access point, and get no root access.",
        )


def _addon_data(change: Change) -> Iterator[Risk]:
    if change.type == "aws_s3_bucket" and change.action in _LOSS and "-addons-aws" in change.stack:
        name = _values(change).get("bucket") or change.address
        yield Risk("high", change.stack, change.address, f"Add-on bucket {name} will be {_verb(change)}: the data it holds (logs, traces) is lost.")


def _helm_release(change: Change) -> Iterator[Risk]:
    # A replacement reinstalls at once (and a major bump has its own rule); an uninstall stays.
    if change.type != "helm_release" or change.action != "destroy":
        return
    values = _values(change)
    chart, name = values.get("chart") or "", values.get("name") or change.address
    extra = _RELEASE_LOSS.get(str(chart)) or _RELEASE_LOSS.get(str(name)) or "everything the chart installed is deleted from the cluster"
    yield Risk("high", change.stack, change.address, f"Helm release {name} ({chart}) will be uninstalled: {extra}.")


_CHANGE_RULES = (_oidc_provider, _platform_role, _routes, _efs_access, _efs_policy, _addon_data, _helm_release)


def _access_entries(plan: StackPlan) -> Iterator[Risk]:
    entries = [c for c in plan.changes if c.type == "aws_eks_access_entry"]
    created = {str((c.after or {}).get("principal_arn")) for c in entries if c.action == "create"}
    for change in entries:
        principal = str((change.before or {}).get("principal_arn"))
        if change.action == "replace" or (change.action == "destroy" and principal in created):
            why = f"forced by {', '.join(change.replace_paths)}" if change.replace_paths else "its key changed, e.g. the list was reordered"
            yield Risk(
                "high",
                plan.name,
                change.address,
                f"The access entry of {principal} is deleted and created again ({why}): "
                "between the two that role cannot reach the cluster, and its policy associations are re-created.",
            )
        elif change.action == "destroy":
            yield Risk("medium", plan.name, change.address, f"The access entry of {principal} is removed: that role loses its access to the cluster.")


def _blocked(plan: StackPlan) -> Iterator[Risk]:
    if not plan.errored:
        return
    protected = [c for c in plan.changes if c.type in PROTECTED_TYPES and c.action in _LOSS]
    for change in protected:
        yield Risk(
            "high",
            plan.name,
            change.address,
            f"BLOCKED: {PROTECTED_TYPES[change.type]} `{change.address}` is protected (protect: true, prevent_destroy) and "
            f"this change would have it {_verb(change)}; Terraform refused the plan, nothing of {plan.name} can be applied. "
            "Change it so the resource is kept, or lift protect in a separate reviewed change first.",
        )
    if not protected:
        yield Risk("high", plan.name, plan.name, "The plan errored: it cannot be applied; read the plan log of this stack.")


def review(plans: Iterable[StackPlan]) -> list[Risk]:
    """Every risk these rules find in ``plans``."""
    risks: list[Risk] = []
    for plan in plans:
        risks += [r for change in plan.changes for rule in _CHANGE_RULES for r in rule(change)]
        risks += _access_entries(plan)
        risks += _blocked(plan)
    return risks
