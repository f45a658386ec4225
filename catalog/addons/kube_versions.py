"""Which Kubernetes minors each pinned chart and image supports, checked against ``cluster.version``.

Pure Python, called from ``registry.check_environment`` while a file is validated, so a cluster
version an enabled add-on cannot run on fails at load time naming ``cluster.version``.

Two sources per add-on:
- the chart's own ``kubeVersion`` (Chart.yaml of the pinned archive; tests/config/test_lifecycle_config.py
  compares this table with ../shared/reference/packaged/ when the archives are present);
- a documented range where the chart declares none or declares less than the project supports
  (``SUPPORTED``), each with its source.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from catalog.addons.cluster_autoscaler import IMAGE_TAGS

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig

# chart name -> (pinned chart version, Chart.yaml kubeVersion or None when the chart declares none)
CHART_KUBE_VERSION: dict[str, tuple[str, str | None]] = {
    "aws-ebs-csi-driver": ("2.64.0", ">=1.17.0-0"),
    "aws-efs-csi-driver": ("4.4.1", ">=1.17.0-0"),
    "aws-load-balancer-controller": ("3.5.0", None),
    "aws-node-termination-handler": ("0.27.6", ">= 1.16-0"),
    "cluster-autoscaler": ("9.59.0", None),
    "external-dns": ("1.21.1", None),
    "external-secrets": ("2.9.0", ">= 1.19.0-0"),
    "kube-prometheus-stack": ("88.5.3", ">=1.25.0-0"),
    "loki": ("18.11.0", ">=1.25.0-0"),
    "metrics-server": ("3.13.1", None),
    "sealed-secrets": ("2.18.5", ">=1.16.0-0"),
    "tempo": ("2.2.4", None),
    "tigera-operator": ("v3.30.7", None),
}

# add-on name -> (lowest, highest) Kubernetes minor it is documented to run on, and the source.
SUPPORTED: dict[str, tuple[str, str, str]] = {
    # Calico 3.30 system requirements (docs.tigera.io/calico/3.30/getting-started/kubernetes/requirements).
    "tigera-operator": ("1.31", "1.35", "Calico v3.30 supports Kubernetes 1.31-1.35"),
}

_CLAUSE = re.compile(r"(>=|<=|==|!=|>|<|=)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[0-9A-Za-z.]*)?\s*")


def _as_tuple(version: str) -> tuple[int, int, int]:
    major, minor = version.split(".")[:2]
    return (int(major), int(minor), 0)


def satisfies(version: str, constraint: str) -> bool:
    """Whether Kubernetes ``version`` (``"1.34"``, as patch 0) meets a Chart.yaml ``kubeVersion``.

    Handles the comparison clauses charts use (``>=1.25.0-0``, ``>= 1.16-0``, ``<1.36.0-0``),
    space- or comma-separated, all of which must hold; ``||`` alternatives any of which may.
    """
    wanted = _as_tuple(version)
    for alternative in constraint.split("||"):
        text = alternative.replace(",", " ").strip()
        clauses = list(_CLAUSE.finditer(text))
        if not clauses or "".join(m.group(0) for m in clauses).replace(" ", "") != text.replace(" ", ""):
            raise ValueError(f"unsupported kubeVersion constraint {constraint!r}")
        ok = True
        for m in clauses:
            op = m.group(1) or "="
            bound = (int(m.group(2)), int(m.group(3) or 0), int(m.group(4) or 0))
            ok &= {
                ">=": wanted >= bound,
                "<=": wanted <= bound,
                ">": wanted > bound,
                "<": wanted < bound,
                "=": wanted == bound,
                "==": wanted == bound,
                "!=": wanted != bound,
            }[op]
        if ok:
            return True
    return False


def problems(env: EnvironmentConfig) -> list[str]:
    """``cluster.version: ...`` for every enabled add-on that cannot run on the cluster's minor."""
    version = env.cluster.version
    found: list[str] = []
    for name in env.addons:
        chart = CHART_KUBE_VERSION.get(name)
        if chart and chart[1] and not satisfies(version, chart[1]):
            found.append(f"cluster.version: add-on {name} (chart {chart[0]}) requires Kubernetes {chart[1]} (its Chart.yaml); got {version}")
        if name in SUPPORTED:
            low, high, source = SUPPORTED[name]
            if not _as_tuple(low) <= _as_tuple(version) <= _as_tuple(high):
                found.append(f"cluster.version: add-on {name} runs on Kubernetes {low} to {high} ({source}); got {version}")
    if "cluster-autoscaler" in env.addons and version not in IMAGE_TAGS:
        found.append(
            f"cluster.version: cluster-autoscaler's minor must match the cluster's and no image is pinned for Kubernetes {version} "
            f"(IMAGE_TAGS in catalog/addons/cluster_autoscaler.py has {', '.join(sorted(IMAGE_TAGS))})"
        )
    return found
