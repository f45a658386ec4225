"""Fargate pods' logs: EKS's built-in log router (Fluent Bit) writes them to a CloudWatch log group
encrypted with a key of its own and kept for the environment's retention.

Expectations from the EKS user guide, "Start AWS Fargate logging for your cluster": a Namespace
``aws-observability`` labelled ``aws-observability: enabled``, a ConfigMap ``aws-logging`` in it
with an ``output.conf`` for the ``cloudwatch_logs`` plugin, and the pod execution role allowed
``logs:CreateLogStream``, ``logs:DescribeLogStreams`` and ``logs:PutLogEvents`` (the guide's policy
also lists CreateLogGroup and PutRetentionPolicy, needed only when the router creates the group).
"""

from __future__ import annotations

import json

from environments import EnvironmentConfig
from environments.teams import team_fargate_profiles
from tests.conftest import Synth


def _with_fargate(environments: dict[str, EnvironmentConfig]) -> list[EnvironmentConfig]:
    found = [e for e in environments.values() if e.cluster.fargate_profiles or team_fargate_profiles(e)]
    assert found, "no environment runs pods on Fargate"
    return found


def _policies(synth: Synth, stack: str) -> list[dict]:
    return [json.loads(p["policy"]) for p in synth.resources(stack, "aws_iam_role_policy").values() if "logs:PutLogEvents" in p["policy"]]


def test_fargate_log_group_is_encrypted_and_kept_for_the_environments_retention(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    for env in _with_fargate(environments):
        groups = [g for g in synth.resources(f"{env.name}-cluster", "aws_cloudwatch_log_group").values() if g["name"].endswith("/fargate")]
        assert len(groups) == 1, env.name
        [group] = groups
        assert group["name"] == f"/aws/eks/{env.cluster_name}/fargate"
        assert group["retention_in_days"] == env.cluster.log_retention_days
        # The cluster's key, whose policy lets CloudWatch Logs use it for this group (CloudWatch Logs
        # guide, "Encrypt log data using AWS KMS": the kms:EncryptionContext:aws:logs:arn condition).
        [key_id] = synth.resources(f"{env.name}-cluster", "aws_kms_key")
        assert group["kms_key_id"] == f"${{aws_kms_key.{key_id}.arn}}"
        key = synth.resources(f"{env.name}-cluster", "aws_kms_key")[key_id]
        logs = next(st for st in json.loads(key["policy"])["Statement"] if st["Principal"].get("Service") == f"logs.{env.region}.amazonaws.com")
        arn = f"arn:aws:logs:{env.region}:{env.account_id}:log-group:{group['name']}"
        assert arn in logs["Condition"]["ArnEquals"]["kms:EncryptionContext:aws:logs:arn"]


def test_every_pod_execution_role_may_write_to_that_group_only(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    for env in _with_fargate(environments):
        arn = f"arn:aws:logs:{env.region}:{env.account_id}:log-group:/aws/eks/{env.cluster_name}/fargate"
        stacks = ([f"{env.name}-cluster"] if env.cluster.fargate_profiles else []) + ([f"{env.name}-teams-aws"] if team_fargate_profiles(env) else [])
        for stack in stacks:
            [policy] = _policies(synth, stack)
            [statement] = policy["Statement"]
            assert set(statement["Action"]) == {"logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"}
            assert statement["Resource"] == [arn, f"{arn}:*"], stack
