"""The moto server with the project's corrections and extensions (``python -m tools.emulator serve <port>``)."""

from __future__ import annotations

import os
import sys
from typing import Any

from tools.emulator.client import HOST, free_port


def _correct_moto() -> None:
    """Make moto answer as AWS does where its answer differs and a Terraform diff would follow.

    Each correction changes what the emulator reports, never what the project asks for:
    - EKS node groups: moto reports ``remoteAccess: {ec2SshKey: eksKeypair}`` for a group created
      without remote access, so Terraform plans to replace every node group forever. AWS reports
      no ``remoteAccess`` then (and rejects it together with a launch template).
    - EC2 launch templates: moto copies the request's own tags (``TagSpecifications`` of type
      ``launch-template``, where the aws provider puts its default tags) into the template data,
      so Terraform sees a tag specification it never set and plans to remove it forever. AWS
      keeps them apart (``launch-template`` is not even a valid type inside template data).
    - EKS node groups: moto's CreateNodegroup ignores ``updateConfig`` (only UpdateNodegroupConfig
      reads it), so a group reads back without it and Terraform plans to add it forever.
    - EC2 security group rules from another group: ``keep_group_rule_descriptions``.
    """
    from moto.ec2.models.launch_templates import LaunchTemplateBackend
    from moto.eks import models as eks_models
    from moto.eks.responses import EKSResponse

    create_nodegroup = EKSResponse.create_nodegroup

    def create_nodegroup_keeping_update_config(self: Any) -> Any:
        result = create_nodegroup(self)
        update_config = self._get_param("updateConfig")
        if update_config:
            group = self.eks_backend.describe_nodegroup(cluster_name=self._get_param("name"), nodegroup_name=self._get_param("nodegroupName"))
            group.update_config = update_config
        return result

    EKSResponse.create_nodegroup = create_nodegroup_keeping_update_config  # type: ignore[method-assign]  # patching moto is what this function does

    eks_models.DEFAULT_REMOTE_ACCESS = None  # type: ignore[assignment]  # moto types it as a dict; None: no remoteAccess, as AWS reports

    create = LaunchTemplateBackend.create_launch_template

    def create_launch_template(self: Any, name: str, description: str, template_data: dict[str, Any], tag_spec: dict[str, Any]) -> Any:
        specs = template_data.get("TagSpecifications")
        if specs:
            template_data = {**template_data, "TagSpecifications": [t for t in specs if t.get("ResourceType") != "launch-template"]}
        return create(self, name, description, template_data, tag_spec)

    LaunchTemplateBackend.create_launch_template = create_launch_template  # type: ignore[method-assign]  # patching moto is what this function does
    keep_group_rule_descriptions()


def keep_group_rule_descriptions() -> None:
    """moto keeps the description of a rule whose source is a security group (the EFS NFS rule:
    ``UserIdGroupPairs[].Description``) but DescribeSecurityGroupRules reports only a CIDR rule's,
    so ``aws_vpc_security_group_ingress_rule`` reads back without its description and Terraform
    plans to set it forever. AWS reports it for both kinds (the rule's ``Description``)."""
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: Any) -> str | None:
        return self.ip_range.get("Description") or self.source_group.get("Description")

    SecurityGroupRule.description = property(description)  # type: ignore[assignment,method-assign]  # patching moto is what this function does


def serve(port: int) -> None:
    if os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES", "").lower() != "true":
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    _correct_moto()
    from tools.emulator import cluster_security_group, efs, s3_policy
    from tools.emulator.eks import register

    s3_policy.install()  # bucket policy conditions evaluated against the request, as AWS does

    cluster_security_group.install()  # the security group EKS creates per cluster

    register()  # the EKS operations moto lacks (tools/emulator/eks/)
    efs.register()  # the file system policy operations as Terraform uses them (tools/emulator/efs.py)
    from moto.server import main as moto_main

    moto_main(["--host", HOST, "--port", str(port)])


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "serve":
        serve(int(argv[1]))
        return 0
    if len(argv) == 1 and argv[0] == "free-port":
        print(free_port())
        return 0
    print("usage: python -m tools.emulator serve <port>", file=sys.stderr)
    return 2
