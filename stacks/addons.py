"""``<env>-addons``: the Kubernetes side of the enabled add-ons (releases with their namespaces
and storage classes, secret stores), via the helm provider.

The provider authenticates from the cluster stack's endpoint and CA (cross-stack references) and
a token from the ephemeral ``aws_eks_cluster_auth`` (modules/shared/cluster_token.py: opened again when
a saved plan is applied, as the applying role): no kubeconfig, no AWS CLI, so it runs in Terraform
Cloud as well. The aws provider is here only for that token.

No kubernetes provider: the only Kubernetes objects besides releases were namespaces (Helm's
``create_namespace``) and StorageClasses (the CSI charts' own ``storageClasses`` values), and
loading that provider's bindings alone added ~1.2 s to every synth.
"""

from __future__ import annotations

from cdktf import Fn, ITerraformDependable
from cdktf_cdktf_provider_helm.provider import HelmProvider
from constructs import Construct

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import CustomResources
from catalog.addons.kube_prometheus_stack import MONITORING_GROUP, KubePrometheusStack
from catalog.addons.registry import BY_CLASS
from catalog.karpenter.addon import Karpenter, KarpenterCrd
from environments.auto_mode import running as auto_mode_running
from environments.identity import addon_identity
from environments.schema import EnvironmentConfig
from modules.addons.auto_mode import AutoModeObjects
from modules.cluster.eks import ClusterOutputs
from modules.network.vpc import NetworkOutputs
from modules.shared.cluster_token import cluster_token
from modules.shared.release import AddonRelease
from modules.storage.efs import EfsOutputs
from stacks.addon_contexts import cluster_side
from stacks.addons_aws import AddonsAwsOutputs
from stacks.base import PlatformStack


class AddonsStack(PlatformStack):
    def __init__(
        self,
        scope: Construct,
        env: EnvironmentConfig,
        *,
        network: NetworkOutputs,
        cluster: ClusterOutputs,
        storage: EfsOutputs | None,
        aws: AddonsAwsOutputs,
    ) -> None:
        super().__init__(scope, env, "addons")
        token = cluster_token(self, "cluster_auth", cluster.name)  # opened at apply as the applying role
        HelmProvider(
            self,
            "helm",
            kubernetes={
                "host": cluster.endpoint,
                "cluster_ca_certificate": Fn.base64decode(cluster.certificate_authority),
                "token": token,
            },
        )
        ready: dict[str, list[ITerraformDependable]] = {}
        monitored: list[tuple[AddonRelease, bool, bool]] = []  # (release, chart renders monitors, custom objects are monitors)
        first: list[ITerraformDependable] = []
        if auto_mode_running(env):
            # The StorageClass and IngressClass the add-ons name, and the custom pools (modules/addons/auto_mode.py).
            objects = AutoModeObjects(self, "auto-mode", env=env, subnet_ids=network.private_subnet_ids, security_group_id=cluster.cluster_security_group_id)
            first.append(objects.release)
        # With custom networking the ENIConfigs exist before any node: the cluster stack's vpc-cni
        # add-on creates them (modules/cluster/managed_addons.py), so no release here waits for them.
        for addon, options in env.enabled_addons:
            ctx = cluster_side(
                env,
                options,
                network=network,
                cluster=cluster,
                storage=storage,
                role_arn=aws.role_arns.get(addon.name, ""),
                identity=addon_identity(env, addon.name),
                bucket_names=aws.bucket_names.get(addon.name, {}),
                queue_url=aws.queue_url,
            )
            after = [*first, *(dep for cls in addon.after if (name := BY_CLASS[cls].name) in ready for dep in ready[name])]
            custom = addon.custom_resources(ctx)
            release = AddonRelease(
                self,
                addon.name,
                addon=addon,
                values=addon.release_values(ctx),
                custom_resources=custom,
                depends_on=after,
            )
            ready[addon.name] = release.ready
            monitored.append((release, bool(addon.monitor_values(options)), _has_monitoring_objects(custom)))
        if env.karpenter is not None and aws.karpenter is not None:
            # The CRDs, then the controller, then its node class and pools. The add-ons run on the
            # managed node groups and do not wait for Karpenter; Karpenter's chart renders a Service,
            # so it waits for the load balancer controller's Service webhook (failurePolicy Fail)
            # when that is enabled (render ordering check).
            crds = AddonRelease(self, "karpenter-crd", addon=KarpenterCrd(), values={})
            karpenter = Karpenter()
            ctx = cluster_side(env, env.karpenter, role_arn=aws.karpenter.controller_role_arn)
            karpenter_release = AddonRelease(
                self,
                "karpenter",
                addon=karpenter,
                values=karpenter.release_values(ctx),
                custom_resources=karpenter.custom_resources(ctx),
                depends_on=[*crds.ready, *ready.get(AwsLoadBalancerController.name, [])],
            )
            monitored.append((karpenter_release, bool(karpenter.monitor_values(env.karpenter)), False))
        _after_monitoring_crds(monitored, env)


def _has_monitoring_objects(custom: CustomResources | None) -> bool:
    return custom is not None and any(str(m.get("apiVersion", "")).startswith(f"{MONITORING_GROUP}/") for m in custom.manifests)


def _after_monitoring_crds(monitored: list[tuple[AddonRelease, bool, bool]], env: EnvironmentConfig) -> None:
    """ServiceMonitors/PodMonitors are objects of kube-prometheus-stack's CRDs: a release creating
    them waits for its CRD releases (which wait for nothing), not for the whole stack, which comes
    after the EBS CSI driver (Prometheus' gp3 volume) and so after add-ons it monitors (render check
    ``served``: Helm fails a release with a kind no CRD serves yet)."""
    if KubePrometheusStack.name not in env.addons:
        return
    stack = next(r for r, _, _ in monitored if r.node.id == KubePrometheusStack.name)
    for release, chart, custom in monitored:
        if release is stack:
            continue
        if chart:
            release.wait_for(stack.crd_releases)
        if custom:
            release.wait_for(stack.crd_releases, custom_resources=True)
