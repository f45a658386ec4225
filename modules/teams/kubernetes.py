"""The Kubernetes side of one team, with the kubernetes provider: per namespace the namespace
itself (Pod Security Admission labels), a ResourceQuota, a LimitRange, NetworkPolicies,
RoleBindings of the team's groups, the service accounts with their IAM roles, and a SecretStore
that reads only the team's SSM path.

Rights are namespace-scoped by construction: only RoleBindings (never ClusterRoleBindings) to the
built-in ``admin``/``edit``/``view`` ClusterRoles, only in the team's own namespaces. SecretStores
are objects of an External Secrets CRD: like every CRD object of the project they are applied by
a second Helm release of ``charts/manifests`` (modules/shared/release.py), which Terraform can plan
before the CRD exists, unlike ``kubernetes_manifest``. That release is recorded in the External
Secrets namespace (Helm keeps a release as Secrets in its namespace): the CI plan role, which reads
release Secrets to refresh it, then reads none in a team's namespace (modules/cluster/grants.py).
"""

from __future__ import annotations

import json
from typing import Any

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.limit_range_v1 import LimitRangeV1, LimitRangeV1SpecLimit
from cdktf_cdktf_provider_kubernetes.namespace_v1 import NamespaceV1
from cdktf_cdktf_provider_kubernetes.network_policy_v1 import (
    NetworkPolicyV1,
    NetworkPolicyV1SpecEgress,
    NetworkPolicyV1SpecEgressPorts,
    NetworkPolicyV1SpecEgressTo,
    NetworkPolicyV1SpecIngress,
    NetworkPolicyV1SpecIngressFrom,
)
from cdktf_cdktf_provider_kubernetes.resource_quota_v1 import ResourceQuotaV1
from cdktf_cdktf_provider_kubernetes.role_binding_v1 import RoleBindingV1, RoleBindingV1Subject
from cdktf_cdktf_provider_kubernetes.service_account_v1 import ServiceAccountV1
from constructs import Construct

from catalog.addons.external_secrets import ExternalSecrets
from catalog.identity import IRSA_ANNOTATION, annotated
from environments.identity import team_identity
from environments.schema import EnvironmentConfig
from environments.team_rules import effective_limit_range, effective_quota
from environments.teams import (
    SECRET_STORE_SERVICE_ACCOUNT,
    TEAM_LABEL,
    Team,
    ssm_path,
    team_group,
)
from modules.shared.release import MANIFESTS_CHART

SECRET_STORE_NAME = "team-parameters"
RBAC_GROUP = "rbac.authorization.k8s.io"


def psa_labels(level: str, version: str) -> dict[str, str]:
    """Pod Security Admission: enforce the team's level, audit and warn at ``restricted`` so a
    ``baseline`` team sees what would not pass. Pinned to the cluster's minor version."""
    labels = {}
    for mode, lvl in (("enforce", level), ("audit", "restricted"), ("warn", "restricted")):
        labels[f"pod-security.kubernetes.io/{mode}"] = lvl
        labels[f"pod-security.kubernetes.io/{mode}-version"] = f"v{version}"
    return labels


def secret_store(env: EnvironmentConfig, team: str, namespace: str) -> dict[str, Any]:
    """A SecretStore in ``namespace`` authenticating as the namespace's ``secret-store`` service
    account (IRSA: the team's secrets role) with every key read under ``/<env>/<team>/``."""
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "SecretStore",
        "metadata": {"name": SECRET_STORE_NAME, "namespace": namespace},
        "spec": {
            "provider": {
                "aws": {
                    "service": "ParameterStore",
                    "region": env.region,
                    "prefix": f"{ssm_path(env, team)}/",
                    "auth": {"jwt": {"serviceAccountRef": {"name": SECRET_STORE_SERVICE_ACCOUNT}}},
                }
            }
        },
    }


