"""Kubernetes RBAC that lets the CI plan role refresh ``<env>-teams``, and nothing more.

A plan refreshes every resource of the stack: the kubernetes provider GETs each object by name,
the helm provider lists the release's Secrets. The plan role's EKS access policy (AdminView on the
release namespaces, modules/cluster/grants.py) covers the releases; its access entry also carries
the group ``PLAN_GROUP``, bound here to:

* in each team namespace (RoleBinding to a ClusterRole): get/list/watch of the kinds the teams
  stack manages there: ResourceQuota, LimitRange, ServiceAccount (core), NetworkPolicy
  (networking.k8s.io), RoleBinding (rbac.authorization.k8s.io). No Secrets, no workloads.
* cluster-wide (ClusterRoleBinding): get of the team Namespace objects by name, and of this
  module's own ClusterRoles and ClusterRoleBinding (the plan refreshes them too).

Kinds and API groups: the Kubernetes API reference (v1.32+):
https://kubernetes.io/docs/reference/generated/kubernetes-api/v1.32/
"""

from __future__ import annotations

from collections.abc import Mapping

from cdktf_cdktf_provider_kubernetes.cluster_role_binding_v1 import ClusterRoleBindingV1, ClusterRoleBindingV1Subject
from cdktf_cdktf_provider_kubernetes.cluster_role_v1 import ClusterRoleV1, ClusterRoleV1Rule
from cdktf_cdktf_provider_kubernetes.namespace_v1 import NamespaceV1
from cdktf_cdktf_provider_kubernetes.role_binding_v1 import RoleBindingV1, RoleBindingV1Subject
from constructs import Construct

from environments.ci import PLAN_GROUP
from modules.teams.kubernetes import RBAC_GROUP

NAMESPACED_ROLE = "platform:ci-plan-team-read"
CLUSTER_ROLE = "platform:ci-plan-cluster-read"
READ = ["get", "list", "watch"]
# API group -> resources the teams stack manages inside a team namespace (modules/teams/kubernetes.py).
NAMESPACED_KINDS = {
    "": ["limitranges", "resourcequotas", "serviceaccounts"],
    "networking.k8s.io": ["networkpolicies"],
    RBAC_GROUP: ["rolebindings"],
}


class CiPlanReader(Construct):
    def __init__(self, scope: Construct, id_: str, *, namespaces: Mapping[str, NamespaceV1]) -> None:
        super().__init__(scope, id_)
        subject = {"kind": "Group", "name": PLAN_GROUP, "api_group": RBAC_GROUP}
        team_read = ClusterRoleV1(
            self,
            "team-read",
            metadata={"name": NAMESPACED_ROLE},
            rule=[ClusterRoleV1Rule(api_groups=[group], resources=kinds, verbs=READ) for group, kinds in NAMESPACED_KINDS.items()],
        )
        for ns, namespace in sorted(namespaces.items()):
            RoleBindingV1(
                self,
                f"read-{ns}",
                metadata={"name": "ci-plan-read", "namespace": namespace.metadata.name},
                role_ref={"api_group": RBAC_GROUP, "kind": "ClusterRole", "name": team_read.metadata.name},
                subject=[RoleBindingV1Subject(**subject)],
            )
        ClusterRoleV1(
            self,
            "cluster-read",
            metadata={"name": CLUSTER_ROLE},
            rule=[
                ClusterRoleV1Rule(api_groups=[""], resources=["namespaces"], resource_names=sorted(namespaces), verbs=["get"]),
                ClusterRoleV1Rule(api_groups=[RBAC_GROUP], resources=["clusterroles"], resource_names=[NAMESPACED_ROLE, CLUSTER_ROLE], verbs=["get"]),
                ClusterRoleV1Rule(api_groups=[RBAC_GROUP], resources=["clusterrolebindings"], resource_names=[CLUSTER_ROLE], verbs=["get"]),
            ],
        )
        ClusterRoleBindingV1(
            self,
            "cluster-read-binding",
            metadata={"name": CLUSTER_ROLE},
            role_ref={"api_group": RBAC_GROUP, "kind": "ClusterRole", "name": CLUSTER_ROLE},
            subject=[ClusterRoleBindingV1Subject(**subject)],
        )
