"""The APIs EKS Auto Mode serves on its clusters without any chart, as CustomResourceDefinitions the
schema check validates the platform's Auto Mode objects against (``catalog/auto_mode.py``).

- ``karpenter.sh/v1`` NodePool: Auto Mode runs Karpenter and takes Karpenter's NodePool ("Create a
  Node Pool for EKS Auto Mode" shows the same spec); the schema is Karpenter's own CRD
  (``karpenter.sh_nodepools.yaml`` of the pinned karpenter-crd chart archive).
- ``eks.amazonaws.com/v1`` NodeClass and IngressClassParams: AWS publishes no CRD file; the schemas
  below hold the fields the EKS User Guide documents ("Create a Node Class for Amazon EKS", "Create
  an IngressClass to configure an Application Load Balancer"), strict at ``spec``, so a misspelt or
  invented field is a finding instead of an object the API server rejects at apply.
"""

from __future__ import annotations

import functools
import tarfile
from typing import Any

import yaml

from catalog.karpenter import KARPENTER_VERSION
from environments.auto_mode import running
from environments.schema import EnvironmentConfig
from tools.render.charts import find_chart, search_dirs

_SELECTOR_TERMS = {
    "type": "array",
    "items": {"type": "object", "properties": {"id": {"type": "string"}, "tags": {"type": "object"}, "name": {"type": "string"}}},
}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

NODE_CLASS_SPEC = {
    "type": "object",
    "properties": {
        "role": {"type": "string"},
        "instanceProfile": {"type": "string"},
        "subnetSelectorTerms": _SELECTOR_TERMS,
        "securityGroupSelectorTerms": _SELECTOR_TERMS,
        "podSubnetSelectorTerms": _SELECTOR_TERMS,
        "podSecurityGroupSelectorTerms": _SELECTOR_TERMS,
        "ephemeralStorage": {
            "type": "object",
            "properties": {"size": {"type": "string"}, "iops": {"type": "integer"}, "throughput": {"type": "integer"}, "kmsKeyID": {"type": "string"}},
        },
        "networkPolicy": {"type": "string", "enum": ["DefaultAllow", "DefaultDeny"]},
        "networkPolicyEventLogs": {"type": "string", "enum": ["Enabled", "Disabled"]},
        "snatPolicy": {"type": "string", "enum": ["Random", "Disabled"]},
        "tags": _STRING_MAP,
        "advancedNetworking": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "advancedSecurity": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "certificateBundles": {"type": "array", "items": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
    },
}

INGRESS_CLASS_PARAMS_SPEC = {
    "type": "object",
    "properties": {
        "scheme": {"type": "string", "enum": ["internal", "internet-facing"]},
        "ipAddressType": {"type": "string", "enum": ["ipv4", "dualstack"]},
        "group": {"type": "object", "properties": {"name": {"type": "string"}}},
        "namespaceSelector": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "subnets": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        "certificateARNs": {"type": "array", "items": {"type": "string"}},
        "sslPolicy": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "value": {"type": "string"}}}},
        "loadBalancerAttributes": {"type": "array", "items": {"type": "object", "properties": {"key": {"type": "string"}, "value": {"type": "string"}}}},
    },
}


def _crd(group: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    schema = {"type": "object", "properties": {"spec": spec}}
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "spec": {"group": group, "names": {"kind": kind}, "versions": [{"name": "v1", "served": True, "schema": {"openAPIV3Schema": schema}}]},
    }


@functools.cache
def karpenter_node_pool_crd() -> dict[str, Any]:
    archive = find_chart("karpenter-crd", KARPENTER_VERSION, search_dirs())
    with tarfile.open(archive) as tar:
        member = tar.extractfile("karpenter-crd/templates/karpenter.sh_nodepools.yaml")
        assert member is not None
        # A chart template: its only template lines are the optional annotations block; drop them.
        text = "\n".join(line for line in member.read().decode().splitlines() if not line.strip().startswith("{{"))
    crd: dict[str, Any] = yaml.safe_load(text)
    return crd


def auto_mode_crds(env: EnvironmentConfig) -> list[dict[str, Any]]:
    """The CRDs of what Auto Mode serves, when it runs in ``env``."""
    if not running(env):
        return []
    return [
        karpenter_node_pool_crd(),
        _crd("eks.amazonaws.com", "NodeClass", NODE_CLASS_SPEC),
        _crd("eks.amazonaws.com", "IngressClassParams", INGRESS_CLASS_PARAMS_SPEC),
    ]
