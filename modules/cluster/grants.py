"""Who gets which access to the cluster: the configured access entries and the CI roles.

The creator's hidden admin (``bootstrap_cluster_creator_admin_permissions``) is off
(modules/cluster/eks.py); admin is always an explicit access entry instead.

CI roles (``ci:``, roles created by the state stack, ARNs from ``environments.ci.role_arns``):

* apply role: ``AmazonEKSClusterAdminPolicy`` on the cluster (it installs CRDs, cluster roles,
  webhooks and namespaces);
* plan role: ``AmazonEKSAdminViewPolicy`` on the namespaces holding Helm releases. Refreshing a
  ``helm_release`` reads Helm's release Secrets (``sh.helm.release.v1.<name>.v<n>``, listed by the
  labels ``owner=helm,name=<release>`` in the release namespace); ``AmazonEKSViewPolicy`` leaves
  Secrets out, AdminView is the smallest EKS access policy that reads them, and scoped to the
  release namespaces it reads nobody else's. The teams' releases live in the External Secrets
  namespace (modules/teams/kubernetes.py), so no team namespace is among them.
  https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
  With teams, its entry also carries the group ``PLAN_GROUP``, which modules/teams/ci_plan_reader.py
  binds to read exactly what ``<env>-teams`` refreshes: the team namespaces (cluster-scoped) and the
  quotas, limit ranges, network policies, role bindings and service accounts in them.
"""

from __future__ import annotations

from environments.ci import PLAN_GROUP, role_arns
from environments.schema import EnvironmentConfig
from modules.cluster.access_entries import Grant, grant


def release_namespaces(env: EnvironmentConfig) -> tuple[str, ...]:
    """Namespaces of the Helm releases of ``<env>-addons`` (every enabled add-on, Karpenter's when it
    is the autoscaler); tests/stacks/test_access.py holds this to the synthesized releases."""

    namespaces = {addon.namespace for addon, _ in env.enabled_addons}
    if getattr(env.cluster, "autoscaler", None) == "karpenter":
        from catalog.karpenter.addon import NAMESPACE

        namespaces.add(NAMESPACE)
    return tuple(sorted(namespaces))


def cluster_grants(env: EnvironmentConfig) -> list[Grant]:
    """``cluster.access_entries`` (each with its old list position, for the move to role keys),
    then the CI roles."""
    grants = [grant(entry, i) for i, entry in enumerate(env.cluster.access_entries)]
    arns = role_arns(env)
    if arns:
        plan, apply = arns
        grants.append(Grant(apply, "AmazonEKSClusterAdminPolicy"))
        namespaces = release_namespaces(env)
        if namespaces:
            groups = (PLAN_GROUP,) if env.teams else ()
            grants.append(Grant(plan, "AmazonEKSAdminViewPolicy", namespaces, kubernetes_groups=groups))
    return grants
