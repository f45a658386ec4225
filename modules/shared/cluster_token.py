"""The bearer token the helm and kubernetes providers present to the EKS API.

It comes from the ephemeral resource ``aws_eks_cluster_auth`` (aws provider >= 5.81, Terraform
>= 1.10), not from the data source of the same name. Terraform reads a data source while
planning and stores its result in the saved plan, so applying a saved plan later with another
role (the deploy's plan role plans, its apply role applies) used the plan role's token, expired
after 15 minutes of approval. An ephemeral resource is never stored in a plan or state: Terraform
opens it again during apply, as the identity that applies, and the token is fresh.

Over a Kubernetes ``exec`` credential plugin: that needs the AWS CLI (or aws-iam-authenticator)
on every runner, Terraform Cloud agents included; the ephemeral resource needs nothing but the
aws provider the stack already has.

The cdktf 0.21 aws bindings have no class for ephemeral resources, so the block goes into the
synthesized JSON directly (the JSON is the contract): a top-level ``ephemeral`` object keyed by
type and name, as for ``resource`` and ``data`` in Terraform's JSON configuration syntax.
"""

from __future__ import annotations

from cdktf import TerraformLocal, TerraformStack

EPHEMERAL_TYPE = "aws_eks_cluster_auth"


def cluster_token(stack: TerraformStack, name: str, cluster_name: str) -> str:
    """Declare ``ephemeral.aws_eks_cluster_auth.<name>`` for ``cluster_name``; its token reference.

    ``cluster_name`` may be another stack's attribute: an override is not resolved in the stack's
    context (it would name the other stack's resource), so it goes through a local, which is.
    """
    local = TerraformLocal(stack, f"{name}_cluster_name", cluster_name)
    stack.add_override(f"ephemeral.{EPHEMERAL_TYPE}.{name}", {"name": f"${{local.{local.friendly_unique_id}}}"})
    return f"${{ephemeral.{EPHEMERAL_TYPE}.{name}.token}}"
