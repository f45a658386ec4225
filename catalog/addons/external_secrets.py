"""External Secrets Operator with a ClusterSecretStore for this environment's SSM parameters,
served only to the namespaces the environment file lists."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.base import Addon, AwsSide, Chart, ClusterSide, CustomResources, Options, ServiceAccount, Statement
from catalog.fields import K8sName

STORE_NAME = "aws-parameter-store"


def ssm_path(env_name: str) -> str:
    """The parameter path the environment's secrets live under (``/<env>``)."""
    return f"/{env_name}"


def parameter_read_statements(*, sid: str, region: str, account_id: str, path: str, kms_key_arn: str) -> list[Statement]:
    """Read of the SSM parameters under ``path`` (and of SecureStrings under ``kms_key_arn``, through
    SSM only): what External Secrets' parameter store provider calls, for the operator's own role and
    for each team's SecretStore role (modules/teams/aws.py)."""
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


def team_path_denials(*, region: str, account_id: str, env_path: str, teams: list[str]) -> list[Statement]:
    """The controller's own credentials read no team's parameters: a team reads its path only
    through its own role. Per AWS ("How Parameter Store authorizes parameter retrieval",
    https://docs.aws.amazon.com/systems-manager/latest/userguide/ps-retrieval-authorization.html),
    every ``ssm:GetParameter*`` action is denied on the team paths, and ``GetParametersByPath`` on
    their ancestor ``/<env>``: it is authorized against the requested path, not the parameters it
    returns, so a recursive read of ``/<env>`` would return the team paths despite their deny."""
    prefix = f"arn:aws:ssm:{region}:{account_id}:parameter"
    return [
        {
            "Sid": "NoTeamParameters",
            "Effect": "Deny",
            "Action": "ssm:GetParameter*",
            "Resource": sorted(r for team in teams for r in (f"{prefix}{env_path}/{team}", f"{prefix}{env_path}/{team}/*")),
        },
        {"Sid": "NoReadByPathOverTeams", "Effect": "Deny", "Action": "ssm:GetParametersByPath", "Resource": [f"{prefix}{env_path}", f"{prefix}/"]},
    ]


class ExternalSecretsOptions(Options):
    store_namespaces: tuple[K8sName, ...] = Field(default=(), max_length=50)
    """Namespaces that may use the environment-wide ClusterSecretStore, which reads every parameter
    under ``/<env>``: anyone who can create an ExternalSecret in one of them reads all of it. Empty
    (the default): no ClusterSecretStore. Team namespaces cannot be listed: a team reads only its own
    path, through its own SecretStore (docs/teams.md)."""


class ExternalSecrets(Addon):
    name = "external-secrets"
    chart = Chart(repository="https://charts.external-secrets.io", name="external-secrets", version="2.9.0", kube_version=">= 1.19.0-0")
    namespace = "external-secrets"
    # Chart values.yaml serviceMonitor (controller, webhook, cert controller). honorLabels: its
    # externalsecret_status_condition carries the ExternalSecret's own ``namespace``, which the
    # scrape's target label (the controller's namespace) would otherwise rename to
    # ``exported_namespace`` (Prometheus docs, scrape_config honor_labels; the chart's default false).
    monitor_switch = {"serviceMonitor": {"enabled": True, "honorLabels": True}}
    service_account = ServiceAccount(name="external-secrets", values_path=("serviceAccount",))
    # Its webhook Service is created while the controller's Service mutator webhook would reject it.
    after = (AwsLoadBalancerController,)
    options_model = ExternalSecretsOptions

    def check(self, env: Any, options: Any) -> list[str]:
        opts: ExternalSecretsOptions = options
        problems: list[str] = []
        team_of = {ns: team for team, spec in env.teams.items() for ns in spec.namespaces}
        seen: set[str] = set()
        for i, namespace in enumerate(opts.store_namespaces):
            where = f"store_namespaces.{i}"
            if namespace in seen:
                problems.append(f"{where}: {namespace!r} is listed twice")
            elif namespace in team_of:
                problems.append(
                    f"{where}: {namespace!r} belongs to team {team_of[namespace]!r}, which reads only its own path "
                    f"through its own SecretStore; the environment-wide store reads all of /{env.name}"
                )
            seen.add(namespace)
        return problems

    def policy(self, ctx: AwsSide) -> list[Statement]:
        statements = parameter_read_statements(
            sid="ReadEnvironmentParameters",
            region=ctx.region,
            account_id=ctx.account_id,
            path=ssm_path(ctx.env.name),
            kms_key_arn=ctx.kms_key_arn,
        )
        teams = sorted(getattr(ctx.env, "teams", None) or {})
        if teams:
            statements += team_path_denials(region=ctx.region, account_id=ctx.account_id, env_path=ssm_path(ctx.env.name), teams=teams)
        return statements

    def values(self, ctx: ClusterSide) -> dict[str, Any]:
        # CRDs are rendered from templates, so they upgrade with the release; v1beta1 is no longer served.
        return {"installCRDs": True, "crds": {"createClusterSecretStore": True, "unsafeServeV1Beta1": False}}

    def custom_resources(self, ctx: ClusterSide) -> CustomResources | None:
        opts: ExternalSecretsOptions = ctx.options
        if not opts.store_namespaces:
            return None  # no namespace may use it: no store to misuse
        # No auth block: the controller's own credentials (IRSA) are used. A ClusterSecretStore
        # without conditions serves every namespace; with conditions, a namespace is served when any
        # condition's selector, name or regex matches it (external-secrets
        # pkg/controllers/secretstore/client_manager.go, validateNamespaceConditions). One condition
        # naming the namespaces: nothing else matches, and a team or add-on namespace never does.
        spec: dict[str, Any] = {
            "provider": {"aws": {"service": "ParameterStore", "region": ctx.region}},
            "conditions": [{"namespaces": sorted(opts.store_namespaces)}],
        }
        store = {"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore", "metadata": {"name": STORE_NAME}, "spec": spec}
        return CustomResources(release="cluster-secret-store", manifests=(store,))
