"""Every IAM role of a stack carries the environment's permissions boundary (modules/state/boundary.py):
the apply role may create a role only with it, so each role the stacks build must name it."""

from __future__ import annotations

from typing import Any

import jsii
from cdktf import IAspect
from cdktf_cdktf_provider_aws.iam_role import IamRole


@jsii.implements(IAspect)
class PermissionsBoundary:
    def __init__(self, boundary_arn: str) -> None:
        self.boundary_arn = boundary_arn

    def visit(self, node: Any) -> None:
        # A role that names its boundary already (the CI roles, by reference to the policy) keeps it.
        if isinstance(node, IamRole) and node.permissions_boundary_input is None:
            node.permissions_boundary = self.boundary_arn
