"""Karpenter in the synthesized JSON: its AWS side (controller policy = the v1.14.1 template's,
queue and rules, node role and EC2_LINUX access entry, discovery tags) and its Kubernetes side
(pinned charts in order, settings from the stacks, NodePool/EC2NodeClass from config and valid
against the CRDs the chart ships). staging uses Karpenter; dev and prod the Cluster Autoscaler."""

from __future__ import annotations

import io
import json
import re
import tarfile
from functools import cache
from typing import Any

import pytest
import yaml

from catalog.addons.base import ClusterSide
from catalog.karpenter import addon as spec
from catalog.karpenter.policy import EVENT_PATTERNS, NODE_ROLE_POLICIES, POLICY_FILE, controller_policies, official_documents
from environments import EnvironmentConfig
from environments.karpenter import KARPENTER_VERSION
from tests.addons.test_addons import remote_value, statements, values_of
from tests.conftest import REFERENCE, Synth, chart_archive, missing_prerequisite

TEMPLATE = REFERENCE / "iam" / "karpenter_cloudformation_v1.14.1.yaml"


def reference(path: Any) -> Any:
    if not path.exists():
        missing_prerequisite(f"{path} not found (reference/ is part of the repository: restore it from git)")
    return path


class _CfnLoader(yaml.SafeLoader):
    """Reads a CloudFormation template: ``!Sub``/``!GetAtt``/``!Ref`` become their plain argument."""


_CfnLoader.add_multi_constructor(
    "!", lambda loader, suffix, node: loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else loader.construct_sequence(node)
)


@cache
def template() -> dict[str, Any]:
    return yaml.load(reference(TEMPLATE).read_text(), Loader=_CfnLoader)


def releases(s: Synth, env: str) -> dict[str, dict[str, Any]]:
    """Release name -> (logical id, body) of the environment's helm releases."""
    return {b["name"]: {"id": k, **b} for k, b in s.resources(f"{env}-addons", "helm_release").items()}


def karpenter_resources(s: Synth, env: str, type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in s.resources(f"{env}-addons-aws", type_).items() if k.startswith("karpenter_")}


@pytest.fixture(scope="module")
def staging(environments: dict[str, EnvironmentConfig]) -> EnvironmentConfig:
    env = environments["staging"]
    assert env.karpenter is not None
    return env


# ------------------------------------------------------------------------------------ AWS side


def test_the_policy_copy_is_the_reference_extraction_and_matches_the_template() -> None:
    assert json.loads(POLICY_FILE.read_text()) == json.loads(
        reference(REFERENCE / "iam" / POLICY_FILE.name.replace("_v1.14.1.json", "_v1.14.1_extracted.json")).read_text()
    )
    resources = template()["Resources"]
    for key, doc in official_documents().items():
        assert json.loads(resources[f"{key}Policy"]["Properties"]["PolicyDocument"]) == doc, key


def test_controller_policies_are_the_templates_with_only_its_parameters_filled_in(synth: Synth, staging: EnvironmentConfig) -> None:
    policies = karpenter_resources(synth, "staging", "aws_iam_policy")
    [node_role] = [k for k in karpenter_resources(synth, "staging", "aws_iam_role") if "node-role" in k]
    [queue] = karpenter_resources(synth, "staging", "aws_sqs_queue")
    resources = template()["Resources"]
    assert len(policies) == 6
    for body in policies.values():
        key = re.fullmatch(r"KarpenterController(\w+)Policy-staging-eks", body["name"]).group(1)
        expected = resources[f"{key}Policy"]["Properties"]["PolicyDocument"]
        for placeholder, value in {
            "${AWS::Partition}": "aws",
            "${AWS::Region}": staging.region,
            "${AWS::AccountId}": staging.account_id,
            "${ClusterName}": "staging-eks",
            "${KarpenterNodeRole.Arn}": f"${{aws_iam_role.{node_role}.arn}}",
            "${KarpenterInterruptionQueue.Arn}": f"${{aws_sqs_queue.{queue}.arn}}",
        }.items():
            expected = expected.replace(placeholder, value)
        assert json.loads(body["policy"]) == json.loads(expected), key
    # Every policy is on the controller's role, and nothing else is.
    attached = {a["policy_arn"] for a in karpenter_resources(synth, "staging", "aws_iam_role_policy_attachment").values() if "controller" in a["role"]}
    assert attached == {f"${{aws_iam_policy.{k}.arn}}" for k in policies}
    assert "karpenter" not in json.dumps(synth.resources("staging-addons-aws", "aws_iam_role_policy"))


