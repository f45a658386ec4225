"""The add-on specs as pure functions (no synth, no cdktf): policies and values for two shapes of
the environment, judged against the upstream documents — the official IAM policies in
reference/iam, each chart's values.yaml and values.schema.json — and the meaning of
each option. Milliseconds; what ``make mutate`` runs against catalog/addons/.

Apply-time values (role ARN, key, buckets, queue, file system) are placeholders here, as the
cdktf tokens are opaque to the specs.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.addons.base import AwsSide, ClusterSide
from catalog.addons.registry import ADDONS, BY_NAME
from environments import EnvironmentConfig, load_environments
from tests import addon_facts
from tests.conftest import ROOT, require_reference

# Non-default options for the second shape; every value differs from its default.
ALT_OPTIONS: dict[str, dict[str, Any]] = {
    "aws-load-balancer-controller": {"replicas": 3, "default_target_type": "instance"},
    "aws-node-termination-handler": {"mode": "imds"},
    "cluster-autoscaler": {"expander": "priority", "replicas": 2},
    "external-dns": {"policy": "sync", "interval": "5m"},
    "external-secrets": {"store_namespaces": ["apps", "batch", "monitoring"]},
    "kube-prometheus-stack": {"retention_days": 7, "storage_gib": 20},
    "loki": {"mode": "SimpleScalable", "retention_days": 5, "chunks_cache": False},
    "metrics-server": {"replicas": 1},
    "tempo": {"retention_days": 3, "wal_gib": 20},
}
KMS, VPC, FS_ID, FS_ARN, ROLE, QUEUE_URL, QUEUE_ARN = "KMS-ARN", "VPC-ID", "FS-ID", "FS-ARN", "ROLE-ARN", "QUEUE-URL", "QUEUE-ARN"

# The official policy each add-on's role follows (reference/iam/SOURCES.md), and the
# actions added beyond it, each with its source.
OFFICIAL = {
    "aws-load-balancer-controller": "aws-load-balancer-controller_iam_policy_v3.5.0.json",
    "aws-ebs-csi-driver": "aws-ebs-csi-driver_example-iam-policy_v1.64.0.json",
    "aws-efs-csi-driver": "aws-efs-csi-driver_iam-policy-example_v3.4.1.json",
    "aws-node-termination-handler": "aws-node-termination-handler_queue-processor_policy_v1.25.6.json",
    "cluster-autoscaler": "cluster-autoscaler_policy_full-features.json",
    "external-dns": "external-dns_route53_policy_v0.21.json",
    "external-secrets": "external-secrets_ssm-parameterstore_read_policy_example.json",
    "loki": "loki_s3_policy.json",
    "tempo": "tempo_s3_policy.json",
}
S3_WITH_KMS_KEY = {"kms:Decrypt", "kms:GenerateDataKey"}  # S3 SSE-KMS: read and write objects (S3 user guide)
EXTRA_ACTIONS = {
    # aws-ebs-csi-driver docs/install.md: a customer managed key for encrypted volumes.
    "aws-ebs-csi-driver": {"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncrypt*"},
    # external-secrets providers/v1/aws/parameterstore: GetParameter(s), by path, tags; SecureString decryption.
    "external-secrets": {"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:ListTagsForResource", "kms:Decrypt"},
    # cluster-autoscaler cloudprovider/aws README (auto-discovery reads the ASG tags).
    "cluster-autoscaler": {"autoscaling:DescribeTags"},
    "loki": S3_WITH_KMS_KEY,
    "tempo": S3_WITH_KMS_KEY,
}


@cache
def chart_files(name: str) -> tuple[Any, Any]:
    """The chart's values.yaml and values.schema.json (None without one), parsed once per process."""
    chart = require_reference("charts", name)
    schema_file = chart / "values.schema.json"
    return yaml.safe_load((chart / "values.yaml").read_text()), json.loads(schema_file.read_text()) if schema_file.exists() else None


@cache
def official_actions(name: str) -> frozenset[str]:
    return frozenset(actions(json.loads(require_reference("iam", OFFICIAL[name]).read_text())["Statement"]))


