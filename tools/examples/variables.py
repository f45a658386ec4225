"""Where the examples land in an environment and the values of their ``${VARIABLE}`` placeholders.

The examples go to a team namespace: ``namespace`` when given (it must be a team's), else the
first team (by name) enforcing ``restricted`` that has a namespace with a workload service
account. Every value comes from the environment's config and the objects its add-ons render
(the IngressClass, the StorageClasses), never from a copy kept here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog.addons.aws_ebs_csi_driver import DEFAULT_STORAGE_CLASS
from catalog.addons.aws_efs_csi_driver import STORAGE_CLASS as EFS_STORAGE_CLASS
from environments.schema import EnvironmentConfig
from environments.teams import ssm_path
from tools.examples.catalog import Example

SECRET_STORE = "team-parameters"  # modules/teams/kubernetes.py SECRET_STORE_NAME (its floor is below: a copy checked by a test)
ALB_CONTROLLER = "ingress.k8s.aws/alb"
EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}


class TargetError(ValueError):
    pass


@dataclass
class Target:
    env: EnvironmentConfig
    team: str
    namespace: str
    fargate_namespace: str | None
    variables: dict[str, str] = field(default_factory=dict)
    spot: bool = False

    def applies(self, example: Example) -> str | None:
        """None when the example applies here, else why not."""
        missing = [a for a in example.needs_addons if a not in self.env.addons]
        if missing:
            return f"needs add-on(s) {', '.join(missing)}"
        if "fargate" in example.needs and not self.fargate_namespace:
            return f"team {self.team} has no Fargate namespace"
        if "spot" in example.needs and not self.spot:
            return "no spot capacity (node group or Karpenter pool) with a taint"
        if "efs" in example.needs and not self.env.storage.efs:
            return "storage.efs is off"
        return None

    def namespace_of(self, example: Example) -> str:
        return self.fargate_namespace if example.namespace == "fargate" and self.fargate_namespace else self.namespace


def _spot(env: EnvironmentConfig) -> tuple[dict[str, str], dict[str, str]] | None:
    """(labels, taint) of the environment's spot capacity: a SPOT node group or a Karpenter spot pool."""
    for group in env.cluster.node_groups.values():
        if group.capacity == "SPOT" and group.taints:
            taint = group.taints[0]
            return dict(group.labels), {"key": taint.key, "value": taint.value, "effect": EFFECTS[taint.effect]}
    karpenter = getattr(env, "karpenter", None)
    for pool in karpenter.node_pools.values() if karpenter else ():
        if "spot" in pool.capacity_types and pool.taints:
            taint = pool.taints[0]
            return dict(pool.labels), {"key": taint.key, "value": taint.value, "effect": EFFECTS[taint.effect]}
    return None


def choose_target(env: EnvironmentConfig, rendered_objects: list[dict[str, Any]], namespace: str | None = None) -> Target:
    teams = env.teams
    if not teams:
        raise TargetError(f"{env.name}: no teams: the examples run in a team namespace (environments/{env.name}.yaml teams:)")
    owner = {ns: (name, team) for name, team in sorted(teams.items()) for ns in team.namespaces}
    if namespace is not None:
        if namespace not in owner:
            raise TargetError(f"{env.name}: namespace {namespace!r} is not a team namespace; team namespaces: {sorted(owner)}")
        name, team = owner[namespace]
    else:
        candidates = [
            (name, team, ns)
            for name, team in sorted(teams.items())
            if team.pod_security == "restricted"
            for ns in sorted(team.namespaces)
            if not team.namespaces[ns].fargate and any(sa.namespace == ns for sa in team.service_accounts.values())
        ]
        if not candidates:
            raise TargetError(f"{env.name}: no restricted team namespace with a service account (teams.<team>.service_accounts)")
        name, team, namespace = candidates[0]
    accounts = sorted(sa for sa, spec in team.service_accounts.items() if spec.namespace == namespace)
    fargate = next((ns for ns in sorted(team.namespaces) if team.namespaces[ns].fargate), None)
    ingress_class = next(
        (o["metadata"]["name"] for o in rendered_objects if o.get("kind") == "IngressClass" and (o.get("spec") or {}).get("controller") == ALB_CONTROLLER),
        "alb",
    )
    spot = _spot(env)
    labels, taint = spot or ({}, {"key": "", "value": "", "effect": "NoSchedule"})
    label_key, label_value = next(iter(labels.items()), ("", ""))
    variables = {
        "NAMESPACE": namespace,
        "TEAM": name,
        "DOMAIN": env.dns.domain if env.dns else "example.invalid",
        "REGION": env.region,
        "SERVICE_ACCOUNT": accounts[0] if accounts else "default",
        "SSM_PATH": ssm_path(env, name),
        "SECRET_STORE": SECRET_STORE,
        "INGRESS_CLASS": ingress_class,
        "EBS_CLASS": DEFAULT_STORAGE_CLASS,
        "EFS_CLASS": EFS_STORAGE_CLASS,
        "SPOT_LABEL_KEY": label_key,
        "SPOT_LABEL_VALUE": label_value,
        "SPOT_TAINT_KEY": taint["key"],
        "SPOT_TAINT_VALUE": taint["value"],
        "SPOT_TAINT_EFFECT": taint["effect"],
    }
    return Target(env, name, namespace, fargate, variables, spot=spot is not None)