class TeamKubernetes(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: EnvironmentConfig,
        name: str,
        team: Team,
        public_subnet_cidrs: list[str],
        role_arns: dict[str, str],
        secrets_role_arn: str,
        admission: Release | None = None,
    ) -> None:
        super().__init__(scope, id_)
        quota = effective_quota(env, team)
        limits = effective_limit_range(env, team)
        max_cpu, max_memory = limits.max_cpu, limits.max_memory
        assert max_cpu is not None and max_memory is not None  # effective_limit_range fills in both
        policy = team.network_policy
        namespaces: dict[str, NamespaceV1] = {}
        for ns in sorted(team.namespaces):
            namespace = NamespaceV1(
                self,
                f"ns-{ns}",
                metadata={"name": ns, "labels": {**psa_labels(team.pod_security, env.cluster.version), TEAM_LABEL: name}},
            )
            namespaces[ns] = namespace
            # Every namespaced object names its namespace through the resource, so Terraform
            # creates it after the namespace and deletes it before.
            meta = lambda object_name, ns=namespace.metadata.name: {"name": object_name, "namespace": ns}  # noqa: E731
            ResourceQuotaV1(
                self,
                f"quota-{ns}",
                metadata=meta("team-quota"),
                spec={
                    "hard": {
                        "requests.cpu": quota.requests_cpu,
                        "requests.memory": quota.requests_memory,
                        "limits.cpu": quota.limits_cpu,
                        "limits.memory": quota.limits_memory,
                        "pods": str(quota.pods),
                        "services.loadbalancers": str(quota.services_load_balancers),
                        "persistentvolumeclaims": str(quota.persistent_volume_claims),
                        "requests.storage": quota.requests_storage,
                    }
                },
            )
            LimitRangeV1(
                self,
                f"limits-{ns}",
                metadata=meta("team-limits"),
                spec={
                    "limit": [
                        LimitRangeV1SpecLimit(
                            type="Container",
                            default={"cpu": limits.default_cpu, "memory": limits.default_memory},
                            default_request={"cpu": limits.default_request_cpu, "memory": limits.default_request_memory},
                            max={"cpu": max_cpu, "memory": max_memory},
                        )
                    ]
                },
            )
            if policy.enabled:
                self._network_policies(ns, meta, policy, public_subnet_cidrs)
            for access, arns in team.members.items():
                if arns:
                    RoleBindingV1(
                        self,
                        f"rb-{ns}-{access}",
                        metadata=meta(f"team-{access}"),
                        role_ref={"api_group": RBAC_GROUP, "kind": "ClusterRole", "name": access},
                        subject=[RoleBindingV1Subject(kind="Group", name=team_group(name, access), api_group=RBAC_GROUP)],
                        depends_on=[admission] if admission is not None else None,
                    )
            ServiceAccountV1(
                self,
                f"sa-{ns}-{SECRET_STORE_SERVICE_ACCOUNT}",
                metadata={**meta(SECRET_STORE_SERVICE_ACCOUNT), "annotations": {IRSA_ANNOTATION: secrets_role_arn}},
            )
        for sa, identity in sorted(team.service_accounts.items()):
            # EKS Pod Identity needs no annotation: the association (teams-aws) names the service account.
            metadata: dict[str, Any] = {"name": sa, "namespace": namespaces[identity.namespace].metadata.name}
            if annotated(team_identity(env, name, sa)):
                metadata["annotations"] = {IRSA_ANNOTATION: role_arns[sa]}
            ServiceAccountV1(self, f"sa-{identity.namespace}-{sa}", metadata=metadata)
        self.namespaces = namespaces
        chart = TerraformAsset(self, "manifests-chart", path=str(MANIFESTS_CHART), type=AssetType.DIRECTORY)
        Release(
            self,
            "secret-stores",
            name=f"team-{name}-secret-stores",
            chart=chart.path,
            namespace=ExternalSecrets.namespace,  # the release record; each SecretStore names its namespace
            values=[json.dumps({"manifests": [secret_store(env, name, ns) for ns in sorted(team.namespaces)]}, sort_keys=True)],
            wait=True,
            depends_on=list(namespaces.values()),
        )

    def _network_policies(self, ns: str, meta: Any, policy: Any, public_subnet_cidrs: list[str]) -> None:
        # Lists of blocks are built from the struct classes: a plain dict inside a list reaches
        # jsii unconverted and its snake_case keys are dropped from the JSON.
        restricted = policy.egress == "restricted"
        NetworkPolicyV1(
            self,
            f"np-{ns}-default-deny",
            metadata=meta("default-deny"),
            spec={"pod_selector": {}, "policy_types": ["Ingress", "Egress"] if restricted else ["Ingress"]},
        )
        sources = [
            NetworkPolicyV1SpecIngressFrom(pod_selector={}),
            *(
                NetworkPolicyV1SpecIngressFrom(namespace_selector={"match_labels": {"kubernetes.io/metadata.name": other}})
                for other in policy.allow_from_namespaces
            ),
            # Load balancers of the AWS Load Balancer Controller reach pod IP targets from their
            # own addresses in the public subnets (internet-facing); others via allow_from_cidrs.
            *(NetworkPolicyV1SpecIngressFrom(ip_block={"cidr": c}) for c in (*public_subnet_cidrs, *policy.allow_from_cidrs)),
        ]
        NetworkPolicyV1(
            self,
            f"np-{ns}-allow-ingress",
            metadata=meta("allow-ingress"),
            spec={"pod_selector": {}, "policy_types": ["Ingress"], "ingress": [NetworkPolicyV1SpecIngress(from_=sources)]},
        )
        if not restricted:
            return
        dns = NetworkPolicyV1SpecEgress(
            to=[
                NetworkPolicyV1SpecEgressTo(
                    namespace_selector={"match_labels": {"kubernetes.io/metadata.name": "kube-system"}},
                    pod_selector={"match_labels": {"k8s-app": "kube-dns"}},
                )
            ],
            ports=[NetworkPolicyV1SpecEgressPorts(port="53", protocol=p) for p in ("UDP", "TCP")],
        )
        destinations = [
            NetworkPolicyV1SpecEgressTo(pod_selector={}),
            *(NetworkPolicyV1SpecEgressTo(ip_block={"cidr": c}) for c in policy.allow_egress_cidrs),
        ]
        NetworkPolicyV1(
            self,
            f"np-{ns}-allow-egress",
            metadata=meta("allow-egress"),
            spec={"pod_selector": {}, "policy_types": ["Egress"], "egress": [dns, NetworkPolicyV1SpecEgress(to=destinations)]},
        )
