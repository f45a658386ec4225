"""External Secrets Operator with a ClusterSecretStore for this environment's SSM parameters."""

from __future__ import annotations

from typing import Any

from environments.teams import TEAM_LABEL
from modules.addons.aws_load_balancer_controller import AwsLoadBalancerController
from modules.addons.base import AddonContext, Addon, Chart, CustomResources, ServiceAccount, Statement

STORE_NAME = "aws-parameter-store"


def ssm_path(env_name: str) -> str:
    """The parameter path the environment's secrets live under (``/<env>``)."""
    return f"/{env_name}"


def parameter_read_statements(*, sid: str, region: str, account_id: str, path: str, kms_key_arn: str) -> list[Statement]:
    """Read of the SSM parameters under ``path`` (and of SecureStrings under ``kms_key_arn``, through
    SSM only): what External Secrets' parameter store provider calls, for the operator's own role and
    for each team's SecretStore role (modules/team_aws.py)."""
    prefix = f"arn:aws:ssm:{region}:{account_id}:parameter{path}"
    # Calls made by the provider (providers/v1/aws/parameterstore): GetParameter(s),
    # GetParametersByPath for find-by-path, ListTagsForResource for metadataPolicy Fetch.
    # DescribeParameters (find by name/tags) supports no resource scoping, so it is left out.
    return [
        {
            "Sid": sid,
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:ListTagsForResource"],
            "Resource": [prefix, f"{prefix}/*"],
        },
        {
            "Sid": "DecryptSecureStrings",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": kms_key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}},
        },
    ]


class ExternalSecrets(Addon):
    name = "external-secrets"
    chart = Chart(repository="https://charts.external-secrets.io", name="external-secrets", version="2.9.0")
    namespace = "external-secrets"
    service_account = ServiceAccount(name="external-secrets", values_path=("serviceAccount",))
    # Its webhook Service is created while the controller's Service mutator webhook would reject it.
    after = (AwsLoadBalancerController,)

    def policy(self, ctx: AddonContext) -> list[Statement]:
        return parameter_read_statements(
            sid="ReadEnvironmentParameters",
            region=ctx.region,
            account_id=ctx.account_id,
            path=ssm_path(ctx.env.name),
            kms_key_arn=ctx.kms_key_arn,
        )

    def values(self, ctx: AddonContext) -> dict[str, Any]:
        # CRDs are rendered from templates, so they upgrade with the release; v1beta1 is no longer served.
        return {"installCRDs": True, "crds": {"createClusterSecretStore": True, "unsafeServeV1Beta1": False}}

    def custom_resources(self, ctx: AddonContext) -> CustomResources:
        # No auth block: the controller's own credentials (IRSA) are used.
        spec: dict[str, Any] = {"provider": {"aws": {"service": "ParameterStore", "region": ctx.region}}}
        if ctx.env.teams:
            # Team namespaces read secrets only through their own SecretStore (the team's path):
            # the environment-wide store does not serve them (docs/teams.md).
            spec["conditions"] = [{"namespaceSelector": {"matchExpressions": [{"key": TEAM_LABEL, "operator": "DoesNotExist"}]}}]
        store = {"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore", "metadata": {"name": STORE_NAME}, "spec": spec}
        return CustomResources(release="cluster-secret-store", manifests=(store,))
