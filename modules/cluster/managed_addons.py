"""EKS managed core add-ons: vpc-cni and eks-pod-identity-agent before compute, coredns and kube-proxy after.

Order within one deploy (also on a version bump, because each step references the one before):
control plane -> vpc-cni, eks-pod-identity-agent -> node groups and Fargate profiles -> coredns,
kube-proxy. vpc-cni comes first so nodes start with its configuration (prefix delegation, custom
networking) instead of racing it (terraform-aws-eks v20 only waits a fixed ``dataplane_wait_duration``
for that); the pod identity agent is a node daemon pods need for credentials as soon as they start.
coredns is a Deployment that stays DEGRADED without somewhere to run, and kube-proxy must never be
newer than the kubelets, so both follow the node groups (which carry the new version first).

Adopting what EKS bootstrapped: EKS installs self-managed vpc-cni, coredns and kube-proxy in
every cluster created with ``bootstrap_self_managed_addons`` true (the provider's default). That
argument is ForceNew in hashicorp/aws 5.x, so it is left unset: setting it to false would
replace every existing cluster. ``resolve_conflicts_on_create = OVERWRITE`` makes the managed
add-on take over the bootstrapped objects (as terraform-aws-eks v20.37.2 does while
``bootstrap_self_managed_addons`` is true), ``resolve_conflicts_on_update = OVERWRITE`` keeps them
ours, and ``preserve = true`` leaves the workload running if an add-on is ever removed here.

Custom networking (``network.pod_network``): the vpc-cni add-on also creates the ENIConfigs, one
per zone, so they exist before the first node. A node under custom networking gives pods no
address until the ENIConfig its zone label names exists (amazon-vpc-cni-k8s #264, #611): created
any later (they were a Helm release in ``<env>-addons``, two stacks on), CoreDNS never starts, the
coredns add-on stays DEGRADED and this stack's first apply fails before that stack is reached.
The add-on's configuration schema has ``eniConfig`` {create, region, subnets: {<name>: {id,
securityGroups}}} (``aws eks describe-addon-configuration --addon-name vpc-cni``, quoted for
v1.18.6-eksbuild.1 in amazon-vpc-cni-k8s #3059); the add-on renders it with the chart's
``templates/eniconfig.yaml``, one ENIConfig named after each key. Chosen over a Helm or Kubernetes
provider in this stack, which would break its rule of aws as the only provider (validated and
applied on the emulator as it is), and over a separate stack between cluster and node groups,
which would split the node groups from the cluster they follow; the add-on is already ordered
before compute.

vpc-cni runs with its own IRSA role (``AmazonEKS_CNI_Policy``) instead of the node role's
permissions; the node role keeps the policy until every cluster's aws-node uses the IRSA role
(removing it in the same deploy would race the add-on update).
"""

from __future__ import annotations

import json
from typing import Any

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.eks_addon import EksAddon
from constructs import Construct

from catalog import names
from environments.managed_addons import resolve_versions
from environments.schema import ClusterConfig
from modules.shared.iam import managed_policy_arn
from modules.shared.irsa import IrsaRole

BEFORE_COMPUTE = ("vpc-cni", "eks-pod-identity-agent")
AFTER_COMPUTE = ("coredns", "kube-proxy")


def configuration_values(name: str, config: ClusterConfig, *, custom_networking: bool = False, eni_config: dict[str, Any] | None = None) -> str | None:
    """The add-on's ``configuration_values``: sorted JSON from typed options, None when all default.
    ``eni_config``: vpc-cni's ``eniConfig`` section (the ENIConfigs it creates), with custom networking."""
    values: dict[str, Any] = {}
    if name == "vpc-cni":
        cni = config.managed_addons.vpc_cni
        env: dict[str, str] = {}
        if cni.prefix_delegation:
            env["ENABLE_PREFIX_DELEGATION"] = "true"
            env["WARM_PREFIX_TARGET"] = str(cni.warm_prefix_target or 1)
        if custom_networking:
            # One ENIConfig per zone, named after it; nodes pick theirs by their zone label.
            env["AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG"] = "true"
            env["ENI_CONFIG_LABEL_DEF"] = "topology.kubernetes.io/zone"
        if env:
            values["env"] = env
        if cni.network_policy:
            values["enableNetworkPolicy"] = "true"
        if custom_networking and eni_config:
            values["eniConfig"] = eni_config
    elif name == "coredns" and config.managed_addons.coredns.replicas:
        values["replicaCount"] = config.managed_addons.coredns.replicas
    return json.dumps(values, sort_keys=True) if values else None


def eni_config_values(region: str, zones: tuple[str, ...], subnet_ids: list[str], security_group_id: str) -> dict[str, Any]:
    """vpc-cni's ``eniConfig``: one ENIConfig per zone, named after it (``ENI_CONFIG_LABEL_DEF`` is the
    zone label), putting pod ENIs in that zone's pod subnet with the cluster security group."""
    return {
        "create": True,
        "region": region,
        "subnets": {zone: {"id": subnet, "securityGroups": [security_group_id]} for zone, subnet in zip(zones, subnet_ids, strict=True)},
    }


class ManagedAddons(Construct):
    """The four core add-ons. ``before_compute`` exists after construction; ``after_compute(...)``
    adds the rest once the compute they wait for is known."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: ClusterConfig,
        cluster_name: str,
        cluster_ref: str,
        oidc_provider_arn: str,
        oidc_issuer: str,
        custom_networking: bool = False,
        eni_config: dict[str, Any] | None = None,
        without: tuple[str, ...] = (),
    ) -> None:
        """``eni_config``: with ``custom_networking``, the ENIConfigs vpc-cni creates (``eni_config_values``).
        ``without``: add-ons not installed (those EKS Auto Mode runs itself when no node group is left)."""
        super().__init__(scope, id_)
        self._without = without
        self._config = config
        self._cluster_ref = cluster_ref
        self._custom_networking = custom_networking
        self._eni_config = eni_config
        self.versions, problems = resolve_versions(config.managed_addons, config.version)
        if problems:  # the schema already refused this file; never synthesize a half-pinned cluster
            raise ValueError(problems[0])
        cni_role = IrsaRole(
            self,
            "vpc-cni-role",
            name=names.vpc_cni_role(cluster_name),
            oidc_provider_arn=oidc_provider_arn,
            oidc_issuer=oidc_issuer,
            namespace="kube-system",
            service_account="aws-node",
            statements=[],
            managed_policy_arns=(managed_policy_arn("aws", "AmazonEKS_CNI_Policy"),),
        )
        self.addons: dict[str, EksAddon] = {}
        self.before_compute: list[ITerraformDependable] = [self._addon("eks-pod-identity-agent")]
        if "vpc-cni" not in without:
            self.before_compute.insert(0, self._addon("vpc-cni", service_account_role_arn=cni_role.arn))

    def after_compute(self, compute: list[ITerraformDependable]) -> None:
        for name in AFTER_COMPUTE:
            if name not in self._without:
                self._addon(name, depends_on=compute)

    def _addon(self, name: str, *, service_account_role_arn: str | None = None, depends_on: list[ITerraformDependable] | None = None) -> EksAddon:
        addon = EksAddon(
            self,
            name,
            cluster_name=self._cluster_ref,
            addon_name=name,
            addon_version=self.versions[name],
            configuration_values=configuration_values(name, self._config, custom_networking=self._custom_networking, eni_config=self._eni_config),
            service_account_role_arn=service_account_role_arn,
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            preserve=True,
            depends_on=depends_on or None,
        )
        self.addons[name] = addon
        return addon
