"""Namespace sets, each named for what it is (one place for all of them)."""

from __future__ import annotations

# The namespaces the API server itself creates and keeps (Kubernetes docs, "Namespaces": "Initial
# namespaces" lists default, kube-node-lease, kube-public and kube-system). A team cannot claim
# one, and a Helm release installed into one must not try to create it.
KUBERNETES_BUILT_IN = frozenset({"default", "kube-node-lease", "kube-public", "kube-system"})

# The namespaces tigera-operator creates and owns (calico-node runs privileged on every node).
CALICO = frozenset({"calico-apiserver", "calico-system"})

# Namespaces the cluster and its network plugin own: system components with node-wide privileges
# run there, so writing into one reaches the whole cluster (``default`` is not one of them).
CLUSTER_SYSTEM = (KUBERNETES_BUILT_IN - {"default"}) | CALICO
