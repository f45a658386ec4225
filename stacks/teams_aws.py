"""``<env>-teams-aws``: the AWS side of the environment's teams (IRSA roles, access entries,
Fargate profiles), one :class:`modules.teams.aws.TeamAws` per team.

Only the aws provider, so real Terraform validates, plans and applies it like every AWS stack
(the emulator too). Built only when the environment declares teams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from constructs import Construct

from catalog import names
from environments.schema import EnvironmentConfig
from environments.teams import team_fargate_profiles
from modules.cluster.eks import ClusterOutputs
from modules.network.vpc import NetworkOutputs
from modules.shared.fargate import FargateProfiles
from modules.teams.aws import TeamAws
from stacks.base import AwsStack


@dataclass(frozen=True)
class TeamsAwsOutputs:
    role_arns: dict[str, dict[str, str]] = field(default_factory=dict)  # team -> service account -> role ARN
    secrets_role_arns: dict[str, str] = field(default_factory=dict)  # team -> SecretStore role ARN


class TeamsAwsStack(AwsStack):
    def __init__(self, scope: Construct, env: EnvironmentConfig, *, network: NetworkOutputs, cluster: ClusterOutputs) -> None:
        super().__init__(scope, env, "teams-aws")
        roles: dict[str, dict[str, str]] = {}
        secrets: dict[str, str] = {}
        for name, team in env.teams.items():
            side = TeamAws(
                self,
                f"team-{name}",
                env=env,
                name=name,
                team=team,
                cluster_name=cluster.name,
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer=cluster.oidc_issuer,
                kms_key_arn=cluster.kms_key_arn,
            )
            roles[name] = side.role_arns
            secrets[name] = side.secrets_role_arn
        profiles = team_fargate_profiles(env)
        if profiles:
            FargateProfiles(
                self,
                "fargate",
                profiles=profiles,
                cluster_name=env.cluster_name,
                cluster_ref=cluster.name,
                account_id=env.account_id,
                region=env.region,
                subnet_ids=network.private_subnet_ids,
                role_name=names.teams_fargate_pod_role(env.cluster_name),
            )
        self.outputs = TeamsAwsOutputs(role_arns=roles, secrets_role_arns=secrets)
