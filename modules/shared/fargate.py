"""Fargate profiles and the pod execution role they share."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.eks_fargate_profile import EksFargateProfile, EksFargateProfileSelector
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog import names
from environments.schema import FargateProfile
from modules.shared.iam import managed_policy_arn, service_trust


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