def _env(tmp: Path, name: str, addons: dict[str, Any]) -> EnvironmentConfig:
    raw = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    raw.update(name=name, addons=addons)
    directory = tmp / name
    directory.mkdir()
    (directory / f"{name}.yaml").write_text(yaml.safe_dump(raw))
    [env] = load_environments(directory)
    return env


@pytest.fixture(scope="module")
def envs(tmp_path_factory: pytest.TempPathFactory) -> list[EnvironmentConfig]:
    tmp = tmp_path_factory.mktemp("specs")
    # Grafana's admin password comes through the store (kube-prometheus-stack's check).
    full = _env(tmp, "full", {a.name: {} for a in ADDONS} | {"external-secrets": {"store_namespaces": ["monitoring"]}})
    alt = _env(tmp, "alt", {a.name: ALT_OPTIONS.get(a.name, {}) for a in ADDONS})
    return [full, alt]


def ctx(env: EnvironmentConfig, name: str) -> ClusterSide:
    """The cluster side, as ``<env>-addons`` builds it, with placeholder tokens."""
    purposes = ("chunks", "ruler", "traces")
    return ClusterSide(
        env=env,
        options=env.addons[name],
        cluster_name=env.cluster_name,
        kms_key_arn=KMS,
        vpc_id=VPC,
        efs_file_system_id=FS_ID,
        role_arn=ROLE,
        bucket_names={p: f"BUCKET-{p}" for p in purposes},
        queue_url=QUEUE_URL,
    )


def aws_ctx(env: EnvironmentConfig, name: str) -> AwsSide:
    """The AWS side, as ``<env>-addons-aws`` builds it, with placeholder tokens."""
    purposes = ("chunks", "ruler", "traces")
    return AwsSide(
        env=env,
        options=env.addons[name],
        cluster_name=env.cluster_name,
        kms_key_arn=KMS,
        vpc_id=VPC,
        efs_file_system_arn=FS_ARN,
        bucket_arns={p: f"arn:aws:s3:::BUCKET-{p}" for p in purposes},
        queue_arn=QUEUE_ARN,
    )


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def actions(statements: list[dict[str, Any]]) -> set[str]:
    return {a for st in statements for a in as_list(st["Action"])}


def values(env: EnvironmentConfig, name: str) -> dict[str, Any]:
    return BY_NAME[name].release_values(ctx(env, name))


def policy(env: EnvironmentConfig, name: str) -> list[dict[str, Any]]:
    return BY_NAME[name].policy(aws_ctx(env, name))


def _by_sid(statements: list[dict[str, Any]], action: str) -> dict[str, Any]:
    [found] = [st for st in statements if action in as_list(st["Action"]) and st["Effect"] == "Allow"]
    return found


# --- values against the charts -------------------------------------------------------------------


def test_every_values_key_is_the_charts_and_the_merge_satisfies_its_schema(envs) -> None:
    import jsonschema

    from tests.addons.test_addons import OPEN_PATHS, _merge, _unknown_keys

    for env in envs:
        for addon in ADDONS:
            defaults, schema = chart_files(addon.name)
            got = values(env, addon.name)
            assert not _unknown_keys(got, defaults, schema, OPEN_PATHS.get(addon.name, {})), (env.name, addon.name)
            if schema:
                jsonschema.validate(_merge(defaults, got), schema)


def test_service_account_block_sits_where_the_chart_keeps_it_with_the_role_when_aws_is_called(envs) -> None:
    for env in envs:
        for addon in ADDONS:
            got = json.dumps(values(env, addon.name))
            if addon.name not in addon_facts.SERVICE_ACCOUNTS:
                assert ROLE not in got and "eks.amazonaws.com/role-arn" not in got, addon.name
                continue
            block = values(env, addon.name)
            for part in addon.service_account.values_path:
                block = block[part]
            annotated = block.get("annotations", {}).get("eks.amazonaws.com/role-arn")
            assert block["create"] is True and block["name"] == addon_facts.SERVICE_ACCOUNTS[addon.name]
            assert annotated == (ROLE if addon_facts.calls_aws(addon.name, env.addons[addon.name]) else None), (env.name, addon.name)


# --- policies against the official documents -----------------------------------------------------


