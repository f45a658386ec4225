"""What GitHub Actions needs to plan and apply an environment without stored keys: the account's
GitHub OIDC provider and two roles (environments/ci.py, config ``ci:``).

Trust (https://docs.github.com/actions/security-for-github-actions/security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services):
the audience is ``sts.amazonaws.com`` and the subject is matched exactly. The repository's OIDC
subject template must include the ``ref`` claim (``repo``, ``context``, ``ref``; one ``gh api``
call, docs/getting-started.md), so a subject names repository, context and branch:

* pull-request plan role (``<env>-github-pr-plan``): ``repo:<repo>:pull_request:ref:refs/pull/<n>/merge``
  (any pull request of the repository: its code is untrusted);
* plan role: only ``repo:<repo>:ref:refs/heads/<branch>:ref:refs/heads/<branch>`` (the deploy
  workflow's plan job on a push to ``branch``, which runs outside any GitHub environment);
* apply role: only ``repo:<repo>:environment:<env>:ref:refs/heads/<branch>``: a job in the GitHub
  environment ``<env>`` (its required reviewers) running from ``branch``. Without the ``ref`` claim a
  workflow on any branch that names the environment would match.

Permissions:

* plan and pull-request plan: AWS ``ReadOnlyAccess`` (a refresh reads every resource type the
  stacks hold) plus ``kms:Decrypt`` on the state key, which ``ReadOnlyAccess`` does not grant and
  without which no state object can be read; plans run with ``-lock=false``, so no write anywhere.
  Only the plan role has a cluster access entry (modules/cluster/grants.py): refreshing a Helm
  release lists every Secret of its namespace, kube-system's Sealed Secrets key included, so the
  pull-request plan role has none (the cluster authenticates access entries only) and pull requests
  plan the Kubernetes stacks from state, without refresh (``tools.delivery plan --no-cluster-refresh``).
* apply: the services the platform's stacks manage (EC2/VPC, EKS, IAM, KMS, CloudWatch Logs, EFS,
  S3, SQS, EventBridge, AWS Backup) and reads it needs (STS, SSM public parameters, Route 53,
  Auto Scaling), nothing else (no Organizations, billing, IAM users or access keys).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog import names
from environments.ci import CiConfig, role_names
from modules.shared.checkov import skip
from modules.shared.iam import document
from modules.state.boundary import boundary_statements

HOST = "token.actions.githubusercontent.com"
AUDIENCE = "sts.amazonaws.com"

# The services the stacks of an environment create and change (stacks/*.py, modules/*.py).
APPLY_SERVICES = ("ec2", "eks", "kms", "logs", "elasticfilesystem", "s3", "sqs", "events", "backup", "backup-storage")
APPLY_READS = ("sts:GetCallerIdentity", "ssm:GetParameter", "ssm:GetParameters", "route53:Get*", "route53:List*", "autoscaling:Describe*")
# IAM as the stacks use it: roles, their policies, instance profiles, OIDC providers, service-linked
# roles (EKS, node groups, EFS create theirs on first use). No users, groups or access keys.
APPLY_IAM = (
    "iam:*Role",
    "iam:*RolePolicy",
    "iam:*RolePolicies",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:ListRoleTags",
    "iam:UpdateAssumeRolePolicy",
    "iam:PassRole",
    "iam:ListRoles",
    "iam:ListAttachedRolePolicies",
    "iam:ListInstanceProfilesForRole",
    "iam:*Policy",
    "iam:*PolicyVersion*",
    "iam:ListPolicyVersions",
    "iam:TagPolicy",
    "iam:UntagPolicy",
    "iam:ListPolicies",
    "iam:*InstanceProfile*",
    "iam:*OpenIDConnectProvider*",
    "iam:CreateServiceLinkedRole",
)


@dataclass(frozen=True)
class GithubCiOutputs:
    plan_role_arn: str
    pr_plan_role_arn: str
    apply_role_arn: str
    oidc_provider_arn: str


def plan_subjects(repository: str, branch: str) -> list[str]:
    return [f"repo:{repository}:ref:refs/heads/{branch}:ref:refs/heads/{branch}"]


def pr_plan_subjects(repository: str) -> list[str]:
    return [f"repo:{repository}:pull_request:ref:refs/pull/*"]


def apply_subject(repository: str, environment: str, branch: str) -> str:
    return f"repo:{repository}:environment:{environment}:ref:refs/heads/{branch}"


def _trust(provider_arn: str, *, like: list[str] | None = None, equals: str | None = None) -> str:
    condition: dict[str, dict[str, object]] = {"StringEquals": {f"{HOST}:aud": AUDIENCE}}
    if equals:
        condition["StringEquals"][f"{HOST}:sub"] = equals
    if like:
        condition["StringLike"] = {f"{HOST}:sub": like}
    return document({"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})


class GithubCi(Construct):
    def __init__(self, scope: Construct, id_: str, *, config: CiConfig, env_name: str, account_id: str, state_bucket_arn: str, state_key_arn: str) -> None:
        super().__init__(scope, id_)
        if config.create_oidc_provider:
            # thumbprint_list is optional in aws provider 5.x: IAM trusts GitHub's certificate
            # through its own root CA library.
            provider_arn = IamOpenidConnectProvider(self, "oidc", url=f"https://{HOST}", client_id_list=[AUDIENCE], tags={"Name": "github-actions"}).arn
        else:
            provider_arn = f"arn:aws:iam::{account_id}:oidc-provider/{HOST}"
        plan_name, apply_name = role_names(env_name)
        state_read = {
            "Sid": "ReadState",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetObject", "s3:GetObjectVersion", "s3:GetBucketLocation"],
            "Resource": [state_bucket_arn, f"{state_bucket_arn}/*"],
        }
        decrypt = {"Sid": "DecryptState", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": [state_key_arn]}
        role_arn = f"arn:aws:iam::{account_id}:role/{{}}"
        boundary = IamPolicy(
            self,
            "boundary",
            name=names.ci_boundary(env_name),
            description=f"Permissions boundary of {env_name}'s roles: no escalation through IAM (modules/state/boundary.py)",
            policy=document(
                *boundary_statements(
                    f"arn:aws:iam::{account_id}:policy/{names.ci_boundary(env_name)}",
                    [role_arn.format(plan_name), role_arn.format(names.ci_pr_plan_role(env_name)), role_arn.format(apply_name)],
                )
            ),
        )
        ceiling = "a permissions boundary, never attached as a policy: its Allow * is the ceiling its denies cut from, and grants nothing"
        for check in ("CKV_AWS_62", "CKV_AWS_63", "CKV2_AWS_40"):
            skip(boundary, check, ceiling)
        plan = IamRole(
            self,
            "plan",
            name=plan_name,
            description=f"GitHub Actions plans of {env_name} from {config.repository} (read-only)",
            max_session_duration=3600,
            permissions_boundary=boundary.arn,
            assume_role_policy=_trust(provider_arn, like=plan_subjects(config.repository, config.branch)),
        )
        IamRolePolicyAttachment(self, "plan-readonly", role=plan.name, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        IamRolePolicy(self, "plan-state", role=plan.id, name="read-terraform-state", policy=document(state_read, decrypt))
        pr_plan = IamRole(
            self,
            "pr-plan",
            name=names.ci_pr_plan_role(env_name),
            description=f"GitHub Actions plans of {env_name} for pull requests of {config.repository} (read-only, no cluster access)",
            max_session_duration=3600,
            permissions_boundary=boundary.arn,
            assume_role_policy=_trust(provider_arn, like=pr_plan_subjects(config.repository)),
        )
        IamRolePolicyAttachment(self, "pr-plan-readonly", role=pr_plan.name, policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess")
        IamRolePolicy(self, "pr-plan-state", role=pr_plan.id, name="read-terraform-state", policy=document(state_read, decrypt))
        apply = IamRole(
            self,
            "apply",
            name=apply_name,
            description=f"GitHub Actions deploys of {env_name} from {config.repository}@{config.branch}",
            # A first apply (cluster, node groups, add-ons) runs well past the default hour.
            max_session_duration=7200,
            permissions_boundary=boundary.arn,
            assume_role_policy=_trust(provider_arn, equals=apply_subject(config.repository, env_name, config.branch)),
        )
        IamRolePolicy(
            self,
            "apply-policy",
            role=apply.id,
            name="manage-platform",
            policy=document(
                {"Sid": "PlatformServices", "Effect": "Allow", "Action": sorted(f"{s}:*" for s in APPLY_SERVICES), "Resource": "*"},
                {"Sid": "PlatformIam", "Effect": "Allow", "Action": sorted(APPLY_IAM), "Resource": "*"},
                {"Sid": "Reads", "Effect": "Allow", "Action": sorted(APPLY_READS), "Resource": "*"},
            ),
        )
        self.outputs = GithubCiOutputs(plan_role_arn=plan.arn, pr_plan_role_arn=pr_plan.arn, apply_role_arn=apply.arn, oidc_provider_arn=provider_arn)
