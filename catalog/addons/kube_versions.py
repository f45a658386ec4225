"""Which Kubernetes minors each pinned chart and image supports, checked against ``cluster.version``.

Pure Python, called from ``registry.check_environment`` while a file is validated, so a cluster
version an enabled add-on cannot run on fails at load time naming ``cluster.version``.

The facts live on each spec's :class:`catalog.addons.base.Chart` (``kube_version``: the chart's
own Chart.yaml constraint; ``supported``: a documented narrower range with its source); this
module only judges them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from catalog.addons.base import Addon
from catalog.addons.cluster_autoscaler import IMAGE_TAGS

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig

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


def problems(env: EnvironmentConfig, addons: Iterable[Addon]) -> list[str]:
    """``cluster.version: ...`` for every enabled add-on (of ``addons``) that cannot run on the cluster's minor."""
    version = env.cluster.version
    found: list[str] = []
    for addon in addons:
        name, chart = addon.name, addon.chart
        if name not in env.addons:
            continue
        if chart.kube_version and not satisfies(version, chart.kube_version):
            found.append(f"cluster.version: add-on {name} (chart {chart.version}) requires Kubernetes {chart.kube_version} (its Chart.yaml); got {version}")
        if chart.supported:
            low, high, source = chart.supported
            if not _as_tuple(low) <= _as_tuple(version) <= _as_tuple(high):
                found.append(f"cluster.version: add-on {name} runs on Kubernetes {low} to {high} ({source}); got {version}")
    if "cluster-autoscaler" in env.addons and version not in IMAGE_TAGS:
        found.append(
            f"cluster.version: cluster-autoscaler's minor must match the cluster's and no image is pinned for Kubernetes {version} "
            f"(IMAGE_TAGS in catalog/addons/cluster_autoscaler.py has {', '.join(sorted(IMAGE_TAGS))})"
        )
    return found
