"""Every physical name the platform gives an AWS resource, in one place.

A physical name is a contract: renaming one replaces the resource. Each function takes the plain
strings a name is built from (the environment's name, its cluster's name ``<env>-eks``, ...), so
every layer can call it; ``environments/physical_names.py`` lists an environment's names with
their owners and refuses a name that two owners claim.

Scopes (where AWS requires a name to be unique): IAM role and policy names per account; S3 bucket
names globally (partition); SQS queue, EventBridge rule, CloudWatch log group and KMS alias names per
account and region; EKS cluster names per account and region; Fargate profile names and access
entries per cluster.
"""

from __future__ import annotations


def cluster(env_name: str) -> str:
    return f"{env_name}-eks"


def cluster_role(cluster_name: str) -> str:
    return f"{cluster_name}-cluster"


def node_role(cluster_name: str) -> str:
    return f"{cluster_name}-node"


def launch_template(cluster_name: str, group: str) -> str:
    return f"{cluster_name}-{group}"


def node_group_prefix(group: str) -> str:
    """EKS appends a generated suffix: the real node-group name is only known after apply."""
    return f"{group}-"


def vpc_cni_role(cluster_name: str) -> str:
    return f"{cluster_name}-vpc-cni"


def fargate_pod_role(cluster_name: str) -> str:
    return f"{cluster_name}-fargate-pods"


def teams_fargate_pod_role(cluster_name: str) -> str:
    return f"{cluster_name}-teams-fargate-pods"


def fargate_log_group(cluster_name: str) -> str:
    """CloudWatch log group EKS's Fargate log router writes every Fargate pod's logs to."""
    return f"/aws/eks/{cluster_name}/fargate"


def fargate_log_group_arn(region: str, account_id: str, cluster_name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{fargate_log_group(cluster_name)}"


def team_fargate_profile(team: str, namespace: str) -> str:
    return f"team-{team}-{namespace}"


def addon_role(cluster_name: str, addon: str) -> str:
    """An add-on's IRSA role: ``<cluster>-<add-on>``."""
    return f"{cluster_name}-{addon}"


def addon_bucket(env_name: str, account_id: str, addon: str, purpose: str) -> str:
    """Globally unique and stable: ``<env>-<account>-<add-on>-<purpose>``."""
    return f"{env_name}-{account_id}-{addon}-{purpose}"


def termination_queue(cluster_name: str) -> str:
    """The interruption queue of aws-node-termination-handler (queue mode)."""
    return f"{cluster_name}-node-termination"


def karpenter_controller_role(cluster_name: str) -> str:
    return f"{cluster_name}-karpenter"


def karpenter_node_role(cluster_name: str) -> str:
    return f"{cluster_name}-karpenter-node"


def auto_node_role(cluster_name: str) -> str:
    """Nodes of EKS Auto Mode's built-in pools (``compute_config.node_role_arn``: EKS creates its access entry)."""
    return f"{cluster_name}-auto-node"


def auto_custom_node_role(cluster_name: str) -> str:
    """Nodes of the platform's own Auto Mode NodeClass (its access entry is the cluster stack's)."""
    return f"{cluster_name}-auto-custom-node"


def karpenter_queue(cluster_name: str) -> str:
    return f"{cluster_name}-karpenter"


def karpenter_policy(cluster_name: str, key: str) -> str:
    """Karpenter's CloudFormation template's managed policy name: ``KarpenterController<Key>Policy-<cluster>``."""
    return f"KarpenterController{key}Policy-{cluster_name}"


def team_workload_role(cluster_name: str, team: str, service_account: str) -> str:
    return f"{cluster_name}-{team}-{service_account}"


def team_secrets_role(cluster_name: str, team: str) -> str:
    """The role a team's SecretStores use."""
    return f"{cluster_name}-{team}-secrets"


def ci_roles(env_name: str) -> tuple[str, str]:
    """(plan, apply) GitHub Actions role names of an environment: the deploy's plan (from the
    branch) and its apply (in the GitHub environment)."""
    return f"{env_name}-github-plan", f"{env_name}-github-apply"


def ci_boundary(env_name: str) -> str:
    """The IAM policy that bounds the CI roles and every role the apply role creates."""
    return f"{env_name}-platform-boundary"


def ci_pr_plan_role(env_name: str) -> str:
    """The role pull requests plan with: their code is untrusted, so it is not the deploy's."""
    return f"{env_name}-github-pr-plan"


def efs(name: str) -> str:
    return f"{name}-efs"


def flow_logs_role(name: str) -> str:
    return f"{name}-vpc-flow-logs"


def flow_logs_key(name: str) -> str:
    return f"{name}-flow-logs"


def cluster_key(cluster_name: str) -> str:
    """The KMS alias (without ``alias/``) of the key that encrypts the cluster's Secrets and logs."""
    return cluster(cluster_name)


def state_key(bucket: str) -> str:
    """The KMS alias (without ``alias/``) of the state bucket's key. The schema refuses bucket names
    with dots, which alias names reject."""
    return f"{bucket}-state"


def endpoints_security_group(name: str) -> str:
    return f"{name}-vpc-endpoints"


Owned = tuple[str, str, str]  # (scope, name, owner): owner says which stack and object builds it
