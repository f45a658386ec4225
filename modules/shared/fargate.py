"""Fargate profiles, the pod execution role they share, and the log group their log router writes to."""

from __future__ import annotations

import json

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_fargate_profile import EksFargateProfile, EksFargateProfileSelector
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog import names
from environments.fargate import FargateProfile
from modules.shared.checkov import skip
from modules.shared.iam import managed_policy_arn, service_trust


class FargateLogGroup(Construct):
    """The CloudWatch log group of EKS's Fargate log router (the ``aws-logging`` ConfigMap names it),
    encrypted with the cluster's key (whose policy lets CloudWatch Logs use it for this group), kept
    ``retention_days``."""

    def __init__(self, scope: Construct, id_: str, *, cluster_name: str, kms_key_arn: str, retention_days: int) -> None:
        super().__init__(scope, id_)
        group = CloudwatchLogGroup(self, "group", name=names.fargate_log_group(cluster_name), retention_in_days=retention_days, kms_key_id=kms_key_arn)
        if retention_days < 365:
            skip(group, "CKV_AWS_338", f"cluster.log_retention_days is {retention_days} in this environment's file")


def log_router_policy(log_group_arn: str) -> str:
    """What the Fargate log router does with the pod execution role's credentials when the group
    exists (EKS user guide, "Start AWS Fargate logging": its policy without the CreateLogGroup and
    PutRetentionPolicy the router needs only with auto_create_group)."""
    statement = {
        "Sid": "FargateLogRouter",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "Resource": [log_group_arn, f"{log_group_arn}:*"],
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


class FargateProfiles(Construct):
    """One EKS Fargate profile per configured entry, in the private subnets.

    The pod execution role may be assumed by EKS Fargate only on behalf of this cluster's
    profiles (``aws:SourceArn``), the confused-deputy guard AWS documents for it.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        profiles: dict[str, FargateProfile],
        cluster_name: str,
        cluster_ref: str,
        account_id: str,
        region: str,
        subnet_ids: list[str],
        role_name: str | None = None,
    ) -> None:
        """The role may write to the environment's Fargate log group (``names.fargate_log_group``)."""
        super().__init__(scope, id_)
        role = IamRole(
            self,
            "pod-execution-role",
            name=role_name or names.fargate_pod_role(cluster_name),
            assume_role_policy=service_trust(
                "eks-fargate-pods.amazonaws.com",
                conditions={"ArnLike": {"aws:SourceArn": f"arn:aws:eks:{region}:{account_id}:fargateprofile/{cluster_name}/*"}},
            ),
        )
        attachment = IamRolePolicyAttachment(
            self,
            "pod-execution",
            role=role.name,
            policy_arn=managed_policy_arn("aws", "AmazonEKSFargatePodExecutionRolePolicy"),
        )
        IamRolePolicy(self, "log-router", role=role.id, policy=log_router_policy(names.fargate_log_group_arn(region, account_id, cluster_name)))
        self.profiles: list[EksFargateProfile] = []
        for key, profile in sorted(profiles.items()):
            fargate_profile = EksFargateProfile(
                self,
                key,
                cluster_name=cluster_ref,
                fargate_profile_name=key,
                pod_execution_role_arn=role.arn,
                subnet_ids=subnet_ids,
                selector=[EksFargateProfileSelector(namespace=s.namespace, labels=dict(sorted(s.labels.items())) or None) for s in profile.selectors],
                depends_on=[attachment],
            )
            self.profiles.append(fargate_profile)
