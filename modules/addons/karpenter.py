"""Karpenter's AWS side: the controller's IRSA role, the node role and its EC2_LINUX access entry,
the interruption queue with its EventBridge rules, and the discovery tag on the node security group.

What Karpenter v1.14.1's CloudFormation template creates (catalog/karpenter/policy.py cites it),
for one cluster. IRSA rather than EKS Pod Identity for the controller: Pod Identity does not work
on Fargate, where the controller may be scheduled, and the rest of the platform uses IRSA.
The private subnets get their discovery tag in the network stack, where the subnets are managed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ec2_tag import Ec2Tag
from cdktf_cdktf_provider_aws.eks_access_entry import EksAccessEntry
from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog.karpenter.addon import DISCOVERY_TAG, NAMESPACE, Karpenter, controller_role_name, node_role_name, queue_name
from catalog.karpenter.policy import EVENT_PATTERNS, NODE_ROLE_POLICIES, controller_policies, policy_name
from environments.schema import EnvironmentConfig
from modules.addons.interruption_queue import InterruptionQueue
from modules.shared.iam import document, managed_policy_arn, service_trust
from modules.shared.iam_lint import accept_all
from modules.shared.irsa import IrsaRole

# parliament's findings on Karpenter's official controller policies (verbatim at the pinned
# version), by policy key: where the policy is right and parliament's model too narrow.
CONTROLLER_POLICY_LINT: dict[str, dict[str, str]] = {
    "NodeLifecycle": {
        "RESOURCE_MISMATCH": (
            "the official policy grants ec2:RunInstances/CreateFleet one resource type per statement (each with its own tag "
            "conditions); IAM authorizes every resource of the request separately, so no single statement needs them all"
        ),
    },
    "ResourceDiscovery": {
        "RESOURCE_MISMATCH": (
            "AWS public SSM parameters (arn:aws:ssm:<region>::parameter/aws/service/...) have an empty account field, "
            "which parliament's ARN pattern for ssm:GetParameter does not allow"
        ),
    },
}


@dataclass(frozen=True)
class KarpenterAwsOutputs:
    controller_role_arn: str  # token
    node_role_name: str


class KarpenterAws(Construct):
    """Everything Karpenter needs in AWS for ``env``'s cluster (``env.karpenter`` must be set)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        env: EnvironmentConfig,
        cluster_ref: str,
        oidc_provider_arn: str,
        oidc_issuer: str,
        cluster_security_group_id: str,
    ) -> None:
        super().__init__(scope, id_)
        assert env.karpenter is not None
        cluster = env.cluster_name

        # Nodes: the template's KarpenterNodeRole. Karpenter creates the instance profile itself
        # from EC2NodeClass.spec.role (IAMIntegration policy), so none is created here.
        node_role = IamRole(
            self,
            "node-role",
            name=node_role_name(env),
            description=f"Nodes Karpenter launches for {cluster}",
            assume_role_policy=service_trust("ec2.amazonaws.com"),
        )
        for name in NODE_ROLE_POLICIES:
            IamRolePolicyAttachment(self, f"node-{name}", role=node_role.name, policy_arn=managed_policy_arn("aws", name))
        # API authentication: nodes of this role join as nodes (system:nodes), nothing more.
        EksAccessEntry(self, "node-access", cluster_name=cluster_ref, principal_arn=node_role.arn, type="EC2_LINUX")

        queue_arn = None
        if env.karpenter.interruption_handling:
            queue = InterruptionQueue(
                self,
                "interruption-queue",
                name=queue_name(env),
                patterns=EVENT_PATTERNS,
                purpose="Karpenter interruption handling",
            )
            queue_arn = queue.arn

        documents = controller_policies(
            cluster_name=cluster,
            region=env.region,
            account_id=env.account_id,
            node_role_arn=node_role.arn,
            queue_arn=queue_arn,
        )
        policies = [IamPolicy(self, f"controller-{key}", name=policy_name(cluster, key), policy=document(*doc["Statement"])) for key, doc in documents.items()]
        for policy, key in zip(policies, documents, strict=True):
            accept_all(policy, CONTROLLER_POLICY_LINT.get(key, {}))
        sa = Karpenter.service_account
        assert sa is not None
        role = IrsaRole(
            self,
            "controller",
            name=controller_role_name(env),
            oidc_provider_arn=oidc_provider_arn,
            oidc_issuer=oidc_issuer,
            namespace=NAMESPACE,
            service_account=sa.name,
            statements=[],
            managed_policy_arns=tuple(p.arn for p in policies),
        )

        # The nodes' security group is the cluster security group EKS creates (managed node groups
        # use it too); EC2NodeClass selects it by this tag. Not managed by any other resource, so
        # a single-tag resource does not fight another one's tags.
        Ec2Tag(self, "security-group-discovery", resource_id=cluster_security_group_id, key=DISCOVERY_TAG, value=cluster)

        self.outputs = KarpenterAwsOutputs(controller_role_arn=role.arn, node_role_name=node_role_name(env))
