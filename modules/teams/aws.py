"""The AWS side of one team: roles for its workloads (IRSA, EKS Pod Identity with its association,
or both: environments/identity.py) and an IRSA role for its SecretStores, EKS access entries
mapping its people to Kubernetes groups, and Fargate profiles for its Fargate namespaces.

Access is namespace-scoped by construction: an access entry here carries Kubernetes groups only,
never an EKS access policy (so no cluster-scope rights); the groups get rights through the
RoleBindings the teams stack creates in the team's own namespaces (modules/teams/kubernetes.py).
"""

from __future__ import annotations

from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from catalog.addons.external_secrets import parameter_read_statements
from environments.identity import team_identity
from environments.schema import EnvironmentConfig
from environments.teams import (
    SECRET_STORE_SERVICE_ACCOUNT,
    Team,
    secrets_role_name,
    ssm_path,
    team_group,
    workload_role_name,
)
from modules.shared.iam import Statement, document
from modules.shared.irsa import IrsaRole, irsa_trust_for


def parameter_statements(env: EnvironmentConfig, team: str, kms_key_arn: str) -> list[Statement]:
    """Read of the team's SSM parameters ``/<env>/<team>/*``, as for the add-on's own role."""
    return parameter_read_statements(sid="ReadTeamParameters", region=env.region, account_id=env.account_id, path=ssm_path(env, team), kms_key_arn=kms_key_arn)


class TeamAws(Construct):
    """``role_arns``: service account -> role ARN (token); ``secrets_role_arn``: the SecretStores' role."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: EnvironmentConfig,
        name: str,
        team: Team,
        cluster_name: str,
        oidc_provider_arn: str,
        oidc_issuer: str,
        kms_key_arn: str,
    ) -> None:
        super().__init__(scope, id_)
        statements = parameter_statements(env, name, kms_key_arn)
        self.role_arns: dict[str, str] = {}
        for sa, identity in sorted(team.service_accounts.items()):
            role = IrsaRole(
                self,
                f"sa-{sa}",
                name=workload_role_name(env, name, sa),
                oidc_provider_arn=oidc_provider_arn,
                oidc_issuer=oidc_issuer,
                namespace=identity.namespace,
                service_account=sa,
                statements=statements,
                managed_policy_arns=identity.managed_policy_arns,
                identity=team_identity(env, name, sa),
                cluster_name=env.cluster_name,
                cluster_ref=cluster_name,
            )
            self.role_arns[sa] = role.arn
        secrets_name = secrets_role_name(env, name)
        secrets = IamRole(
            self,
            "secrets-role",
            name=secrets_name,
            description=f"SecretStores of team {name} (service account {SECRET_STORE_SERVICE_ACCOUNT} in each team namespace)",
            assume_role_policy=irsa_trust_for(
                oidc_provider_arn=oidc_provider_arn,
                oidc_issuer=oidc_issuer,
                subjects=[(ns, SECRET_STORE_SERVICE_ACCOUNT) for ns in sorted(team.namespaces)],
            ),
        )
        IamRolePolicy(self, "secrets-policy", name=secrets_name, role=secrets.id, policy=document(*statements))
        self.secrets_role_arn: str = secrets.arn
        # Keyed by access level, account and role name, so reordering the lists changes nothing.
        for access, arns in team.members.items():
            for arn in arns:
                account, role_name = arn.split(":")[4], arn.rsplit("/", 1)[-1]
                EksAccessEntry(
                    self,
                    f"access-{access}-{account}-{role_name}",
                    cluster_name=cluster_name,
                    principal_arn=arn,
                    type="STANDARD",
                    kubernetes_groups=[team_group(name, access)],
                )
