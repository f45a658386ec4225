"""Add-ons in the synthesized JSON: releases, IRSA, least privilege, chart values, AWS side.

Uses the session synthesis of the checked-in environments (``synth`` in conftest) plus one more
session synthesis of two made-up environments: ``full`` (every add-on) and ``bare`` (none).
Chart facts are checked against the chart defaults vendored in ``reference/charts`` (sources and
sha256 in reference/README.md).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from catalog.addons.registry import ADDONS, BY_CLASS, BY_NAME
from environments import EnvironmentConfig, load_environments
from environments.identity import addon_identity
from tests import addon_facts
from tests.conftest import REFERENCE, ROOT, Synth, require, require_reference, run_main

CHARTS = REFERENCE / "charts"
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
REMOTE = re.compile(r"^\$\{data\.terraform_remote_state\.cross-stack-reference-input-([\w-]+)\.outputs\.([\w-]+)\}$")

# Subtrees a chart passes through verbatim into another configuration: their defaults show only an
# example, so keys below them belong to the application, not the chart. Each must be a map in the
# chart's defaults (checked). Everything else a release sets must exist in the chart's defaults,
# be declared by its values.schema.json, or sit under an empty-map default (annotations, labels,
# storageSpec: maps the chart renders as given).
OPEN_PATHS: dict[str, dict[tuple[str, ...], str]] = {
    "tigera-operator": {("installation",): "rendered as the Installation CR spec (templates/crs/custom-resources.yaml)"},
    "tempo": {("tempo", "storage", "trace"): "rendered verbatim as Tempo's storage.trace configuration"},
    "cluster-autoscaler": {("extraArgs",): "each key becomes a --<key>=<value> flag of the autoscaler"},
}
# Chart.yaml versions in git that differ from the published chart (see charts/SOURCES.md notes).
UNPUBLISHED_CHART_VERSION = {"tigera-operator": "v0.0"}


# ---------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="session")
def extremes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Synth, dict[str, EnvironmentConfig]]:
    """``full`` (every add-on, default options) and ``bare`` (no add-on), synthesized once."""
    env_dir = tmp_path_factory.mktemp("addon-envs")
    base = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
    # full: Grafana's admin password comes through the secret store (kube-prometheus-stack's check).
    full = {a.name: {} for a in ADDONS} | {"external-secrets": {"store_namespaces": ["monitoring"]}}
    for name, addons in (("full", full), ("bare", {})):
        raw = {**base, "name": name, "addons": addons}
        raw.pop("teams", None)  # teams need external-secrets, which ``bare`` lacks; tests/teams/test_teams.py covers them
        raw["state_backend"] = {**base["state_backend"], "bucket": f"acme-platform-{name}-tfstate"}
        if name == "bare" and "ci" in raw:
            raw["ci"] = {**raw["ci"], "create_oidc_provider": False}  # one GitHub OIDC provider per account
        (env_dir / f"{name}.yaml").write_text(yaml.safe_dump(raw))
    outdir = tmp_path_factory.mktemp("addon-synth") / "cdktf.out"
    proc = run_main(outdir, env_dir=env_dir)
    assert proc.returncode == 0, f"main.py failed:\n{proc.stdout}\n{proc.stderr}"
    return Synth(outdir), {e.name: e for e in load_environments(env_dir)}


@pytest.fixture(scope="session")
def all_envs(
    synth: Synth, real_environments: dict[str, EnvironmentConfig], extremes: tuple[Synth, dict[str, EnvironmentConfig]]
) -> list[tuple[Synth, EnvironmentConfig]]:
    """Every environment with add-ons, with the synthesis it is in."""
    extra_synth, extra = extremes
    found = [(synth, env) for env in real_environments.values() if env.addons]
    found += [(extra_synth, env) for env in extra.values() if env.addons]
    assert {e.name for _, e in found} >= {"dev", "staging", "prod", "full"}
    return found


def addon_releases(s: Synth, env: EnvironmentConfig) -> dict[str, dict[str, Any]]:
    """Add-on name -> its helm_release body (the release whose name is the add-on's)."""
    found: dict[str, dict[str, Any]] = {}
    for body in s.resources(f"{env.name}-addons", "helm_release").values():
        if body["name"] in BY_NAME:
            assert body["name"] not in found, f"two releases named {body['name']}"
            found[body["name"]] = body
    return found


def release_id(s: Synth, env: EnvironmentConfig, name: str) -> str:
    matches = [k for k, b in s.resources(f"{env.name}-addons", "helm_release").items() if b["name"] == name]
    assert len(matches) == 1
    return f"helm_release.{matches[0]}"


def addon_side(s: Synth, stack: str, type_: str) -> dict[str, dict[str, Any]]:
    """The add-ons' resources of ``type_`` in ``stack``: Karpenter's (construct "karpenter") are
    checked in test_karpenter.py."""
    return {k: v for k, v in s.resources(stack, type_).items() if not k.startswith("karpenter_")}


def values_of(release: dict[str, Any]) -> dict[str, Any]:
    assert len(release["values"]) == 1
    return json.loads(release["values"][0])


def remote_value(s: Synth, expression: str) -> str:
    """What a cross-stack reference points at: the source stack's output expression."""
    match = REMOTE.match(expression)
    assert match, f"not a cross-stack reference: {expression}"
    source, output = match.groups()
    return s.stack(source)["output"][output]["value"]


def dig(tree: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        assert isinstance(tree, dict) and part in tree, f"{'.'.join(path)} not found"
        tree = tree[part]
    return tree


def _interpolations_out(text: str) -> tuple[str, list[str]]:
    """Replace each ``${...}`` with a placeholder: Terraform evaluates them before the string is
    JSON, and an expression may hold quotes (``replace(x, "https://", "")``)."""
    out, found, i = [], [], 0
    while (start := text.find("${", i)) >= 0:
        depth, j = 0, start + 1
        while True:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            if depth == 0:
                break
            j += 1
        out.append(text[i:start] + f"@@{len(found)}@@")
        found.append(text[start : j + 1])
        i = j + 1
    return "".join(out) + text[i:], found


def _restore(tree: Any, found: list[str]) -> Any:
    if isinstance(tree, dict):
        return {_restore(k, found): _restore(v, found) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_restore(v, found) for v in tree]
    if isinstance(tree, str):
        return re.sub(r"@@(\d+)@@", lambda m: found[int(m.group(1))], tree)
    return tree


def statements(policy: str) -> list[dict[str, Any]]:
    text, found = _interpolations_out(policy)
    return _restore(json.loads(text), found)["Statement"]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_policies(s: Synth, env: EnvironmentConfig) -> dict[str, list[dict[str, Any]]]:
    """Role logical name -> statements of its inline policy."""
    stack = f"{env.name}-addons-aws"
    found: dict[str, list[dict[str, Any]]] = {}
    for body in s.resources(stack, "aws_iam_role_policy").values():
        role = re.fullmatch(r"\$\{aws_iam_role\.([\w-]+)\.id\}", body["role"]).group(1)
        found[role] = statements(body["policy"])
    return found


def reference_chart(name: str) -> Path:
    return require_reference("charts", name)


# ---------------------------------------------------------------------------- releases


def test_every_enabled_addon_has_exactly_one_release_pinned_to_the_reference_chart(all_envs) -> None:
    for s, env in all_envs:
        releases = addon_releases(s, env)
        assert set(releases) == set(env.addons), env.name
        for name, release in releases.items():
            chart = yaml.safe_load((reference_chart(name) / "Chart.yaml").read_text())
            assert release["chart"] == chart["name"]
            assert re.fullmatch(r"v?\d+\.\d+\.\d+", release["version"]), "exact versions only"
            if name in UNPUBLISHED_CHART_VERSION:
                assert chart["version"] == UNPUBLISHED_CHART_VERSION[name]
            else:
                assert release["version"] == chart["version"], name
            assert release["repository"] == addon_facts.RELEASES[name][0], name
            assert release["wait"] is True


def test_disabled_addons_yield_nothing_on_either_side(all_envs, extremes) -> None:
    extra_synth, extra = extremes
    assert not [n for n in extra_synth.stack_names if n.startswith("bare-addons")], "no add-on stacks without add-ons"
    assert "bare-cluster" in extra_synth.stack_names
    for s, env in all_envs:
        roles = {b["name"] for b in addon_side(s, f"{env.name}-addons-aws", "aws_iam_role").values()}
        buckets = {b["bucket"] for b in addon_side(s, f"{env.name}-addons-aws", "aws_s3_bucket").values()}
        # What is expected comes from the upstream projects (tests/addon_facts.py), not the specs.
        assert roles == addon_facts.expected_roles(env.cluster_name, env.addons), env.name
        assert buckets == {
            f"{env.name}-{env.account_id}-{name}-{purpose}"
            for name, purposes in addon_facts.expected_bucket_purposes(env.addons).items()
            for purpose in purposes
        }, env.name
        queue_mode = addon_facts.needs_interruption_queue(env.addons)
        assert bool(addon_side(s, f"{env.name}-addons-aws", "aws_sqs_queue")) == queue_mode
        assert bool(addon_side(s, f"{env.name}-addons-aws", "aws_cloudwatch_event_rule")) == queue_mode


def test_values_are_one_json_document_with_sorted_keys(all_envs) -> None:
    for s, env in all_envs:
        for release in s.resources(f"{env.name}-addons", "helm_release").values():
            assert "set" not in release
            [document] = release["values"]
            assert json.dumps(json.loads(document), sort_keys=True) == document


def test_releases_wait_for_what_they_depend_on(all_envs) -> None:
    for s, env in all_envs:
        releases = addon_releases(s, env)
        for name, release in releases.items():
            for dependency in (*BY_NAME[name].requires, *BY_NAME[name].after):
                other = BY_CLASS[dependency].name
                if other in env.addons:
                    assert release_id(s, env, other) in release.get("depends_on", []), (env.name, name, other)


# ---------------------------------------------------------------------------- IRSA


def test_irsa_trust_binds_each_role_to_the_service_account_its_release_configures(all_envs) -> None:
    for s, env in all_envs:
        aws_stack = f"{env.name}-addons-aws"
        issuer = s.stack(f"{env.name}-cluster")["resource"]["aws_eks_cluster"]
        # Karpenter's roles (construct "karpenter") are checked in test_karpenter.py.
        roles = {k: v for k, v in s.resources(aws_stack, "aws_iam_role").items() if not k.startswith("karpenter_")}
        bound: set[str] = set()
        for name, release in addon_releases(s, env).items():
            addon = BY_NAME[name]
            values = values_of(release)
            if addon.service_account is None:
                assert ROLE_ANNOTATION not in json.dumps(values)
                continue
            # The block sits where the chart's defaults keep their service account.
            defaults = yaml.safe_load((reference_chart(name) / "values.yaml").read_text())
            assert {"create", "name", "annotations"} <= set(dig(defaults, addon.service_account.values_path))
            block = dig(values, addon.service_account.values_path)
            annotation = block.get("annotations", {}).get(ROLE_ANNOTATION)
            if not addon_facts.calls_aws(name, env.addons[name]):
                assert annotation is None, f"{env.name}/{name} calls no AWS API but is annotated with a role"
                continue
            if addon_identity(env, name) == "pod_identity":
                # EKS Pod Identity binds the role by association, never by annotation, and the role
                # trusts pods.eks.amazonaws.com (EKS User Guide, "Create IAM role with trust policy
                # required by EKS Pod Identity"); the association is tests/stacks/test_pod_identity.py's.
                assert annotation is None, f"{env.name}/{name} uses EKS Pod Identity but is annotated with a role"
                [(key, role)] = [(k, r) for k, r in roles.items() if r["name"] == f"{env.cluster_name}-{name}"]
                [statement] = statements(role["assume_role_policy"])
                assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}, statement
                assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"], statement
                bound.add(key)
                continue
            assert annotation is not None, f"{env.name}/{name} calls AWS: its service account needs {ROLE_ANNOTATION}"
            role_ref = re.fullmatch(r"\$\{aws_iam_role\.([\w-]+)\.arn\}", remote_value(s, annotation))
            assert role_ref, annotation
            role = roles[role_ref.group(1)]
            bound.add(role_ref.group(1))
            # The IRSA statement (an EKS Pod Identity one, while migrating: tests/stacks/test_pod_identity.py).
            [statement] = [st for st in statements(role["assume_role_policy"]) if "Federated" in st["Principal"]]
            assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
            assert re.fullmatch(r"\$\{aws_iam_openid_connect_provider\.[\w-]+\.arn\}", remote_value(s, statement["Principal"]["Federated"]))
            conditions = statement["Condition"]["StringEquals"]
            assert len(conditions) == 2
            prefixes = {key.rsplit(":", 1)[0] for key in conditions}
            assert len(prefixes) == 1
            # The prefix is the cluster's OIDC issuer (cross-stack), without its scheme.
            [prefix] = prefixes
            assert "identity0oidc0issuer" in prefix and '"https://", ""' in prefix and len(issuer) == 1
            namespace = release["namespace"]
            assert conditions[f"{prefix}:sub"] == f"system:serviceaccount:{namespace}:{block['name']}"
            assert conditions[f"{prefix}:aud"] == "sts.amazonaws.com"
            assert block["create"] is True
        assert bound == set(roles), f"{env.name}: roles without a service account: {set(roles) - bound}"
        assert {roles[r]["name"] for r in bound} == addon_facts.expected_roles(env.cluster_name, env.addons), env.name


# ---------------------------------------------------------------------------- least privilege

# Actions on resources every environment knows (its zones, SSM path, key, buckets, queue, file
# system, tagged autoscaling groups): never granted on "*".
SCOPABLE = re.compile(
    r"^(route53:(ChangeResourceRecordSets|ListResourceRecordSets|ListTagsForResources)"
    r"|ssm:(GetParameter|GetParameters|GetParametersByPath|ListTagsForResource)"
    r"|kms:.*|s3:.*|sqs:.*"
    r"|elasticfilesystem:(CreateAccessPoint|DeleteAccessPoint|TagResource|DescribeAccessPoints|DescribeFileSystems|DescribeMountTargets)"
    r"|autoscaling:(SetDesiredCapacity|TerminateInstanceInAutoScalingGroup|CompleteLifecycleAction))$"
)


def test_no_wildcard_resource_for_actions_on_resources_the_environment_knows(all_envs) -> None:
    for s, env in all_envs:
        for role, policy in role_policies(s, env).items():
            for statement in policy:
                if statement["Effect"] == "Deny":  # narrows what is allowed (External Secrets: no team path)
                    continue
                assert statement["Effect"] == "Allow"
                for action in as_list(statement["Action"]):
                    assert "*" not in action.split(":")[1] or action.startswith("kms:ReEncrypt"), f"{role}: wildcard action {action}"
                    if SCOPABLE.match(action):
                        resources = as_list(statement["Resource"])
                        assert "*" not in resources, f"{env.name} {role}: {action} on *"
                        assert all(not r.endswith(":*") for r in resources), f"{env.name} {role}: {action} on {resources}"


def _statements_with(policy: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    return [st for st in policy if action in as_list(st["Action"])]


def _role_key(s: Synth, env: EnvironmentConfig, addon: str) -> str:
    roles = s.resources(f"{env.name}-addons-aws", "aws_iam_role")
    [key] = [k for k, b in roles.items() if b["name"] == f"{env.cluster_name}-{addon}"]
    return key


def test_policies_are_scoped_to_this_environments_resources(all_envs) -> None:
    for s, env in all_envs:
        policies = role_policies(s, env)
        cluster = s.stack(f"{env.name}-cluster")["resource"]
        [kms_key] = cluster["aws_kms_key"]
        if "external-dns" in env.addons:
            [change] = _statements_with(policies[_role_key(s, env, "external-dns")], "route53:ChangeResourceRecordSets")
            assert sorted(change["Resource"]) == sorted(f"arn:aws:route53:::hostedzone/{z}" for z in env.dns.hosted_zone_ids)
        if "external-secrets" in env.addons:
            policy = policies[_role_key(s, env, "external-secrets")]
            [read] = _statements_with(policy, "ssm:GetParameter")
            prefix = f"arn:aws:ssm:{env.region}:{env.account_id}:parameter/{env.name}"
            assert sorted(read["Resource"]) == [prefix, f"{prefix}/*"]
            [decrypt] = _statements_with(policy, "kms:Decrypt")
            assert remote_value(s, decrypt["Resource"]) == f"${{aws_kms_key.{kms_key}.arn}}"
        if "cluster-autoscaler" in env.addons:
            [scale] = _statements_with(policies[_role_key(s, env, "cluster-autoscaler")], "autoscaling:SetDesiredCapacity")
            # The condition names exactly the tags the cluster stack puts on its node groups.
            for group in cluster["aws_eks_node_group"].values():
                for key, value in scale["Condition"]["StringEquals"].items():
                    assert group["tags"][key.removeprefix("aws:ResourceTag/")] == value
            assert f"aws:ResourceTag/k8s.io/cluster-autoscaler/{env.cluster_name}" in scale["Condition"]["StringEquals"]
        for addon in ("loki", "tempo"):
            if addon in env.addons:
                buckets = s.resources(f"{env.name}-addons-aws", "aws_s3_bucket")
                own = {f"${{aws_s3_bucket.{k}.arn}}" for k, b in buckets.items() if f"-{addon}-" in b["bucket"]}
                [objects] = _statements_with(policies[_role_key(s, env, addon)], "s3:GetObject")
                assert set(objects["Resource"]) == own | {f"{arn}/*" for arn in own}
        if "aws-node-termination-handler" in env.addons and env.addons["aws-node-termination-handler"].mode == "queue":
            [queue] = s.resources(f"{env.name}-addons-aws", "aws_sqs_queue")
            [receive] = _statements_with(policies[_role_key(s, env, "aws-node-termination-handler")], "sqs:ReceiveMessage")
            assert receive["Resource"] == f"${{aws_sqs_queue.{queue}.arn}}"
        if "aws-load-balancer-controller" in env.addons:
            policy = policies[_role_key(s, env, "aws-load-balancer-controller")]
            for st in _statements_with(policy, "ec2:AuthorizeSecurityGroupIngress"):
                assert st.get("Condition"), "security group rule changes only on tagged groups or in this VPC"


def official_policy(file: str) -> list[dict[str, Any]]:
    """The official document: the project's verbatim copy in catalog/addons/policies (compared
    with reference/iam by test_addons_config), read as a file, not through the spec."""
    return json.loads((ROOT / "catalog" / "addons" / "policies" / file).read_text())["Statement"]


def test_load_balancer_controller_role_has_the_official_policy_plus_only_the_vpc_condition(all_envs) -> None:
    """The synthesized policy (not the spec's copy of the file) is the project's
    docs/install/iam_policy.json v3.5.0 statement for statement; the one change is the install guide's
    hardening: the unconditioned security-group ingress statement limited to this environment's VPC."""
    official = official_policy("aws-load-balancer-controller_iam_policy_v3.5.0.json")
    unconditioned = [
        i
        for i, st in enumerate(official)
        if "Condition" not in st and sorted(st["Action"]) == ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]
    ]
    assert len(unconditioned) == 1 and len(official) > 10
    seen = 0
    for s, env in all_envs:
        if "aws-load-balancer-controller" not in env.addons:
            continue
        seen += 1
        synthesized = role_policies(s, env)[_role_key(s, env, "aws-load-balancer-controller")]
        [vpc_key] = s.stack(f"{env.name}-network")["resource"]["aws_vpc"]
        condition = synthesized[unconditioned[0]].get("Condition", {}).get("ArnEquals", {}).get("ec2:Vpc", "")
        prefix = f"arn:aws:ec2:{env.region}:{env.account_id}:vpc/"
        assert condition.startswith(prefix), condition
        assert remote_value(s, condition.removeprefix(prefix)) == f"${{aws_vpc.{vpc_key}.id}}"
        expected = [dict(st) for st in official]
        expected[unconditioned[0]]["Condition"] = {"ArnEquals": {"ec2:Vpc": condition}}
        assert synthesized == expected, env.name
    assert seen >= 3


# ---------------------------------------------------------------------------- chart values


def _unknown_keys(values: dict, defaults: Any, schema: dict | None, open_paths: dict, path: tuple[str, ...] = ()) -> list[str]:
    unknown = []
    for key, value in values.items():
        here = (*path, key)
        if here in open_paths:
            assert isinstance(dig(defaults, (key,)), dict), f"open path {'.'.join(here)} is not a map in the defaults"
            continue
        sub_schema = (schema or {}).get("properties", {}).get(key) if schema else None
        if isinstance(defaults, dict) and key in defaults:
            default = defaults[key]
            if isinstance(value, dict) and isinstance(default, dict) and default:
                unknown += _unknown_keys(value, default, sub_schema, open_paths, here)
            continue
        if sub_schema is not None or (path and schema is not None and schema.get("additionalProperties") is True):
            continue
        unknown.append(".".join(here))
    return unknown


def test_every_values_key_exists_in_the_chart_defaults_or_schema(all_envs) -> None:
    for s, env in all_envs:
        for name, release in addon_releases(s, env).items():
            directory = reference_chart(name)
            defaults = yaml.safe_load((directory / "values.yaml").read_text())
            schema_file = directory / "values.schema.json"
            schema = json.loads(schema_file.read_text()) if schema_file.exists() else None
            unknown = _unknown_keys(values_of(release), defaults, schema, OPEN_PATHS.get(name, {}))
            assert not unknown, f"{env.name}/{name}: keys not in the chart: {unknown}"


def _merge(base: Any, over: Any) -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        return {**base, **{k: _merge(base.get(k), v) for k, v in over.items()}}
    return over


def test_values_merged_with_defaults_satisfy_the_charts_schema(all_envs) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is not installed")
    checked = set()
    for s, env in all_envs:
        for name, release in addon_releases(s, env).items():
            schema_file = reference_chart(name) / "values.schema.json"
            if not schema_file.exists():
                continue
            defaults = yaml.safe_load((schema_file.parent / "values.yaml").read_text())
            jsonschema.validate(_merge(defaults, values_of(release)), json.loads(schema_file.read_text()))
            checked.add(name)
    assert {"aws-ebs-csi-driver", "external-secrets", "external-dns", "loki"} <= checked


def test_values_follow_the_environment(all_envs) -> None:
    for s, env in all_envs:
        releases = addon_releases(s, env)
        [cluster] = s.stack(f"{env.name}-cluster")["resource"]["aws_eks_cluster"].values()
        if "cluster-autoscaler" in releases:
            values = values_of(releases["cluster-autoscaler"])
            assert values["autoDiscovery"]["clusterName"] == cluster["name"]
            # Autoscaler minor == cluster minor (the chart's default image is for 1.35).
            assert re.fullmatch(rf"v{re.escape(cluster['version'])}\.\d+", values["image"]["tag"])
            assert values["awsRegion"] == env.region
        if "external-dns" in releases:
            values = values_of(releases["external-dns"])
            assert values["domainFilters"] == [env.dns.domain]
            assert values["txtOwnerId"] == cluster["name"]
            assert values["policy"] == env.addons["external-dns"].policy
        if "aws-load-balancer-controller" in releases:
            values = values_of(releases["aws-load-balancer-controller"])
            assert values["clusterName"] == cluster["name"] and values["region"] == env.region
            assert remote_value(s, values["vpcId"]).startswith("${aws_vpc.")
        if "loki" in releases:
            values = values_of(releases["loki"])
            mode = env.addons["loki"].mode
            assert values["deploymentMode"] == mode
            single = values["singleBinary"]["replicas"]
            scalable = {values[k]["replicas"] for k in ("read", "write", "backend")}
            assert (single, scalable) == ((1, {0}) if mode == "Monolithic" else (0, {3}))
            buckets = values["loki"]["storage"]["bucketNames"]
            assert {remote_value(s, b) for b in buckets.values()} == {
                f"${{aws_s3_bucket.{k}.bucket}}" for k, b in s.resources(f"{env.name}-addons-aws", "aws_s3_bucket").items() if "-loki-" in b["bucket"]
            }
        if "aws-node-termination-handler" in releases:
            values = values_of(releases["aws-node-termination-handler"])
            queue_mode = env.addons["aws-node-termination-handler"].mode == "queue"
            assert values["enableSqsTerminationDraining"] is queue_mode
            if queue_mode:
                [queue] = s.resources(f"{env.name}-addons-aws", "aws_sqs_queue")
                assert remote_value(s, values["queueURL"]) == f"${{aws_sqs_queue.{queue}.url}}"
    assert values_of(addon_releases(*[(s, e) for s, e in all_envs if e.name == "dev"][0])["loki"])["deploymentMode"] == "Monolithic"


# ---------------------------------------------------------------------------- Kubernetes side


def test_provider_authenticates_from_the_cluster_stack_without_kubeconfig(all_envs) -> None:
    for s, env in all_envs:
        stack = s.stack(f"{env.name}-addons")
        assert set(stack["provider"]) == {"aws", "helm"}
        [auth_key] = stack["ephemeral"]["aws_eks_cluster_auth"]  # opened at apply (test_cluster_token.py)
        [cluster_key] = s.stack(f"{env.name}-cluster")["resource"]["aws_eks_cluster"]
        local = stack["ephemeral"]["aws_eks_cluster_auth"][auth_key]["name"].removeprefix("${local.").removesuffix("}")
        assert remote_value(s, stack["locals"][local]) == f"${{aws_eks_cluster.{cluster_key}.name}}"
        connection = stack["provider"]["helm"][0]["kubernetes"]
        assert set(connection) == {"host", "cluster_ca_certificate", "token"}
        assert remote_value(s, connection["host"]) == f"${{aws_eks_cluster.{cluster_key}.endpoint}}"
        ca = re.fullmatch(r"\$\{base64decode\((.+)\)\}", connection["cluster_ca_certificate"]).group(1)
        assert remote_value(s, "${" + ca + "}") == f"${{aws_eks_cluster.{cluster_key}.certificate_authority[0].data}}"
        assert connection["token"] == f"${{ephemeral.aws_eks_cluster_auth.{auth_key}.token}}"


def test_csi_drivers_create_their_storage_classes_bound_to_env_resources(all_envs) -> None:
    for s, env in all_envs:
        releases = addon_releases(s, env)
        if "aws-ebs-csi-driver" in env.addons:
            [gp3] = values_of(releases["aws-ebs-csi-driver"])["storageClasses"]
            assert gp3["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true"
            assert gp3["parameters"]["type"] == "gp3" and gp3["parameters"]["encrypted"] == "true"
            [kms_key] = s.stack(f"{env.name}-cluster")["resource"]["aws_kms_key"]
            assert remote_value(s, gp3["parameters"]["kmsKeyId"]) == f"${{aws_kms_key.{kms_key}.arn}}"
            for dependent in ("loki", "tempo", "kube-prometheus-stack"):
                if dependent in releases:
                    assert release_id(s, env, "aws-ebs-csi-driver") in releases[dependent]["depends_on"]
        if "aws-efs-csi-driver" in env.addons:
            [efs] = values_of(releases["aws-efs-csi-driver"])["storageClasses"]
            [fs] = s.stack(f"{env.name}-storage")["resource"]["aws_efs_file_system"]
            assert remote_value(s, efs["parameters"]["fileSystemId"]) == f"${{aws_efs_file_system.{fs}.id}}"
            assert efs["parameters"]["provisioningMode"] == "efs-ap"
        # Exactly one default class per cluster.
        defaults = [
            sc
            for r in releases.values()
            for sc in values_of(r).get("storageClasses", [])
            if sc.get("annotations", {}).get("storageclass.kubernetes.io/is-default-class") == "true"
        ]
        assert len(defaults) == ("aws-ebs-csi-driver" in env.addons)


def test_cluster_secret_store_is_applied_after_the_operator(all_envs) -> None:
    for s, env in all_envs:
        if "external-secrets" not in env.addons:
            continue
        listed = env.addons["external-secrets"].store_namespaces  # the file's list, as parsed
        stores = [b for b in s.resources(f"{env.name}-addons", "helm_release").values() if b["name"] == "cluster-secret-store"]
        if not listed:  # no namespace may use it: no store
            assert stores == []
            continue
        [store] = stores
        assert store["depends_on"] == [release_id(s, env, "external-secrets")]
        chart_dir = s.outdir / "stacks" / f"{env.name}-addons" / store["chart"]
        assert (chart_dir / "Chart.yaml").exists() and (chart_dir / "templates").is_dir()
        [manifest] = values_of(store)["manifests"]
        assert manifest["kind"] == "ClusterSecretStore" and manifest["apiVersion"] == "external-secrets.io/v1"
        assert manifest["spec"]["provider"]["aws"] == {"service": "ParameterStore", "region": env.region}
        assert manifest["spec"]["conditions"] == [{"namespaces": sorted(listed)}]


def test_releases_create_their_namespace_outside_kube_system(all_envs) -> None:
    for s, env in all_envs:
        for name, release in addon_releases(s, env).items():
            assert release["namespace"] == addon_facts.RELEASES[name][1], name
            assert release.get("create_namespace", False) is (release["namespace"] != "kube-system")


# ---------------------------------------------------------------------------- AWS side


def test_addon_buckets_are_private_encrypted_with_the_env_key_and_expire(all_envs) -> None:
    for s, env in all_envs:
        stack = f"{env.name}-addons-aws"
        buckets = s.resources(stack, "aws_s3_bucket")
        [kms_key] = s.stack(f"{env.name}-cluster")["resource"]["aws_kms_key"]
        for key, bucket in buckets.items():
            assert bucket["bucket"].startswith(f"{env.name}-{env.account_id}-")
            ref = f"${{aws_s3_bucket.{key}.id}}"
            [sse] = [b for b in s.resources(stack, "aws_s3_bucket_server_side_encryption_configuration").values() if b["bucket"] == ref]
            default = sse["rule"][0]["apply_server_side_encryption_by_default"]
            assert default["sse_algorithm"] == "aws:kms"
            assert remote_value(s, default["kms_master_key_id"]) == f"${{aws_kms_key.{kms_key}.arn}}"
            [block] = [b for b in s.resources(stack, "aws_s3_bucket_public_access_block").values() if b["bucket"] == ref]
            assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"))
            [lifecycle] = [b for b in s.resources(stack, "aws_s3_bucket_lifecycle_configuration").values() if b["bucket"] == ref]
            [rule] = lifecycle["rule"]
            assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 1}]
            addon = next(a for a in ("loki", "tempo") if f"-{a}-" in bucket["bucket"])
            if bucket["bucket"].endswith(("-chunks", "-traces")):
                assert rule["expiration"] == [{"days": env.addons[addon].retention_days + 1}]
            [policy] = [b for b in s.resources(stack, "aws_s3_bucket_policy").values() if b["bucket"] == ref]
            [deny] = statements(policy["policy"])
            assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_interruption_queue_is_fed_only_by_its_rules(all_envs) -> None:
    for s, env in all_envs:
        stack = f"{env.name}-addons-aws"
        queues = addon_side(s, stack, "aws_sqs_queue")
        if not queues:
            continue
        [(queue_key, queue)] = queues.items()
        assert queue["sqs_managed_sse_enabled"] is True and queue["message_retention_seconds"] == 300
        rules = addon_side(s, stack, "aws_cloudwatch_event_rule")
        sources = {json.loads(r["event_pattern"])["detail-type"][0] for r in rules.values()}
        assert sources == {
            "AWS Health Event",
            "EC2 Spot Instance Interruption Warning",
            "EC2 Instance Rebalance Recommendation",
            "EC2 Instance State-change Notification",
        }
        targets = addon_side(s, stack, "aws_cloudwatch_event_target")
        assert sorted(t["rule"] for t in targets.values()) == sorted(f"${{aws_cloudwatch_event_rule.{k}.name}}" for k in rules)
        assert all(t["arn"] == f"${{aws_sqs_queue.{queue_key}.arn}}" for t in targets.values())
        [policy] = addon_side(s, stack, "aws_sqs_queue_policy").values()
        allow = [st for st in statements(policy["policy"]) if st["Effect"] == "Allow"]
        assert len(allow) == 1 and allow[0]["Principal"] == {"Service": "events.amazonaws.com"}
        assert sorted(allow[0]["Condition"]["ArnEquals"]["aws:SourceArn"]) == sorted(f"${{aws_cloudwatch_event_rule.{k}.arn}}" for k in rules)


