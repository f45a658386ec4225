"""Managed node groups: one IAM role for all groups, one hardened launch template per group."""

from __future__ import annotations

from collections.abc import Sequence

from cdktf import ITerraformDependable, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.eks_node_group import (
    EksNodeGroup,
    EksNodeGroupLaunchTemplate,
    EksNodeGroupScalingConfig,
    EksNodeGroupTaint,
    EksNodeGroupUpdateConfig,
)
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
    LaunchTemplateTagSpecifications,
)
from constructs import Construct

from catalog import names
from environments.schema import NodeGroup
from modules.shared.iam import managed_policy_arn, service_trust

NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    "AmazonSSMManagedInstanceCore",
)


def autoscaler_tags(cluster_name: str, group: NodeGroup, labels: dict[str, str] | None = None) -> dict[str, str]:
    """Tags cluster-autoscaler's auto-discovery looks for, plus node-template hints so it can
    scale a group up from zero knowing its labels and taints."""
    tags = {
        "k8s.io/cluster-autoscaler/enabled": "true",
        f"k8s.io/cluster-autoscaler/{cluster_name}": "owned",
    }
    for key, value in sorted((group.labels if labels is None else labels).items()):
        tags[f"k8s.io/cluster-autoscaler/node-template/label/{key}"] = value
    effects = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
    for taint in group.taints:
        tags[f"k8s.io/cluster-autoscaler/node-template/taint/{taint.key}"] = f"{taint.value}:{effects[taint.effect]}"
    return tags


class NodeGroups(Construct):
    """Every configured node group in the private subnets.

    Launch templates require IMDSv2 with a hop limit of 1, so pods cannot reach the node role's
    credentials through the instance metadata service (they get their own through IRSA), and
    encrypt the root volume. ``desired_size`` is ignored after creation: cluster-autoscaler owns it.

    Versions follow the cluster: each group's ``version`` is the cluster resource's version, so a
    bump updates the control plane first and then rolls the groups (``update_config``: a third of
    the nodes at a time), optionally to a pinned AMI release.

    Safe replacement: a change AWS cannot make in place (instance types, capacity type, AMI type,
    disk, subnets) replaces the group. Groups are named ``<key>-<timestamp suffix>``
    (``node_group_name_prefix``) with ``create_before_destroy``, so Terraform creates the new group,
    waits until its nodes are ready, and only then deletes the old one (whose nodes EKS drains).
    With a fixed name the old group would have to go first and every pod in it with it. The
    autoscaler finds groups by tag, never by name. Groups created before this naming are replaced
    once, the same safe way.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        groups: dict[str, NodeGroup],
        cluster_name: str,
        cluster_ref: str,
        cluster_version_ref: str,
        subnet_ids: list[str],
        depends_on: Sequence[ITerraformDependable] = (),
        extra_labels: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """``cluster_name`` names things; ``cluster_ref`` (the cluster resource's name attribute)
        is what the node groups point at, so Terraform creates them after the cluster; ``depends_on``
        holds what must exist before any node starts (the before-compute managed add-ons);
        ``extra_labels``: group key -> labels the platform adds to that group's nodes (something
        must select that group, and its generated name cannot be selected on)."""
        super().__init__(scope, id_)
        role = IamRole(
            self,
            "role",
            name=names.node_role(cluster_name),
            assume_role_policy=service_trust("ec2.amazonaws.com"),
        )
        attachments = [
            IamRolePolicyAttachment(self, f"role-{policy}", role=role.name, policy_arn=managed_policy_arn("aws", policy)) for policy in NODE_POLICIES
        ]
        self.role_arn = role.arn
        self.node_group_names: dict[str, str] = {}
        self.groups: list[EksNodeGroup] = []
        for key, group in sorted(groups.items()):
            labels = {**group.labels, **(extra_labels or {}).get(key, {})}
            template = LaunchTemplate(
                self,
                f"{key}-lt",
                name=names.launch_template(cluster_name, key),
                update_default_version=True,
                metadata_options=LaunchTemplateMetadataOptions(http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1),
                block_device_mappings=[
                    LaunchTemplateBlockDeviceMappings(
                        device_name="/dev/xvda",
                        ebs=LaunchTemplateBlockDeviceMappingsEbs(
                            volume_size=group.disk_size_gib, volume_type="gp3", encrypted="true", delete_on_termination="true"
                        ),
                    )
                ],
                tag_specifications=[
                    LaunchTemplateTagSpecifications(resource_type=kind, tags={"Name": f"{cluster_name}-{key}"}) for kind in ("instance", "volume")
                ],
            )
            node_group = EksNodeGroup(
                self,
                key,
                cluster_name=cluster_ref,
                node_group_name_prefix=names.node_group_prefix(key),
                version=cluster_version_ref,
                release_version=group.ami_release_version,
                node_role_arn=role.arn,
                subnet_ids=subnet_ids,
                ami_type=group.ami_type,
                capacity_type=group.capacity,
                instance_types=list(group.instance_types),
                scaling_config=EksNodeGroupScalingConfig(min_size=group.min_size, desired_size=group.desired_size, max_size=group.max_size),
                update_config=EksNodeGroupUpdateConfig(max_unavailable_percentage=33),
                labels=dict(sorted(labels.items())) or None,
                taint=[EksNodeGroupTaint(key=t.key, value=t.value or None, effect=t.effect) for t in group.taints] or None,
                launch_template=EksNodeGroupLaunchTemplate(id=template.id, version=Token.as_string(template.latest_version)),
                tags=autoscaler_tags(cluster_name, group, labels),
                lifecycle=TerraformResourceLifecycle(create_before_destroy=True, ignore_changes=["scaling_config[0].desired_size"]),
                depends_on=[*attachments, *depends_on],
            )
            self.node_group_names[key] = node_group.node_group_name
            self.groups.append(node_group)
