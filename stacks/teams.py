"""``<env>-teams``: the Kubernetes side of the environment's teams (modules/teams/kubernetes.py), with
the kubernetes provider, and the helm provider for the SecretStores (CRD objects, applied the
way the project applies every CRD object: charts/manifests as a release).

Applied after ``<env>-addons`` (External Secrets' CRDs, the NetworkPolicy enforcer) and
``<env>-teams-aws`` (the role ARNs the service accounts carry). The providers authenticate like
the add-ons stack's: endpoint and CA from the cluster stack, a token from the ephemeral
``aws_eks_cluster_auth`` (modules/shared/cluster_token.py).
"""

from __future__ import annotations

import json

from cdktf import AssetType, Fn, TerraformAsset
from cdktf_cdktf_provider_helm.provider import HelmProvider
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.provider import KubernetesProvider
from constructs import Construct

from catalog.addons.external_secrets import ExternalSecrets
from environments.ci import role_arns
from environments.schema import EnvironmentConfig
from modules.cluster.eks import ClusterOutputs
from modules.shared.cluster_token import cluster_token
from modules.shared.release import MANIFESTS_CHART
from modules.teams.admission import tenancy_policies
from modules.teams.ci_plan_reader import CiPlanReader
from modules.teams.kubernetes import TeamKubernetes
from stacks.base import PlatformStack
from stacks.teams_aws import TeamsAwsOutputs


class TeamsStack(PlatformStack):
    def __init__(self, scope: Construct, env: EnvironmentConfig, *, cluster: ClusterOutputs, aws: TeamsAwsOutputs) -> None:
        super().__init__(scope, env, "teams")
        token = cluster_token(self, "cluster_auth", cluster.name)  # opened at apply as the applying role
        ca_certificate = Fn.base64decode(cluster.certificate_authority)
        connection = {"host": cluster.endpoint, "cluster_ca_certificate": ca_certificate, "token": token}
        KubernetesProvider(self, "kubernetes", host=cluster.endpoint, cluster_ca_certificate=ca_certificate, token=token)
        HelmProvider(self, "helm", kubernetes=connection)
        # The admission rules first: no team member is bound to a role before they hold.
        chart = TerraformAsset(self, "admission-chart", path=str(MANIFESTS_CHART), type=AssetType.DIRECTORY)
        admission = Release(
            self,
            "team-admission",
            name="team-admission",
            chart=chart.path,
            namespace=ExternalSecrets.namespace,  # the release record, beside the teams' SecretStore releases
            values=[json.dumps({"manifests": tenancy_policies(env)}, sort_keys=True)],
            wait=True,
        )
        namespaces = {}
        for name, team in env.teams.items():
            team_k8s = TeamKubernetes(
                self,
                f"team-{name}",
                env=env,
                name=name,
                team=team,
                public_subnet_cidrs=list(env.network.public_subnets),
                role_arns=aws.role_arns[name],
                secrets_role_arn=aws.secrets_role_arns[name],
                admission=admission,
            )
            namespaces.update(team_k8s.namespaces)
        if role_arns(env) is not None:  # the CI plan role refreshes this stack
            CiPlanReader(self, "ci-plan-reader", namespaces=namespaces)
