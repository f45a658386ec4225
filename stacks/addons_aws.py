"""``<env>-addons-aws``: the AWS side of the enabled add-ons (service account roles with their Pod
Identity associations, buckets, interruption queue)
and of Karpenter when it is the node autoscaler (modules/addons/karpenter.py).

Only the aws provider, so real Terraform validates, plans and applies it like every AWS stack.
Nothing is created for a disabled add-on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from constructs import Construct

from catalog.addons.registry import bucket_name, queue_name, role_name
from environments.identity import addon_identity
from environments.schema import EnvironmentConfig
from modules.addons.bucket import AddonBucket
from modules.addons.interruption_queue import InterruptionQueue
from modules.addons.karpenter import KarpenterAws, KarpenterAwsOutputs
from modules.cluster.eks import ClusterOutputs
from modules.network.vpc import NetworkOutputs
from modules.shared.irsa import IrsaRole
from modules.storage.efs import EfsOutputs
from stacks.addon_contexts import aws_side
from stacks.base import AwsStack


def needs_aws_side(env: EnvironmentConfig) -> bool:
    """Whether Karpenter or any enabled add-on has a role or AWS resources (else the stack is not built)."""
    if env.karpenter is not None:
        return True
    for addon, options in env.enabled_addons:
        needs = addon.aws_needs(options)
        if addon.uses_role(options) or needs.buckets or needs.interruption_queue:
            return True
    return False


@dataclass(frozen=True)
class AddonsAwsOutputs:
    role_arns: dict[str, str] = field(default_factory=dict)  # add-on -> role ARN
    bucket_names: dict[str, dict[str, str]] = field(default_factory=dict)  # add-on -> purpose -> name
    queue_url: str = ""
    karpenter: KarpenterAwsOutputs | None = None


class AddonsAwsStack(AwsStack):
    def __init__(
        self,
        scope: Construct,
        env: EnvironmentConfig,
        *,
        network: NetworkOutputs,
        cluster: ClusterOutputs,
        storage: EfsOutputs | None,
    ) -> None:
        super().__init__(scope, env, "addons-aws")
        roles: dict[str, str] = {}
        names: dict[str, dict[str, str]] = {}
        queue_url = ""
        for addon, options in env.enabled_addons:
            needs = addon.aws_needs(options)
            buckets = {
                b.purpose: AddonBucket(
                    self,
                    f"{addon.name}-{b.purpose}",
                    bucket=bucket_name(env, addon, b.purpose),
                    kms_key_arn=cluster.kms_key_arn,
                    expire_days=b.expire_days,
                )
                for b in needs.buckets
            }
            if buckets:
                names[addon.name] = {p: b.name for p, b in buckets.items()}
            queue = None
            if needs.interruption_queue:
                queue = InterruptionQueue(self, "interruption-queue", name=queue_name(env))
                queue_url = queue.url
            sa = addon.service_account
            if sa is None or not addon.uses_role(options):
                continue
            ctx = aws_side(
                env,
                options,
                network=network,
                cluster=cluster,
                storage=storage,
                bucket_arns={p: b.arn for p, b in buckets.items()},
                queue_arn=queue.arn if queue else "",
            )
            role = IrsaRole(
                self,
                f"{addon.name}-irsa",
                name=role_name(env, addon),
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer=cluster.oidc_issuer,
                namespace=addon.namespace,
                service_account=sa.name,
                statements=addon.policy(ctx),
                managed_policy_arns=addon.managed_policy_arns,
                lint_accept=addon.iam_lint_accept,
                identity=addon_identity(env, addon.name),
                cluster_name=env.cluster_name,
                cluster_ref=cluster.name,
            )
            roles[addon.name] = role.arn
        karpenter = None
        if env.karpenter is not None:
            karpenter = KarpenterAws(
                self,
                "karpenter",
                env=env,
                cluster_ref=cluster.name,
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_issuer=cluster.oidc_issuer,
                cluster_security_group_id=cluster.cluster_security_group_id,
            ).outputs
        self.outputs = AddonsAwsOutputs(role_arns=roles, bucket_names=names, queue_url=queue_url, karpenter=karpenter)
