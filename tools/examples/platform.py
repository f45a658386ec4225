"""What the platform applies to a team namespace, read from the synthesized stacks (not re-derived
from the config): the namespaces with their Pod Security labels, the ResourceQuotas, LimitRanges
and NetworkPolicies of ``<env>-teams`` (modules/teams/kubernetes.py), its service accounts with
their IRSA roles' trust policies (``<env>-teams-aws``), and the EFS file system policy
(``<env>-storage``, modules/storage/efs_policy.py).

The kubernetes provider's blocks are snake_case and one level deeper than Kubernetes' objects;
``to_kubernetes`` turns them back into the JSON the API server would hold.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from tools.render.releases import Synthesized

Obj = dict[str, Any]
_REF = re.compile(r"^\$\{kubernetes_namespace_v1\.([\w-]+)\.metadata\[0\]\.name\}$")
_ROLE_REF = re.compile(r"aws_iam_role([\w-]+?)arn\}$")
# Keys whose values are maps of user data (labels, quantities): their keys are kept as they are.
# A role trust names the cluster's OIDC issuer and provider through cross-stack references that only
# an apply resolves: they are replaced by these stand-ins (the same in the request that is judged).
ISSUER = "oidc.eks.region.amazonaws.com/id/EXAMPLED539D4633E53DE1B7"
_ISSUER_REF = re.compile(r'\$\{replace\([^,]+, "https://", ""\)\}')
_REFERENCE = re.compile(r"\$\{[^}]+\}")
_MAPS = frozenset({"labels", "annotations", "match_labels", "hard", "default", "default_request", "max", "min"})


def camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def to_kubernetes(value: Any, key: str = "") -> Any:
    """snake_case provider blocks -> camelCase Kubernetes fields (``from_`` -> ``from``)."""
    if isinstance(value, dict):
        if key in _MAPS:
            return dict(value)
        return {camel(k.rstrip("_")): to_kubernetes(v, k) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [to_kubernetes(v, key) for v in value]
    return value


class PlatformMissing(Exception):
    """A stack the examples are checked against is not synthesized."""


@dataclass
class Platform:
    env: str
    namespaces: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> labels
    quotas: dict[str, list[Obj]] = field(default_factory=dict)  # namespace -> ResourceQuota objects
    limit_ranges: dict[str, list[Obj]] = field(default_factory=dict)
    network_policies: list[Obj] = field(default_factory=list)
    service_accounts: dict[tuple[str, str], str] = field(default_factory=dict)  # (ns, name) -> role logical id
    role_trust: dict[str, tuple[str, Obj]] = field(default_factory=dict)  # role logical id -> (role name, trust)
    efs_policy: Obj | None = None

    def psa(self, namespace: str) -> tuple[str, str]:
        labels = self.namespaces.get(namespace, {})
        return labels.get("pod-security.kubernetes.io/enforce", "privileged"), labels.get("pod-security.kubernetes.io/enforce-version", "latest")


def provider_arn(synth: Synthesized, env: str) -> str:
    account = synth.stack(f"{env}-teams-aws").get("provider", {}).get("aws", [{}])[0].get("allowed_account_ids", ["000000000000"])[0]
    return f"arn:aws:iam::{account}:oidc-provider/{ISSUER}"


def provider_arn_for(trust: Obj) -> str:
    """The federated principal a trust policy names (the stand-in provider ARN), for the request."""
    for statement in trust.get("Statement") or []:
        federated = (statement.get("Principal") or {}).get("Federated")
        if isinstance(federated, str):
            return federated
    return f"arn:aws:iam::000000000000:oidc-provider/{ISSUER}"


def read_platform(synth: Synthesized, env: str) -> Platform:
    for stack in (f"{env}-teams", f"{env}-teams-aws", f"{env}-storage"):
        if not synth.stack(stack):
            raise PlatformMissing(f"no {stack} stack in {synth.outdir}/stacks: synthesize {env} first (PLATFORM_ENVIRONMENTS={env} python main.py)")
    teams = synth.stack(f"{env}-teams")
    resources = teams.get("resource", {})
    ns_names = {key: body["metadata"]["name"] for key, body in resources.get("kubernetes_namespace_v1", {}).items()}
    platform = Platform(env)
    for key, body in resources.get("kubernetes_namespace_v1", {}).items():
        platform.namespaces[ns_names[key]] = dict(body["metadata"].get("labels") or {})

    def obj(kind: str, api: str, body: Obj) -> Obj:
        meta = dict(body["metadata"])
        ref = _REF.match(str(meta.get("namespace", "")))
        if ref:
            meta["namespace"] = ns_names[ref.group(1)]
        return {"apiVersion": api, "kind": kind, "metadata": meta, "spec": to_kubernetes(body.get("spec", {}))}

    for body in resources.get("kubernetes_resource_quota_v1", {}).values():
        o = obj("ResourceQuota", "v1", body)
        platform.quotas.setdefault(o["metadata"]["namespace"], []).append(o)
    for body in resources.get("kubernetes_limit_range_v1", {}).values():
        o = obj("LimitRange", "v1", body)
        o["spec"]["limits"] = o["spec"].pop("limit", [])  # the provider's block is `limit`, the API's list `limits`
        platform.limit_ranges.setdefault(o["metadata"]["namespace"], []).append(o)
    for body in resources.get("kubernetes_network_policy_v1", {}).values():
        platform.network_policies.append(obj("NetworkPolicy", "networking.k8s.io/v1", body))
    for body in resources.get("kubernetes_service_account_v1", {}).values():
        o = obj("ServiceAccount", "v1", body)
        role = _ROLE_REF.search(str((o["metadata"].get("annotations") or {}).get("eks.amazonaws.com/role-arn", "")))
        platform.service_accounts[(o["metadata"]["namespace"], o["metadata"]["name"])] = role.group(1) if role else ""
    for key, body in synth.stack(f"{env}-teams-aws").get("resource", {}).get("aws_iam_role", {}).items():
        trust = _ISSUER_REF.sub(ISSUER, body["assume_role_policy"])
        trust = _REFERENCE.sub(lambda m: provider_arn(synth, env) if "openid_connect_provider" in m.group(0) else m.group(0), trust)
        platform.role_trust[key] = (body["name"], json.loads(trust))
    for body in synth.stack(f"{env}-storage").get("resource", {}).get("aws_efs_file_system_policy", {}).values():
        platform.efs_policy = json.loads(body["policy"])
    return platform
