"""Which identity each workload service account of an environment uses, chosen from where its pods
can run, and the rules that keep a choice from leaving a pod without credentials.

A service account is *Fargate-reachable* when a Fargate profile of the environment (one of
``cluster.fargate_profiles``, or a team namespace with ``fargate: true``) has a selector for its
namespace. A selector with labels puts on Fargate every pod of the namespace that carries all of
them (EKS API reference, ``FargateProfileSelector``: "A pod must contain all of the labels that are
specified in the selector for it to be considered a match"). Which labels the pods using a service
account carry is up to whoever writes them (a team's manifests, a chart's ``podLabels``), not
something this config knows or enforces, so a selector for the namespace makes its service
accounts reachable whatever its labels.

EKS Pod Identity does not work on Fargate (it needs the ``eks-pod-identity-agent`` DaemonSet, and
Fargate runs no DaemonSets: EKS User Guide, Pod Identity considerations and Fargate
considerations), so:

- a reachable service account uses ``irsa`` unless it says ``both``; ``pod_identity`` or
  ``handover`` (no annotation) is an error naming the profile that selects it;
- every other service account uses ``identity_default`` unless it says otherwise: ``pod_identity``
  for a new environment; an environment that ran on IRSA moves through ``both`` and ``handover``
  (docs/upgrades.md, "IRSA to EKS Pod Identity").

Not here: the team SecretStores' service account (``secret-store``) is always IRSA. External
Secrets' ``jwt`` auth requests a token for it and calls ``AssumeRoleWithWebIdentity`` itself; no pod
runs as it, so an association would never be used. Karpenter's controller keeps IRSA too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from catalog.identity import Identity, annotated

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig


@dataclass(frozen=True)
class WorkloadServiceAccount:
    """One service account with a role: where it is declared and what it asked for."""

    field: str  # the config path that declares it: ``addons.<name>`` or ``teams.<team>.service_accounts.<sa>``
    namespace: str
    name: str
    requested: Identity | None
    identity: Identity  # what it uses


def fargate_selectors(env: EnvironmentConfig, namespace: str) -> list[str]:
    """The config fields of the Fargate profiles that select pods of ``namespace`` (empty: none)."""
    found = [
        f"cluster.fargate_profiles.{key}.selectors.{i}"
        for key, profile in env.cluster.fargate_profiles.items()
        for i, selector in enumerate(profile.selectors)
        if selector.namespace == namespace
    ]
    found += [
        f"teams.{team}.namespaces.{namespace}.fargate"
        for team, spec in env.teams.items()
        if namespace in spec.namespaces and spec.namespaces[namespace].fargate
    ]
    return found


def _identity(env: EnvironmentConfig, namespace: str, requested: Identity | None) -> Identity:
    if requested is not None:
        return requested
    return "irsa" if fargate_selectors(env, namespace) else env.identity_default


def workload_service_accounts(env: EnvironmentConfig) -> list[WorkloadServiceAccount]:
    """Every service account of ``env`` that gets a role of its own, with the identity it uses."""
    found = []
    for addon, options in env.enabled_addons:
        sa = addon.service_account
        if sa is not None and addon.uses_role(options):
            requested = options.identity
            found.append(WorkloadServiceAccount(f"addons.{addon.name}", addon.namespace, sa.name, requested, _identity(env, addon.namespace, requested)))
    for team, spec in env.teams.items():
        for name, declared in sorted(spec.service_accounts.items()):
            where = f"teams.{team}.service_accounts.{name}"
            found.append(WorkloadServiceAccount(where, declared.namespace, name, declared.identity, _identity(env, declared.namespace, declared.identity)))
    return found


def addon_identity(env: EnvironmentConfig, addon_name: str) -> Identity:
    """The identity of an enabled add-on's service account (``irsa`` for one without a role: unused)."""
    return next((sa.identity for sa in workload_service_accounts(env) if sa.field == f"addons.{addon_name}"), "irsa")


def team_identity(env: EnvironmentConfig, team: str, service_account: str) -> Identity:
    """The identity of a team's workload service account."""
    where = f"teams.{team}.service_accounts.{service_account}"
    return next(sa.identity for sa in workload_service_accounts(env) if sa.field == where)


def identity_problems(env: EnvironmentConfig) -> list[tuple[str, str]]:
    """(field, message) for each identity that would leave pods without credentials or means nothing."""
    problems: list[tuple[str, str]] = []
    for addon, options in env.enabled_addons:
        if options.identity is not None and not (addon.service_account is not None and addon.uses_role(options)):
            problems.append((f"addons.{addon.name}.identity", f"add-on {addon.name!r} has no AWS role with these options; leave identity out"))
    for sa in workload_service_accounts(env):
        if sa.requested is not None and not annotated(sa.requested):
            selectors = fargate_selectors(env, sa.namespace)
            if selectors:
                problems.append(
                    (
                        f"{sa.field}.identity",
                        f"{sa.requested}, but {selectors[0]} puts pods of namespace {sa.namespace!r} on Fargate, where EKS Pod Identity "
                        "does not work (no eks-pod-identity-agent there) and pods without the IRSA annotation get no credentials; "
                        "use irsa, or both while migrating",
                    )
                )
    return problems
