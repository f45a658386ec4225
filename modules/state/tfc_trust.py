"""What Terraform Cloud runs need to reach AWS without static keys (dynamic provider credentials).

https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/aws-configuration
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from environments.schema import TfcDynamicCredentials
from modules.shared.iam import document


@dataclass(frozen=True)
class TfcTrustOutputs:
    role_arn: str
    oidc_provider_arn: str


def run_subject(organization: str, project: str, workspace: str) -> str:
    """The ``sub`` claim pattern of a run token: any run phase (plan or apply) of one named workspace."""
    return f"organization:{organization}:project:{project}:workspace:{workspace}:run_phase:*"


class TfcTrust(Construct):
    """An IAM OIDC provider for the Terraform Cloud host (or a reference to the account's existing
    one) and a role only runs of ``organization``/``project``/``workspaces`` can assume.

    The trust conditions on both the audience and the subject: without ``:sub`` any organization's
    runs on the same host could assume the role. Workspaces are matched by exact name, never by a
    prefix pattern: ``platform-prod-*`` would also admit a later ``prod-dr`` environment's workspaces
    (``platform-prod-dr-network``).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: TfcDynamicCredentials,
        hostname: str,
        organization: str,
        project: str,
        workspaces: list[str],
        account_id: str,
    ) -> None:
        super().__init__(scope, id_)
        host = hostname.split(":", 1)[0]
        if config.create_oidc_provider:
            provider_arn = IamOpenidConnectProvider(self, "oidc", url=f"https://{host}", client_id_list=[config.audience], tags={"Name": f"{host}-oidc"}).arn
        else:
            provider_arn = f"arn:aws:iam::{account_id}:oidc-provider/{host}"
        role = IamRole(
            self,
            "role",
            name=config.role_name,
            description=f"Terraform Cloud runs of {organization}/{project}/{', '.join(workspaces)}"[:1000],
            max_session_duration=3600,
            assume_role_policy=document(
                {
                    "Effect": "Allow",
                    "Principal": {"Federated": provider_arn},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {
                        "StringEquals": {f"{host}:aud": config.audience},
                        "StringLike": {f"{host}:sub": [run_subject(organization, project, w) for w in workspaces]},
                    },
                }
            ),
        )
        for i, arn in enumerate(config.policy_arns):
            # IDs by position, never from the ARN (construct IDs are not built from config values):
            # append new policies at the end of the list.
            IamRolePolicyAttachment(self, f"policy-{i}", role=role.name, policy_arn=arn)
        self.outputs = TfcTrustOutputs(role_arn=role.arn, oidc_provider_arn=provider_arn)