def test_addons_aws_stack_uses_only_the_aws_provider(all_envs) -> None:
    for s, env in all_envs:
        assert set(s.stack(f"{env.name}-addons-aws")["provider"]) == {"aws"}


def test_full_addons_aws_stack_passes_terraform_validate(extremes, tf_env: dict[str, str]) -> None:
    from tools.gates.validate import init, validate

    env = tf_env
    s, _ = extremes
    stack = s.outdir / "stacks" / "full-addons-aws"
    # validate needs the provider installed: init (without a backend) first.
    result = init(stack, env) or validate(stack, env)
    assert result.ok, result.detail


def test_full_addons_aws_stack_passes_checkov_with_reasons_for_every_skip(extremes, tmp_path: Path) -> None:
    from tools.gates.checkov import CHECKOV, evaluate

    require(CHECKOV.exists(), f"checkov at {CHECKOV}", "make checkov-venv")
    s, _ = extremes
    root = tmp_path / "stacks"
    shutil.copytree(s.outdir / "stacks" / "full-addons-aws", root / "full-addons-aws")
    findings = evaluate(root)
    unaccepted = [f"{f.resource} {f.check_id} {f.check_name}" for f in findings if f.reason is None]
    assert not unaccepted
    assert all(f.reason and f.reason.strip() for f in findings)
