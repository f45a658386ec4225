"""The report's core risk rules over one change or the whole plan: loss of what the platform
cannot do without (cluster, node groups, network, EFS, state bucket, keys), IRSA trust, admin
access, Helm majors, node rolls, Karpenter drift, CRDs, unmanaged state, the support window.
The themed rule sets (hardening, identity, upgrades, manifests) live in their own modules."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any, TypeGuard

from tools.review import manifests
from tools.review.crds import crd_risks
from tools.review.karpenter import node_replacements
from tools.review.plan import (
    Change,
    Risk,
    StackPlan,
    StateWithoutStack,
)

# Resources whose loss takes the platform (or its data) down: (type, what it is in plain words).
_CRITICAL: dict[str, str] = {
    "aws_eks_cluster": "the EKS cluster (every workload, node and in-cluster object goes with it; the API endpoint and the IRSA OIDC issuer change)",
    "aws_eks_node_group": "a node group (its nodes are drained and terminated; pods without room elsewhere go Pending)",
    "aws_vpc": "the VPC (everything in it, the cluster included, must go first)",
    "aws_subnet": "a subnet (the cluster, nodes, load balancers and EFS mount targets in it lose their network)",
    "aws_nat_gateway": "a NAT gateway (private nodes lose outbound internet: image pulls and AWS APIs fail until it is back; its public IP changes)",
    "aws_efs_file_system": "the EFS file system (its data is lost; every persistent volume on it breaks)",
}
_NODE_ROLLING_ATTRIBUTES = ("version", "release_version", "ami_type", "instance_types", "launch_template", "capacity_type", "disk_size")
_ADMIN_POLICY = re.compile(r":cluster-access-policy/AmazonEKSClusterAdminPolicy$")


# --- risk rules ----------------------------------------------------------------------------------


def _critical_loss(change: Change) -> Iterator[Risk]:
    what = _CRITICAL.get(change.type)
    if what is None or change.action not in ("replace", "destroy"):
        return
    verb = (
        ("replaced (the new one is created and ready first, then the old one destroyed)" if change.create_first else "replaced (destroyed, then created again)")
        if change.action == "replace"
        else "destroyed"
    )
    why = f" because {', '.join(change.replace_paths)} changed" if change.replace_paths else ""
    yield Risk("high", change.stack, change.address, f"{what[0].upper()}{what[1:]} will be {verb}{why}.")


def _is_state_bucket(change: Change) -> bool:
    for values in (change.before, change.after):
        tags = (values or {}).get("tags_all") or (values or {}).get("tags") or {}
        if isinstance(tags, dict) and tags.get("platform-layer") == "state":
            return True
    return "state-bucket" in change.address or change.stack.endswith("-state")


def _state_bucket(change: Change) -> Iterator[Risk]:
    if change.type == "aws_s3_bucket" and change.action in ("replace", "destroy") and _is_state_bucket(change):
        name = (change.before or {}).get("bucket", "?")
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"The Terraform state bucket {name} will be {'replaced' if change.action == 'replace' else 'destroyed'}: "
            "every stack of the environment keeps its state there.",
        )


def _kms(change: Change) -> Iterator[Risk]:
    if change.type != "aws_kms_key" or change.action not in ("replace", "destroy"):
        return
    days = (change.before or {}).get("deletion_window_in_days") or 30
    alias = (change.before or {}).get("description") or change.address
    yield Risk(
        "high",
        change.stack,
        change.address,
        f'KMS key "{alias}" will be scheduled for deletion (in {days} days). Whatever it encrypts '
        "(Kubernetes Secrets, EFS, logs, state) becomes unreadable once it is deleted.",
    )


def _cluster_encryption(change: Change) -> Iterator[Risk]:
    if change.type == "aws_eks_cluster" and change.action in ("update", "replace") and change.changed("encryption_config"):
        yield Risk(
            "high",
            change.stack,
            change.address,
            "The cluster's Secrets encryption configuration changes (EKS cannot remove or switch the key in place).",
        )


def _web_identity(policy: Any) -> TypeGuard[str]:
    return isinstance(policy, str) and "AssumeRoleWithWebIdentity" in policy


def _irsa_trust(change: Change) -> Iterator[Risk]:
    if change.type != "aws_iam_role" or change.action == "create":
        return
    from tools.review.identity import trust_change  # a move between IRSA and EKS Pod Identity: judged there

    if trust_change(change) is not None:
        return
    before = (change.before or {}).get("assume_role_policy")
    if not _web_identity(before):
        return
    if change.action == "destroy" or change.changed("assume_role_policy"):
        kind = "IRSA" if "system:serviceaccount:" in before else "OIDC web-identity"
        name = (change.before or {}).get("name", change.address)
        what = "is removed" if change.action == "destroy" else "changes"
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"The {kind} trust policy of role {name} {what}: pods (or runs) that assume it may lose their AWS access.",
        )


def admin_access(plans: Iterable[StackPlan]) -> Iterator[Risk]:
    for plan in plans:
        associations = [c for c in [*plan.changes, *plan.unchanged] if c.type == "aws_eks_access_policy_association"]

        def admin(values: Any) -> bool:
            return bool(_ADMIN_POLICY.search(str((values or {}).get("policy_arn", ""))))

        before = [c for c in associations if admin(c.before)]
        after = [c for c in associations if c.action != "destroy" and (admin(c.after) or (c.action == "no-op" and admin(c.before)))]
        if before and not after:
            yield Risk(
                "high",
                plan.name,
                ", ".join(c.address for c in before),
                "The last cluster-admin access entry is removed: nobody managed by Terraform can administer "
                "the cluster afterwards (only the cluster creator's bootstrap access, if it was kept).",
            )


def _semver_major(version: Any) -> int | None:
    match = re.match(r"^v?(\d+)\.", str(version or ""))
    return int(match.group(1)) if match else None


def _helm_major(change: Change) -> Iterator[Risk]:
    if change.type != "helm_release" or change.action not in ("update", "replace"):
        return
    old, new = (change.before or {}).get("version"), (change.after or {}).get("version")
    old_major, new_major = _semver_major(old), _semver_major(new)
    if old_major is not None and new_major is not None and new_major > old_major:
        chart = (change.after or {}).get("chart") or (change.before or {}).get("chart") or change.address
        yield Risk(
            "high",
            change.stack,
            change.address,
            f"Helm chart {chart} moves to a new major version ({old} -> {new}): read its upgrade notes, values and CRDs may have changed.",
        )


def _node_group_roll(change: Change) -> Iterator[Risk]:
    if change.type != "aws_eks_node_group" or change.action != "update":
        return
    rolling = [a for a in _NODE_ROLLING_ATTRIBUTES if change.changed(a)]
    if rolling:
        yield Risk(
            "medium",
            change.stack,
            change.address,
            f"Node group nodes are replaced one batch at a time ({', '.join(rolling)} changes): expect pod evictions.",
        )


def _karpenter_drift(change: Change) -> Iterator[Risk]:
    yield from (Risk(level, change.stack, change.address, message) for level, message in node_replacements(change))


def _crds(change: Change) -> Iterator[Risk]:
    yield from (Risk(level, change.stack, change.address, message) for level, message in crd_risks(change))


def _helm_objects(change: Change) -> Iterator[Risk]:
    yield from (Risk("high", change.stack, change.address, message) for message in manifests.high_risks(change))


CHANGE_RULES = (_critical_loss, _state_bucket, _kms, _cluster_encryption, _irsa_trust, _helm_major, _node_group_roll, _karpenter_drift, _crds, _helm_objects)


def unmanaged(states: Iterable[StateWithoutStack]) -> Iterator[Risk]:
    for s in states:
        if s.resources:
            yield Risk(
                "high",
                s.stack,
                s.state,
                f"Stack {s.stack} is no longer synthesized; its {s.resources} {'resources stay' if s.resources != 1 else 'resource stays'} "
                "in AWS unmanaged — destroy it first or keep it.",
            )


def support_window(plans: Iterable[StackPlan], today: date) -> Iterator[Risk]:
    """A cluster whose planned Kubernetes minor is past EKS standard support on ``today``, unless
    its upgrade policy chose extended support (catalog/eks_versions.py holds the calendar)."""
    from catalog.eks_versions import support_warning

    for plan in plans:
        for change in [*plan.changes, *plan.unchanged]:
            if change.type != "aws_eks_cluster" or change.action == "destroy":
                continue
            after = change.after or {}
            policy = (after.get("upgrade_policy") or [{}])[0] or {}
            warning = support_warning(str(after.get("version")), policy.get("support_type"), today=today)
            if warning:
                yield Risk("medium", change.stack, change.address, warning)
