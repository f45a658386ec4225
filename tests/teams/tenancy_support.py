"""What the tenant isolation tests read and judge with, none of it the project's own logic:

* the admission policies as synthesized (``<env>-teams``, release ``team-admission``), their CEL
  evaluated by ``cel-python`` (an independent CEL implementation; Kubernetes' variables
  ``object``, ``namespaceObject`` and ``variables`` bound as the API server binds them);
* IAM decisions by ``@cloud-copilot/iam-simulate`` (tests/iam) over the synthesized policies;
* which roles a service account becomes: the synthesized trust policies' IRSA ``sub`` conditions
  and EKS Pod Identity associations.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import celpy

from tests.conftest import Synth
from tests.stacks.test_state_bucket_policy_semantics import evaluate

TEAM_LABEL = "platform.example.com/team"
_REF = re.compile(r"\$\{[^}]*\}")


def admission_manifests(synth: Synth, env: str) -> list[dict[str, Any]]:
    """The synthesized admission policies of ``env`` (none synthesized: none, every object admitted)."""
    found = [r for r in synth.resources(f"{env}-teams", "helm_release").values() if r["name"] == "team-admission"]
    return [m for release in found for m in json.loads(release["values"][0])["manifests"]]


def admits(manifests: list[dict[str, Any]], resource: str, obj: dict[str, Any], team: str) -> list[str]:
    """The messages of the failed validations of every bound policy matching ``resource`` (empty: admitted)."""
    namespace = {"metadata": {"name": obj["metadata"].get("namespace", ""), "labels": {TEAM_LABEL: team}}}
    bound = {m["spec"]["policyName"] for m in manifests if m["kind"] == "ValidatingAdmissionPolicyBinding" and m["spec"]["validationActions"] == ["Deny"]}
    failures: list[str] = []
    env = celpy.Environment()
    for policy in (m for m in manifests if m["kind"] == "ValidatingAdmissionPolicy" and m["metadata"]["name"] in bound):
        if not any(resource in rule["resources"] for rule in policy["spec"]["matchConstraints"]["resourceRules"]):
            continue
        activation: dict[str, Any] = {"object": celpy.json_to_cel(obj), "namespaceObject": celpy.json_to_cel(namespace)}
        variables = {}
        for variable in policy["spec"].get("variables", []):
            variables[variable["name"]] = env.program(env.compile(variable["expression"])).evaluate(activation)
        activation["variables"] = celpy.celtypes.MapType({celpy.celtypes.StringType(k): v for k, v in variables.items()})
        for validation in policy["spec"]["validations"]:
            result = env.program(env.compile(validation["expression"])).evaluate(activation)
            if result is not True and not (isinstance(result, celpy.celtypes.BoolType) and bool(result)):
                failures.append(validation["message"])
    return failures


def roles(synth: Synth, env: str) -> dict[str, dict[str, Any]]:
    """Logical id -> {subjects: IRSA subjects it trusts, policy: its inline policies' statements}."""
    out: dict[str, dict[str, Any]] = {}
    for stack in (s for s in synth.stack_names if s.startswith(f"{env}-")):
        for rid, role in synth.resources(stack, "aws_iam_role").items():
            trust = json.loads(_REF.sub("REF", role["assume_role_policy"]))
            subjects = []
            for statement in trust["Statement"]:
                for test in statement.get("Condition", {}).values():
                    for key, value in test.items():
                        if key.endswith(":sub"):
                            subjects += value if isinstance(value, list) else [value]
            out[f"{stack}/{rid}"] = {"subjects": subjects, "statements": []}
        # EKS Pod Identity: an association names the service account a role serves (its trust names
        # only pods.eks.amazonaws.com), https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html
        for association in synth.resources(stack, "aws_eks_pod_identity_association").values():
            match = re.fullmatch(r"\$\{aws_iam_role\.([^.]+)\.arn\}", association["role_arn"])
            assert match, f"{stack}: pod identity association of an unknown role {association['role_arn']}"
            out[f"{stack}/{match.group(1)}"]["subjects"].append(f"system:serviceaccount:{association['namespace']}:{association['service_account']}")
        for policy in synth.resources(stack, "aws_iam_role_policy").values():
            match = re.fullmatch(r"\$\{aws_iam_role\.([^.]+)\.(id|name)\}", policy["role"])
            assert match, f"{stack}: inline policy of an unknown role {policy['role']}"
            out[f"{stack}/{match.group(1)}"]["statements"] += json.loads(_REF.sub("REF", policy["policy"]))["Statement"]
    return out


def trusting(all_roles: dict[str, dict[str, Any]], namespace: str, service_account: str) -> list[str]:
    """The roles a pod of ``namespace`` running as ``service_account`` can become through IRSA."""
    subject = f"system:serviceaccount:{namespace}:{service_account}"
    return [rid for rid, role in all_roles.items() if any(fnmatch.fnmatchcase(subject, s) for s in role["subjects"])]


def readable(all_roles: dict[str, dict[str, Any]], role_ids: set[str], probes: dict[str, tuple[str, str]], region: str, account: str) -> set[str]:
    """Which owners' probe parameters any of ``role_ids`` may read, by the IAM evaluator."""
    requests, owners = [], []
    for rid in sorted(role_ids):
        policy = {"Version": "2012-10-17", "Statement": all_roles[rid]["statements"]}
        for owner, (action, path) in probes.items():
            requests.append(
                {
                    "principal": f"arn:aws:sts::{account}:assumed-role/{rid.rsplit('/', 1)[-1][:60]}/s",
                    "action": action,
                    "resource": f"arn:aws:ssm:{region}:{account}:parameter{path}",
                    "accountId": account,
                    "context": {},
                    "identityPolicy": policy,
                }
            )
            owners.append(owner)
    if not requests:
        return set()
    return {owner for owner, result in zip(owners, evaluate(requests), strict=True) if result["result"] == "Allowed"}
