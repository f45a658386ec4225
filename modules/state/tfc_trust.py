"""What Terraform Cloud runs need to reach AWS without static keys (dynamic provider credentials).

https://developer.hashicorp.com/terraform/cloud-docs/workspaces/dynamic-provider-credentials/aws-configuration
A run's token names its phase in ``sub`` (``...:run_phase:plan`` or ``:apply``), and a workspace may
name one role per phase (``TFC_AWS_PLAN_ROLE_ARN``, ``TFC_AWS_APPLY_ROLE_ARN``): the plan role is
trusted for plans only (speculative plans of pull requests included), the apply role for applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from environments.state_backend import TfcDynamicCredentials
from modules.shared.iam import document


@dataclass(frozen=True)
class TfcTrustOutputs:
    plan_role_arn: str
    apply_role_arn: str
    oidc_provider_arn: str


def run_subject(organization: str, project: str, workspace: str, phase: str) -> str:
    """The ``sub`` claim of a run token of one named workspace in one run phase (plan or apply)."""
    return f"organization:{organization}:project:{project}:workspace:{workspace}:run_phase:{phase}"


class TfcTrust(Construct):
    """An IAM OIDC provider for the Terraform Cloud host (or a reference to the account's existing
    one) and two roles only runs of ``organization``/``project``/``workspaces`` can assume: one in
    their plan phase, one in their apply phase.

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
        roles = {}
        for phase, name, policies in (("plan", config.plan_role, config.plan_policy_arns), ("apply", config.role_name, config.policy_arns)):
            role = IamRole(
                self,
                "role" if phase == "apply" else "plan-role",  # the apply role keeps the former single role's ID
                name=name,
                description=f"Terraform Cloud {phase}s of {organization}/{project}/{', '.join(workspaces)}"[:1000],
                max_session_duration=3600,
                assume_role_policy=document(
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": provider_arn},
                        "Action": "sts:AssumeRoleWithWebIdentity",
                        "Condition": {
                            "StringEquals": {f"{host}:aud": config.audience},
                            "StringLike": {f"{host}:sub": [run_subject(organization, project, w, phase) for w in workspaces]},
                        },
                    }
                ),
            )
            for i, arn in enumerate(policies):
                # IDs by position, never from the ARN (construct IDs are not built from config values):
                # append new policies at the end of the list.
                IamRolePolicyAttachment(self, f"policy-{i}" if phase == "apply" else f"plan-policy-{i}", role=role.name, policy_arn=arn)
            roles[phase] = role.arn
        self.outputs = TfcTrustOutputs(plan_role_arn=roles["plan"], apply_role_arn=roles["apply"], oidc_provider_arn=provider_arn)
