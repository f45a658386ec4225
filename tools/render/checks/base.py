"""What every check shares: the finding, the context, and walking the rendered objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from environments.schema import EnvironmentConfig
from tools.render.releases import Synthesized
from tools.render.render import Rendered

Obj = dict[str, Any]

# Cluster-scoped built-in kinds (everything else built-in is namespaced); CRD kinds use their scope.
CLUSTER_SCOPED = frozenset(
    {
        "APIService",
        "CSIDriver",
        "CSINode",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "IngressClass",
        "MutatingWebhookConfiguration",
        "Namespace",
        "Node",
        "PersistentVolume",
        "PriorityClass",
        "RuntimeClass",
        "StorageClass",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    }
)


@dataclass(frozen=True, order=True)
class Finding:
    environment: str
    release: str
    kind: str
    namespace: str
    name: str
    message: str

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.environment}: {self.release}: {self.kind} {where}: {self.message}"


@dataclass(frozen=True)
class Context:
    """One environment's rendered releases, its config, and its synthesized stacks."""

    env: EnvironmentConfig
    rendered: tuple[Rendered, ...]
    synth: Synthesized | None = None

    def objects(self) -> Iterator[tuple[Rendered, Obj]]:
        for item in self.rendered:
            for obj in item.objects:
                yield item, obj

    def crd_scopes(self) -> dict[str, str]:
        return {
            (obj.get("spec") or {}).get("names", {}).get("kind", ""): (obj.get("spec") or {}).get("scope", "Namespaced")
            for _, obj in self.objects()
            if obj.get("kind") == "CustomResourceDefinition"
        }

    def namespace_of(self, item: Rendered, obj: Obj, scopes: dict[str, str] | None = None) -> str:
        kind = obj.get("kind", "")
        if kind in CLUSTER_SCOPED or (scopes or {}).get(kind) == "Cluster":
            return ""
        return (obj.get("metadata") or {}).get("namespace") or item.release.namespace

    def finding(self, item: Rendered | str, obj: Obj | None, message: str, *, namespace: str | None = None) -> Finding:
        release = item if isinstance(item, str) else item.release.name
        obj = obj or {}
        ns = namespace if namespace is not None else (self.namespace_of(item, obj) if not isinstance(item, str) and obj else "")
        return Finding(self.env.name, release, obj.get("kind", ""), ns, (obj.get("metadata") or {}).get("name", ""), message)


def name_of(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def pod_spec(obj: Obj) -> Obj | None:
    """The pod spec a workload creates (None for objects that create no pods)."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        return (spec.get("template") or {}).get("spec")
    if kind == "CronJob":
        return (((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")
    return None


def pod_labels(obj: Obj) -> dict[str, str]:
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return (obj.get("metadata") or {}).get("labels") or {}
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    return ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}


def replicas(obj: Obj) -> int:
    """Pods a workload keeps (Deployment/StatefulSet/ReplicaSet: spec.replicas, default 1)."""
    spec = obj.get("spec") or {}
    if obj.get("kind") in ("Deployment", "StatefulSet", "ReplicaSet"):
        value = spec.get("replicas", 1)
        return int(value) if value is not None else 1
    return 1


def matches_selector(selector: Obj | None, labels: dict[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels + matchExpressions) against labels. Empty matches all."""
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    return all(_expression(e, labels) for e in selector.get("matchExpressions") or [])


def _expression(expr: Obj, labels: dict[str, str]) -> bool:
    key, op, values = expr.get("key"), expr.get("operator"), [str(v) for v in expr.get("values") or []]
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and values:
        try:
            have, want = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False
