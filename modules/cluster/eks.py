"""The EKS control plane: KMS envelope encryption, logging, API authentication, OIDC for IRSA."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import Fn, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.eks_cluster import (
    EksCluster,
    EksClusterAccessConfig,
    EksClusterEncryptionConfig,
    EksClusterEncryptionConfigProvider,
    EksClusterUpgradePolicy,
    EksClusterVpcConfig,
)
from cdktf_cdktf_provider_aws.iam_openid_connect_provider import IamOpenidConnectProvider
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from catalog import names
from environments.schema import CONTROL_PLANE_LOG_TYPES, ClusterConfig
from modules.cluster.auto_mode import CLUSTER_ROLE_POLICIES, AutoModeRoles, cluster_trust
from modules.shared.checkov import skip
from modules.shared.iam import managed_policy_arn, service_trust
from modules.shared.kms import Key, account_root_statement, logs_statement


@dataclass(frozen=True)
class ClusterOutputs:
    name: str
    arn: str
    endpoint: str
    certificate_authority: str
    version: str
    oidc_provider_arn: str
    oidc_issuer: str  # issuer host and path, without https:// (the IRSA condition key prefix)
    kms_key_arn: str
    cluster_security_group_id: str


class Cluster(Construct):
    """EKS cluster in the private subnets.

    Secrets are envelope-encrypted with a customer-managed key (rotation on, explicit policy,
    alias ``alias/<cluster>-eks``) that also encrypts the control-plane log group. Authentication
    is API-only (access entries, no aws-auth ConfigMap). The OIDC provider trusts
    ``sts.amazonaws.com`` so add-ons can use IAM roles for service accounts.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: ClusterConfig,
        name: str,
        account_id: str,
        region: str,
        subnet_ids: list[str],
        other_log_groups: tuple[str, ...] = (),
    ) -> None:
        """``other_log_groups``: more log groups of this cluster the key encrypts (Fargate's)."""
        super().__init__(scope, id_)
        log_group_name = f"/aws/eks/{name}/cluster"
        key = Key(
            self,
            "kms",
            name=names.cluster_key(name),
            description=f"Envelope encryption of Kubernetes Secrets and control-plane logs of EKS cluster {name}",
            statements=[account_root_statement(account_id), logs_statement(account_id, region, [log_group_name, *other_log_groups])],
        )
        # EKS would create this group itself with no retention and no encryption; owning it bounds both.
        log_group = CloudwatchLogGroup(self, "logs", name=log_group_name, retention_in_days=config.log_retention_days, kms_key_id=key.arn)
        if config.log_retention_days < 365:
            skip(log_group, "CKV_AWS_338", f"cluster.log_retention_days is {config.log_retention_days} in this environment's file (non-production)")
        auto = config.auto_mode
        role = IamRole(
            self,
            "role",
            name=names.cluster_role(name),
            assume_role_policy=cluster_trust(account_id)
            if auto is not None
            else service_trust("eks.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account_id}}),
        )
        attachments = [
            IamRolePolicyAttachment(self, f"role-{policy}", role=role.name, policy_arn=managed_policy_arn("aws", policy))
            for policy in ("AmazonEKSClusterPolicy", "AmazonEKSVPCResourceController", *(CLUSTER_ROLE_POLICIES if auto is not None else ()))
        ]
        # EKS Auto Mode (modules/cluster/auto_mode.py): its three switches move together, written
        # explicitly (false too) whenever the section exists, so turning it off is a change Terraform sees.
        self.auto_mode = AutoModeRoles(self, "auto-mode", config=auto, cluster_name=name) if auto is not None else None
        cluster = EksCluster(
            self,
            "cluster",
            name=name,
            version=config.version,
            role_arn=role.arn,
            vpc_config=EksClusterVpcConfig(
                subnet_ids=subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=config.endpoint_public_access,
                public_access_cidrs=list(config.public_access_cidrs) if config.endpoint_public_access else None,
            ),
            # No hidden admin for whoever created the cluster: admin is an explicit access entry
            # (cluster.access_entries, the CI apply role). The flag is ForceNew in aws 5.100.0 and
            # EKS never reports it back, so it is ignored on existing clusters (created with true):
            # switching it off must not replace them (docs/hardening.md).
            access_config=EksClusterAccessConfig(authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False),
            # bootstrap_self_managed_addons: false with Auto Mode (no self-managed vpc-cni, coredns,
            # kube-proxy on a new cluster: Auto Mode or the managed add-ons run them). ForceNew in aws
            # 5.100.0 and never reported back by EKS, so it is ignored on existing clusters: turning
            # Auto Mode on must never replace one (terraform-aws-eks #3238).
            bootstrap_self_managed_addons=False if auto is not None else None,
            compute_config=self.auto_mode.compute_config() if self.auto_mode else None,
            storage_config=self.auto_mode.storage_config() if self.auto_mode else None,
            kubernetes_network_config=self.auto_mode.network_config() if self.auto_mode else None,
            lifecycle=TerraformResourceLifecycle(
                ignore_changes=[
                    "access_config[0].bootstrap_cluster_creator_admin_permissions",
                    *(["bootstrap_self_managed_addons"] if auto is not None else []),
                ]
            ),
            upgrade_policy=EksClusterUpgradePolicy(support_type=config.upgrade_policy) if config.upgrade_policy else None,
            encryption_config=EksClusterEncryptionConfig(resources=["secrets"], provider=EksClusterEncryptionConfigProvider(key_arn=key.arn)),
            enabled_cluster_log_types=list(config.log_types),
            depends_on=[log_group, *attachments],
        )
        if config.endpoint_public_access:
            skip(cluster, "CKV_AWS_39", f"public endpoint chosen in this environment's file, limited to {', '.join(config.public_access_cidrs)}")
        if set(config.log_types) != set(CONTROL_PLANE_LOG_TYPES):
            skip(cluster, "CKV_AWS_37", f"cluster.log_types limits control-plane logs to {', '.join(config.log_types)} in this environment's file")
        if self.auto_mode is not None:
            self.auto_mode.access(cluster.name)
        issuer_url = cluster.identity.get(0).oidc.get(0).issuer
        oidc = IamOpenidConnectProvider(
            self,
            "oidc",
            url=issuer_url,
            client_id_list=["sts.amazonaws.com"],
            tags={"Name": f"{name}-irsa"},
        )
        self.outputs = ClusterOutputs(
            name=cluster.name,
            arn=cluster.arn,
            endpoint=cluster.endpoint,
            certificate_authority=cluster.certificate_authority.get(0).data,
            version=cluster.version,
            oidc_provider_arn=oidc.arn,
            oidc_issuer=Fn.replace(issuer_url, "https://", ""),
            kms_key_arn=key.arn,
            cluster_security_group_id=cluster.vpc_config.cluster_security_group_id,
        )
