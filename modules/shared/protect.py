"""``protect: true``: Terraform refuses any plan that would destroy the environment's data.

``lifecycle.prevent_destroy`` on every resource of the types below (the state bucket, the KMS keys,
the EFS file system, the add-on buckets): a change that would replace or destroy one fails at plan
time ("Instance cannot be destroyed"), and ``tools.plan_report`` says which resource blocked the plan.
To remove one deliberately, set ``protect: false`` in its own reviewed change first.

The types are a fact of their own (``catalog/protected.py``): the plan report reads them without cdktf.
"""

from __future__ import annotations

from typing import Any

from catalog.protected import PROTECTED_TYPES


def protect_stack(stack: Any) -> int:
    """Set ``prevent_destroy`` on every resource of ``PROTECTED_TYPES`` in ``stack``; returns how many."""
    from cdktf import TerraformResource  # late: keeps this module importable without jsii

    count = 0
    for construct in stack.node.find_all():
        if isinstance(construct, TerraformResource) and construct.terraform_resource_type in PROTECTED_TYPES:
            construct.add_override("lifecycle.prevent_destroy", True)
            count += 1
    return count