def test_the_policy_is_scoped_to_this_cluster_by_its_tags() -> None:
    docs = controller_policies(cluster_name="c1", region="eu-west-1", account_id="123456789012", node_role_arn="NODE", queue_arn="QUEUE")
    text = json.dumps(docs)
    assert "${" not in text
    assert '"aws:ResourceTag/kubernetes.io/cluster/c1": "owned"' in text and '"aws:RequestTag/eks:eks-cluster-name": "c1"' in text
    assert docs["Interruption"]["Statement"][0]["Resource"] == "QUEUE"
    assert docs["IAMIntegration"]["Statement"][0]["Resource"] == "NODE"
    without = controller_policies(cluster_name="c1", region="eu-west-1", account_id="123456789012", node_role_arn="NODE", queue_arn=None)
    assert set(docs) - set(without) == {"Interruption"}


def test_interruption_queue_and_rules_are_the_templates(synth: Synth) -> None:
    [(queue_id, queue)] = karpenter_resources(synth, "staging", "aws_sqs_queue").items()
    assert queue["name"] == "staging-eks-karpenter"
    assert queue["message_retention_seconds"] == 300 and queue["sqs_managed_sse_enabled"] is True
    [policy] = karpenter_resources(synth, "staging", "aws_sqs_queue_policy").values()
    by_sid = {st["Sid"]: st for st in statements(policy["policy"])}
    deny = by_sid["DenyInsecureTransport"]
    assert deny["Effect"] == "Deny" and deny["Action"] == "sqs:*" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    rules = karpenter_resources(synth, "staging", "aws_cloudwatch_event_rule")
    template_patterns = sorted(
        json.dumps(r["Properties"]["EventPattern"], sort_keys=True) for r in template()["Resources"].values() if r["Type"] == "AWS::Events::Rule"
    )
    assert sorted(r["event_pattern"] for r in rules.values()) == template_patterns
    assert len(EVENT_PATTERNS) == len(template_patterns) == 5
    send = by_sid["EventBridgeRulesSend"]
    assert sorted(send["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(f"${{aws_cloudwatch_event_rule.{k}.arn}}" for k in rules)
    targets = karpenter_resources(synth, "staging", "aws_cloudwatch_event_target")
    assert len(targets) == 5 and {t["arn"] for t in targets.values()} == {f"${{aws_sqs_queue.{queue_id}.arn}}"}


def test_node_role_has_the_templates_managed_policies_and_an_ec2_linux_access_entry(synth: Synth) -> None:
    roles = karpenter_resources(synth, "staging", "aws_iam_role")
    [(node_id, node)] = [(k, v) for k, v in roles.items() if "node-role" in k]
    assert node["name"] == "staging-eks-karpenter-node"
    [trust] = statements(node["assume_role_policy"])
    assert trust["Principal"] == {"Service": "ec2.amazonaws.com"} and trust["Action"] == "sts:AssumeRole"
    attached = {
        a["policy_arn"].rsplit("/", 1)[1] for a in karpenter_resources(synth, "staging", "aws_iam_role_policy_attachment").values() if node_id in a["role"]
    }
    template_arns = template()["Resources"]["KarpenterNodeRole"]["Properties"]["ManagedPolicyArns"]
    assert attached == set(NODE_ROLE_POLICIES) == {a.rsplit("/", 1)[1] for a in template_arns}
    [entry] = karpenter_resources(synth, "staging", "aws_eks_access_entry").values()
    assert entry["type"] == "EC2_LINUX" and entry["principal_arn"] == f"${{aws_iam_role.{node_id}.arn}}"
    assert remote_value(synth, entry["cluster_name"]).startswith("${aws_eks_cluster.")


def test_discovery_tags_on_the_private_subnets_and_the_cluster_security_group(synth: Synth) -> None:
    for env, tagged in (("staging", True), ("dev", False), ("prod", False)):
        for body in synth.resources(f"{env}-network", "aws_subnet").values():
            private = "-private-" in body["tags"]["Name"]
            assert (body["tags"].get("karpenter.sh/discovery") == f"{env}-eks") is (tagged and private), (env, body["tags"])
    [tag] = synth.resources("staging-addons-aws", "aws_ec2_tag").values()
    assert tag["key"] == "karpenter.sh/discovery" and tag["value"] == "staging-eks"
    assert remote_value(synth, tag["resource_id"]).endswith(".vpc_config[0].cluster_security_group_id}")


def test_controller_irsa_trust_is_the_service_account_the_release_configures(synth: Synth) -> None:
    release = releases(synth, "staging")["karpenter"]
    values = values_of(release)
    annotation = values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"]
    role_id = re.fullmatch(r"\$\{aws_iam_role\.([\w-]+)\.arn\}", remote_value(synth, annotation)).group(1)
    role = synth.resources("staging-addons-aws", "aws_iam_role")[role_id]
    assert role["name"] == "staging-eks-karpenter"
    [statement] = statements(role["assume_role_policy"])
    subs = [v for k, v in statement["Condition"]["StringEquals"].items() if k.endswith(":sub")]
    assert subs == [f"system:serviceaccount:{release['namespace']}:{values['serviceAccount']['name']}"] == ["system:serviceaccount:kube-system:karpenter"]


# ------------------------------------------------------------------------------ Kubernetes side


def test_one_autoscaler_per_environment(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    for name, env in environments.items():
        if not env.addons and env.karpenter is None:
            continue
        names = set(releases(synth, name))
        if env.cluster.autoscaler == "karpenter":
            assert {"karpenter-crd", "karpenter", "karpenter-nodepools"} <= names and "cluster-autoscaler" not in names, name
        else:
            assert not names & {"karpenter-crd", "karpenter", "karpenter-nodepools"}, name
            assert not karpenter_resources(synth, name, "aws_iam_role") if f"{name}-addons-aws" in synth.stack_names else True
            assert ("cluster-autoscaler" in names) is ("cluster-autoscaler" in env.addons), name
    assert releases(synth, "dev").get("cluster-autoscaler") and releases(synth, "prod").get("cluster-autoscaler")


def test_charts_are_pinned_and_released_crds_then_controller_then_node_pools(synth: Synth) -> None:
    r = releases(synth, "staging")
    for name in ("karpenter-crd", "karpenter"):
        assert r[name]["repository"] == "oci://public.ecr.aws/karpenter" and r[name]["chart"] == name
        assert r[name]["version"] == KARPENTER_VERSION == "1.14.1"
        packaged = chart_archive(name, KARPENTER_VERSION)
        with tarfile.open(packaged) as tgz:
            chart = yaml.safe_load(tgz.extractfile(f"{name}/Chart.yaml").read())
        assert chart["version"] == r[name]["version"]
    # After its CRDs, after the load balancer controller whose Service webhook intercepts its Service,
    # and (its chart renders a ServiceMonitor) after the monitoring CRDs' releases, not the whole stack.
    assert r["karpenter"]["skip_crds"] is True
    crd_releases = sorted(f"helm_release.{rel['id']}" for name, rel in r.items() if name.startswith("kube-prometheus-stack-crds"))
    assert crd_releases, "staging enables kube-prometheus-stack: its CRDs come in their own releases"
    first, rest = r["karpenter"]["depends_on"][:2], r["karpenter"]["depends_on"][2:]
    assert first == [f"helm_release.{r['karpenter-crd']['id']}", f"helm_release.{r['aws-load-balancer-controller']['id']}"]
    assert sorted(rest) == crd_releases
    pools = r["karpenter-nodepools"]
    assert pools["depends_on"] == [f"helm_release.{r['karpenter']['id']}"] and pools["wait"] is True
    assert pools["chart"].startswith("assets/")


def test_settings_come_from_the_stacks(synth: Synth, staging: EnvironmentConfig) -> None:
    values = values_of(releases(synth, "staging")["karpenter"])
    [queue] = karpenter_resources(synth, "staging", "aws_sqs_queue").values()
    assert values["settings"] == {"clusterName": "staging-eks", "interruptionQueue": queue["name"]}
    assert synth.stack("staging-cluster")["resource"]["aws_eks_cluster"]
    assert [c["name"] for c in synth.stack("staging-cluster")["resource"]["aws_eks_cluster"].values()] == ["staging-eks"]
    # EKS's eks.amazonaws.com/nodegroup label holds the group's name (Amazon EKS User Guide, managed
    # node groups), generated at apply from node_group_name_prefix: the controller must select a
    # label its node group sets on its nodes itself.
    [group] = [
        g
        for g in synth.resources("staging-cluster", "aws_eks_node_group").values()
        if g.get("node_group_name_prefix") == f"{staging.karpenter.controller_node_group}-"
    ]
    assert "node_group_name" not in group and "eks.amazonaws.com/nodegroup" not in values["nodeSelector"]
    assert values["nodeSelector"] and values["nodeSelector"].items() <= (group.get("labels") or {}).items()
    assert staging.karpenter.controller_node_group in staging.cluster.node_groups
    assert values["replicas"] == staging.karpenter.replicas


def test_no_interruption_queue_setting_without_interruption_handling(staging: EnvironmentConfig) -> None:
    k = staging.karpenter.model_copy(update={"interruption_handling": False})
    ctx = ClusterSide(env=staging, options=k, cluster_name=staging.cluster_name)
    assert "interruptionQueue" not in spec.Karpenter().values(ctx)["settings"]


def manifests(s: Synth) -> list[dict[str, Any]]:
    return values_of(releases(s, "staging")["karpenter-nodepools"])["manifests"]


def test_node_class_and_pools_come_from_config(synth: Synth, staging: EnvironmentConfig) -> None:
    k = staging.karpenter
    objects = manifests(synth)
    [node_class] = [o for o in objects if o["kind"] == "EC2NodeClass"]
    assert (
        node_class["spec"]["role"]
        == synth.resources("staging-addons-aws", "aws_iam_role")[next(i for i in karpenter_resources(synth, "staging", "aws_iam_role") if "node-role" in i)][
            "name"
        ]
    )
    assert node_class["spec"]["amiSelectorTerms"] == [{"alias": k.ami_alias}]
    assert (
        node_class["spec"]["subnetSelectorTerms"] == node_class["spec"]["securityGroupSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "staging-eks"}}]
    )
    assert node_class["spec"]["metadataOptions"]["httpTokens"] == "required"
    pools = {o["metadata"]["name"]: o["spec"] for o in objects if o["kind"] == "NodePool"}
    assert set(pools) == set(k.node_pools)
    spot, cfg = pools["spot"], k.node_pools["spot"]
    reqs = {r["key"]: r["values"] for r in spot["template"]["spec"]["requirements"]}
    assert reqs["karpenter.sh/capacity-type"] == ["spot"] and reqs["karpenter.k8s.aws/instance-category"] == list(cfg.instance_categories)
    assert reqs["karpenter.k8s.aws/instance-size"] == list(cfg.instance_sizes) and reqs["kubernetes.io/arch"] == ["amd64"]
    assert spot["template"]["spec"]["taints"] == [{"key": "capacity", "value": "spot", "effect": "NoSchedule"}]
    assert spot["template"]["metadata"]["labels"] == cfg.labels
    assert spot["limits"] == {"cpu": str(cfg.limits.cpu), "memory": f"{cfg.limits.memory_gib}Gi"}
    assert spot["disruption"] == {
        "consolidationPolicy": "WhenEmptyOrUnderutilized",
        "consolidateAfter": "5m",
        "budgets": [{"nodes": "20%"}, {"nodes": "0", "schedule": "0 8 * * mon-fri", "duration": "10h", "reasons": ["Drifted"]}],
    }
    assert spot["template"]["spec"]["expireAfter"] == "720h"
    assert pools["default"]["template"]["spec"]["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "default"}


@cache
def crd_schemas() -> dict[str, dict[str, Any]]:
    """kind -> openAPIV3Schema of the served version, from the karpenter-crd chart archive."""
    found = {}
    with tarfile.open(chart_archive("karpenter-crd", KARPENTER_VERSION)) as tgz:
        for member in tgz.getmembers():
            if member.name.startswith("karpenter-crd/templates/") and member.name.endswith(".yaml"):
                text = tgz.extractfile(member).read().decode()
                # The only template directive: additionalAnnotations in metadata (no effect on the schema).
                text = re.sub(r"^\s*\{\{.*\}\}\s*$", "", text, flags=re.M)
                for doc in yaml.safe_load_all(io.StringIO(text)):
                    if doc and doc.get("kind") == "CustomResourceDefinition":
                        [version] = [v for v in doc["spec"]["versions"] if v.get("served")]
                        found[doc["spec"]["names"]["kind"]] = {
                            "version": f"{doc['spec']['group']}/{version['name']}",
                            "schema": version["schema"]["openAPIV3Schema"],
                        }
    return found


def test_node_class_and_pools_are_valid_against_the_crds_the_chart_ships(synth: Synth) -> None:
    import jsonschema

    schemas = crd_schemas()
    objects = manifests(synth)
    assert {o["kind"] for o in objects} == {"EC2NodeClass", "NodePool"}
    for obj in objects:
        crd = schemas[obj["kind"]]
        assert obj["apiVersion"] == crd["version"], obj["kind"]
        jsonschema.validate(obj, crd["schema"])
        # The API server prunes fields a structural schema does not declare: silently lost settings.
        assert unknown_fields(obj, crd["schema"]) == [], obj["kind"]
    # The checks can fail: a bad enum, or a field the CRD does not know, is found.
    broken = json.loads(json.dumps(objects[-1]))
    broken["spec"]["disruption"]["consolidationPolicy"] = "Always"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schemas[broken["kind"]]["schema"])
    broken["spec"]["template"]["spec"]["expiresAfter"] = "1h"
    assert unknown_fields(broken, schemas[broken["kind"]]["schema"]) == ["spec.template.spec.expiresAfter"]


def unknown_fields(obj: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Paths in ``obj`` that ``schema`` declares nowhere (``metadata`` is the API server's)."""
    found: list[str] = []
    if isinstance(obj, dict) and "properties" in schema:
        for key, value in obj.items():
            here = f"{path}.{key}" if path else key
            if here == "metadata":
                continue
            if key not in schema["properties"]:
                found.append(here)
            else:
                found += unknown_fields(value, schema["properties"][key], here)
    elif isinstance(obj, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, value in obj.items():
            found += unknown_fields(value, schema["additionalProperties"], f"{path}.{key}")
    elif isinstance(obj, list) and "items" in schema:
        for i, value in enumerate(obj):
            found += unknown_fields(value, schema["items"], f"{path}.{i}")
    return found