def test_every_action_is_in_the_official_policy_or_documented_beside_it(envs) -> None:
    for env in envs:
        for addon in ADDONS:
            statements = policy(env, addon.name)
            if not addon_facts.calls_aws(addon.name, env.addons[addon.name]):
                assert statements == [], addon.name
                continue
            allowed = official_actions(addon.name) | EXTRA_ACTIONS.get(addon.name, set())
            # Deny statements only narrow what is allowed (the External Secrets controller's denial of team paths).
            grants = [st for st in statements if st["Effect"] == "Allow"]
            assert actions(grants) <= allowed, (addon.name, sorted(actions(grants) - allowed))
            assert all(st["Effect"] in ("Allow", "Deny") and re.fullmatch(r"[A-Za-z0-9]+", st.get("Sid", "x")) for st in statements)


def test_policies_name_this_environments_resources(envs) -> None:
    for env in envs:
        region, account = env.region, env.account_id
        # external-dns: write only its zones (docs/tutorials/aws.md scopes by hostedzone ARN).
        dns = policy(env, "external-dns")
        assert _by_sid(dns, "route53:ChangeResourceRecordSets")["Resource"] == [f"arn:aws:route53:::hostedzone/{z}" for z in env.dns.hosted_zone_ids]
        assert _by_sid(dns, "route53:ListHostedZones")["Resource"] == "*"
        # external-secrets: the /<env> parameter path; SecureStrings through SSM only.
        secrets = policy(env, "external-secrets")
        prefix = f"arn:aws:ssm:{region}:{account}:parameter/{env.name}"
        assert _by_sid(secrets, "ssm:GetParametersByPath")["Resource"] == [prefix, f"{prefix}/*"]
        decrypt = _by_sid(secrets, "kms:Decrypt")
        assert decrypt["Resource"] == KMS and decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"ssm.{region}.amazonaws.com"}}
        # cluster-autoscaler: scale only ASGs carrying this cluster's tags (the node groups' tags).
        scale = _by_sid(policy(env, "cluster-autoscaler"), "autoscaling:SetDesiredCapacity")
        assert set(as_list(scale["Action"])) == {"autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"}
        assert scale["Resource"] == f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:*:autoScalingGroupName/*"
        assert scale["Condition"] == {
            "StringEquals": {
                f"aws:ResourceTag/k8s.io/cluster-autoscaler/{env.cluster_name}": "owned",
                "aws:ResourceTag/k8s.io/cluster-autoscaler/enabled": "true",
            }
        }
        assert _by_sid(policy(env, "cluster-autoscaler"), "eks:DescribeNodegroup")["Resource"] == "*"
        # EBS: the environment key, grants only for AWS resources.
        ebs = policy(env, "aws-ebs-csi-driver")
        assert _by_sid(ebs, "kms:Decrypt")["Resource"] == KMS
        assert _by_sid(ebs, "kms:CreateGrant") == {
            "Sid": _by_sid(ebs, "kms:CreateGrant")["Sid"],
            "Effect": "Allow",
            "Action": "kms:CreateGrant",
            "Resource": KMS,
            "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
        }
        assert BY_NAME["aws-ebs-csi-driver"].managed_policy_arns == ("arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",)
        # EFS: the file system and its access points; create/tag/delete only what the driver tagged.
        efs = policy(env, "aws-efs-csi-driver")
        points = f"arn:aws:elasticfilesystem:{region}:{account}:access-point/*"
        assert _by_sid(efs, "elasticfilesystem:DescribeFileSystems")["Resource"] == [FS_ARN, points]
        assert _by_sid(efs, "ec2:DescribeAvailabilityZones")["Resource"] == "*"
        create = _by_sid(efs, "elasticfilesystem:CreateAccessPoint")
        assert create["Resource"] == FS_ARN and create["Condition"] == {"StringLike": {"aws:RequestTag/efs.csi.aws.com/cluster": "true"}}
        tag = _by_sid(efs, "elasticfilesystem:TagResource")
        assert tag["Resource"] == [FS_ARN, points] and tag["Condition"] == {"StringLike": {"aws:ResourceTag/efs.csi.aws.com/cluster": "true"}}
        delete = _by_sid(efs, "elasticfilesystem:DeleteAccessPoint")
        assert delete["Resource"] == points and delete["Condition"] == {"StringEquals": {"aws:ResourceTag/efs.csi.aws.com/cluster": "true"}}
        # Loki and Tempo: their own buckets and objects, and the key through S3 only.
        for name, purposes in addon_facts.BUCKETS.items():
            statements = policy(env, name)
            arns = [f"arn:aws:s3:::BUCKET-{p}" for p in sorted(purposes)]
            assert sorted(_by_sid(statements, "s3:GetObject")["Resource"]) == sorted([*arns, *(f"{a}/*" for a in arns)])
            key = _by_sid(statements, "kms:GenerateDataKey")
            assert key["Resource"] == KMS and key["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}
            assert set(as_list(key["Action"])) == S3_WITH_KMS_KEY
        # The load balancer controller: ingress rule changes only in this VPC.
        [vpc_only] = [st for st in policy(env, "aws-load-balancer-controller") if "ArnEquals" in st.get("Condition", {})]
        assert vpc_only["Condition"] == {"ArnEquals": {"ec2:Vpc": f"arn:aws:ec2:{region}:{account}:vpc/{VPC}"}}


def test_node_termination_handler_consumes_only_its_queue_in_queue_mode(envs) -> None:
    full, alt = envs
    statements = policy(full, "aws-node-termination-handler")
    consume = _by_sid(statements, "sqs:ReceiveMessage")
    assert set(as_list(consume["Action"])) == {"sqs:DeleteMessage", "sqs:ReceiveMessage"} and consume["Resource"] == QUEUE_ARN
    assert _by_sid(statements, "ec2:DescribeInstances")["Resource"] == "*"
    assert policy(alt, "aws-node-termination-handler") == []  # imds: no AWS calls


# --- values follow the options -------------------------------------------------------------------


def test_values_follow_the_options(envs) -> None:
    for env in envs:
        o = env.addons
        lbc = values(env, "aws-load-balancer-controller")
        assert (lbc["clusterName"], lbc["region"], lbc["vpcId"]) == (env.cluster_name, env.region, VPC)
        assert (lbc["replicaCount"], lbc["defaultTargetType"]) == (
            o["aws-load-balancer-controller"].replicas,
            o["aws-load-balancer-controller"].default_target_type,
        )
        dns = values(env, "external-dns")
        assert dns["provider"] == {"name": "aws"} and dns["domainFilters"] == [env.dns.domain] and dns["txtOwnerId"] == env.cluster_name
        assert (dns["policy"], dns["interval"]) == (o["external-dns"].policy, o["external-dns"].interval)
        assert dns["extraArgs"] == [f"--zone-id-filter={z}" for z in env.dns.hosted_zone_ids]
        assert dns["env"] == [{"name": "AWS_DEFAULT_REGION", "value": env.region}]
        ca = values(env, "cluster-autoscaler")
        assert ca["cloudProvider"] == "aws" and ca["awsRegion"] == env.region and ca["autoDiscovery"] == {"clusterName": env.cluster_name}
        # The autoscaler's minor must equal the cluster's (CA README, "Releases").
        assert re.fullmatch(rf"v{re.escape(env.cluster.version)}\.\d+", ca["image"]["tag"])
        assert ca["replicaCount"] == o["cluster-autoscaler"].replicas
        assert ca["extraArgs"] == {"balance-similar-node-groups": True, "expander": o["cluster-autoscaler"].expander, "skip-nodes-with-system-pods": False}
        ms = values(env, "metrics-server")
        replicas = o["metrics-server"].replicas
        assert ms == {"replicas": replicas, "podDisruptionBudget": {"enabled": replicas > 1, "minAvailable": 1}}
        kps = values(env, "kube-prometheus-stack")
        spec = kps["prometheus"]["prometheusSpec"]
        assert spec["retention"] == f"{o['kube-prometheus-stack'].retention_days}d"
        claim = spec["storageSpec"]["volumeClaimTemplate"]["spec"]
        assert claim == {
            "storageClassName": "gp3",
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": f"{o['kube-prometheus-stack'].storage_gib}Gi"}},
        }
        assert not any(spec[k] for k in ("serviceMonitorSelectorNilUsesHelmValues", "podMonitorSelectorNilUsesHelmValues", "ruleSelectorNilUsesHelmValues"))
        assert all(kps[k] == {"enabled": False} for k in ("kubeControllerManager", "kubeScheduler", "kubeEtcd", "kubeProxy"))
        # kubeseal's defaults: controller sealed-secrets-controller in kube-system (kubeseal --help);
        # the chart's metrics.serviceMonitor switch, as kube-prometheus-stack is enabled here.
        assert values(env, "sealed-secrets") == {"fullnameOverride": "sealed-secrets-controller", "metrics": {"serviceMonitor": {"enabled": True}}}
        # Calico policy-only on the VPC CNI (Calico docs, "Amazon EKS", VPC CNI + Calico policy), with
        # Felix's and Typha's metrics on Calico's default ports as kube-prometheus-stack is enabled here
        # (what the monitors select: tests/catalog/test_calico_monitors.py).
        tigera = values(env, "tigera-operator")
        assert tigera["installation"] == {
            "enabled": True,
            "kubernetesProvider": "EKS",
            "cni": {"type": "AmazonVPC"},
            "calicoNetwork": {"bgp": "Disabled"},
            "nodeMetricsPort": 9091,
            "typhaMetricsPort": 9093,
        }
        assert tigera["apiServer"] == {"enabled": True}


def test_storage_addons_values(envs) -> None:
    for env in envs:
        o = env.addons
        ebs = values(env, "aws-ebs-csi-driver")
        assert ebs["controller"]["region"] == env.region
        [gp3] = ebs["storageClasses"]
        assert gp3 == {
            "name": "gp3",
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            "volumeBindingMode": "WaitForFirstConsumer",
            "reclaimPolicy": "Delete",
            "allowVolumeExpansion": True,
            "parameters": {"type": "gp3", "encrypted": "true", "kmsKeyId": KMS},
        }
        efs = values(env, "aws-efs-csi-driver")
        assert efs["controller"]["regionalStsEndpoints"] is True
        [efs_class] = efs["storageClasses"]
        assert efs_class["parameters"] == {"provisioningMode": "efs-ap", "fileSystemId": FS_ID, "directoryPerms": "700"}
        assert (efs_class["reclaimPolicy"], efs_class["volumeBindingMode"]) == ("Delete", "Immediate") and efs_class["name"]
        loki = values(env, "loki")
        mode = o["loki"].mode
        scale = 0 if mode == "Monolithic" else 3
        assert loki["deploymentMode"] == mode
        assert (loki["singleBinary"]["replicas"], loki["read"]["replicas"], loki["write"]["replicas"], loki["backend"]["replicas"]) == (
            (1, 0, 0, 0) if mode == "Monolithic" else (0, 3, 3, 3)
        )
        assert loki["loki"]["commonConfig"] == {"replication_factor": 1 if scale == 0 else 3}
        assert loki["loki"]["storage"] == {"type": "s3", "bucketNames": {"chunks": "BUCKET-chunks", "ruler": "BUCKET-ruler"}, "s3": {"region": env.region}}
        assert loki["loki"]["limits_config"] == {"retention_period": f"{o['loki'].retention_days * 24}h"}
        assert loki["loki"]["compactor"] == {"retention_enabled": True, "delete_request_store": "s3"}
        assert loki["loki"]["auth_enabled"] is False and loki["minio"] == {"enabled": False}
        assert loki["chunksCache"]["enabled"] is o["loki"].chunks_cache
        [schema] = loki["loki"]["schemaConfig"]["configs"]
        assert (schema["store"], schema["object_store"], schema["schema"]) == ("tsdb", "s3", "v13") and schema["index"]["period"] == "24h"
        tempo = values(env, "tempo")
        trace = tempo["tempo"]["storage"]["trace"]
        assert trace["backend"] == "s3" and trace["s3"] == {"bucket": "BUCKET-traces", "endpoint": f"s3.{env.region}.amazonaws.com", "region": env.region}
        assert trace["wal"] == {"path": "/var/tempo/wal"}
        assert tempo["tempo"]["retention"] == f"{o['tempo'].retention_days * 24}h"
        assert tempo["persistence"] == {"enabled": True, "size": f"{o['tempo'].wal_gib}Gi"}
        # Buckets expire a day after the application's own retention (a backstop).
        assert {b.purpose: b.expire_days for b in BY_NAME["loki"].aws_needs(o["loki"]).buckets} == {"chunks": o["loki"].retention_days + 1, "ruler": None}
        assert {b.purpose: b.expire_days for b in BY_NAME["tempo"].aws_needs(o["tempo"]).buckets} == {"traces": o["tempo"].retention_days + 1}


def test_node_termination_handler_values_per_mode(envs) -> None:
    full, alt = envs
    queue = values(full, "aws-node-termination-handler")
    assert {k: v for k, v in queue.items() if k != "serviceAccount"} == {
        "enableSqsTerminationDraining": True,
        "queueURL": QUEUE_URL,
        "awsRegion": full.region,
        "checkTagBeforeDraining": True,
        "managedTag": f"kubernetes.io/cluster/{full.cluster_name}",
        "deleteSqsMsgIfNodeNotFound": True,
        # Chart values.yaml: the ServiceMonitor "needs enableSqsTerminationDraining: true and
        # enablePrometheusServer: true" (kube-prometheus-stack is enabled in these environments).
        "enablePrometheusServer": True,
        "serviceMonitor": {"create": True},
    }
    assert BY_NAME["aws-node-termination-handler"].aws_needs(full.addons["aws-node-termination-handler"]).interruption_queue is True
    imds = values(alt, "aws-node-termination-handler")
    assert {k: v for k, v in imds.items() if k != "serviceAccount"} == {
        "enableSqsTerminationDraining": False,
        "enableSpotInterruptionDraining": True,
        "enableScheduledEventDraining": True,
        "enableRebalanceMonitoring": True,
        "useHostNetwork": True,  # IMDSv2 with hop limit 1 (the launch templates') is reachable only from the host
        # Chart values.yaml: the PodMonitor "needs enableSqsTerminationDraining: false and enablePrometheusServer: true".
        "enablePrometheusServer": True,
        "podMonitor": {"create": True},
    }
    assert BY_NAME["aws-node-termination-handler"].aws_needs(alt.addons["aws-node-termination-handler"]).interruption_queue is False


def test_external_secrets_store_and_crds(envs) -> None:
    for env in envs:
        assert values(env, "external-secrets")["installCRDs"] is True
        assert values(env, "external-secrets")["crds"] == {"createClusterSecretStore": True, "unsafeServeV1Beta1": False}
        resources = BY_NAME["external-secrets"].custom_resources(ctx(env, "external-secrets"))
        listed = ALT_OPTIONS["external-secrets"]["store_namespaces"] if env.name == "alt" else ["monitoring"]
        if not listed:  # no namespace may use the environment-wide store: there is none
            assert resources is None
            continue
        assert resources.release == "cluster-secret-store"
        [store] = resources.manifests
        assert {k: v for k, v in store.items() if k != "spec"} == {
            "apiVersion": "external-secrets.io/v1",
            "kind": "ClusterSecretStore",
            "metadata": {"name": "aws-parameter-store"},
        }
        assert store["spec"]["provider"] == {"aws": {"service": "ParameterStore", "region": env.region}}
        assert store["spec"]["conditions"] == [{"namespaces": listed}]  # tests/addons/test_secret_store_scope.py judges what it serves
        for addon in ADDONS:
            # alloy: the Fargate log router's ConfigMap (dev.yaml has a Fargate profile), checked in
            # tests/render/test_render_observability.py with kube-prometheus-stack's alerting secret.
            # kube-prometheus-stack: Grafana's admin secret and dashboards (tests/render/test_render_grafana.py).
            # tigera-operator: Calico's monitors (tests/catalog/test_calico_monitors.py).
            if addon.name not in ("external-secrets", "alloy", "kube-prometheus-stack", "tigera-operator"):
                assert addon.custom_resources(ctx(env, addon.name)) is None
