"""LimitRange defaulting as Kubernetes documents it. Each case is a walkthrough of kubernetes.io:
the LimitRange, the container as written, and what ``kubectl get pod -o yaml`` shows afterwards
(or that the API server refuses it):

- tasks/administer-cluster/manage-resources/memory-default-namespace/ (default 512Mi, defaultRequest 256Mi)
- tasks/administer-cluster/manage-resources/cpu-default-namespace/ (default 1, defaultRequest 0.5)
- tasks/administer-cluster/manage-resources/cpu-constraint-namespace/ (max 800m, min 200m)
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tools.examples.limits import apply_limit_ranges, pod_resources


def limit_range(**item: dict) -> list[dict]:
    return [{"apiVersion": "v1", "kind": "LimitRange", "spec": {"limits": [{"type": "Container", **item}]}}]


MEMORY = limit_range(default={"memory": "512Mi"}, defaultRequest={"memory": "256Mi"})
CPU = limit_range(default={"cpu": "1"}, defaultRequest={"cpu": "0.5"})
CONSTRAINT = limit_range(max={"cpu": "800m"}, min={"cpu": "200m"})


@pytest.mark.parametrize(
    ("ranges", "written", "expected"),
    [
        # "the Pod's container has a memory request of 256 MiB and a memory limit of 512 MiB"
        (MEMORY, {}, {"requests": {"memory": "256Mi"}, "limits": {"memory": "512Mi"}}),
        # "What if you specify a container's limit, but not its request?" -> request = limit 1Gi
        (MEMORY, {"limits": {"memory": "1Gi"}}, {"requests": {"memory": "1Gi"}, "limits": {"memory": "1Gi"}}),
        # "What if you specify a container's request, but not its limit?" -> limit = default 512Mi
        (MEMORY, {"requests": {"memory": "128Mi"}}, {"requests": {"memory": "128Mi"}, "limits": {"memory": "512Mi"}}),
        (CPU, {}, {"requests": {"cpu": "0.5"}, "limits": {"cpu": "1"}}),
        (CPU, {"limits": {"cpu": "1"}}, {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}),
        (CPU, {"requests": {"cpu": "0.75"}}, {"requests": {"cpu": "0.75"}, "limits": {"cpu": "1"}}),
    ],
)
def test_documented_defaults(ranges: list[dict], written: dict, expected: dict) -> None:
    resources, problems = apply_limit_ranges({"name": "c", "resources": written}, ranges)
    assert problems == []
    assert resources == expected


def test_documented_refusals() -> None:
    # cpu-constraint-namespace: a limit of 1.5 CPU is above max 800m; a request of 100m is below min 200m
    _, above = apply_limit_ranges({"name": "c", "resources": {"limits": {"cpu": "1.5"}, "requests": {"cpu": "500m"}}}, CONSTRAINT)
    assert len(above) == 1 and "max" in above[0]
    _, below = apply_limit_ranges({"name": "c", "resources": {"limits": {"cpu": "800m"}, "requests": {"cpu": "100m"}}}, CONSTRAINT)
    assert len(below) == 1 and "min" in below[0]
    _, fits = apply_limit_ranges({"name": "c", "resources": {"limits": {"cpu": "800m"}, "requests": {"cpu": "500m"}}}, CONSTRAINT)
    assert fits == []


def test_pod_counts_the_larger_of_containers_and_init_containers() -> None:
    # concepts/workloads/pods/init-containers: the effective request is the larger of the highest
    # init container request and the sum of the app containers' requests.
    spec = {
        "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "2"}, "limits": {"cpu": "2"}}}],
        "containers": [{"name": n, "resources": {"requests": {"cpu": "500m"}, "limits": {"cpu": "1"}}} for n in ("a", "b")],
    }
    totals, problems = pod_resources(spec, [])
    assert problems == []
    assert totals["requests.cpu"] == Decimal(2) and totals["limits.cpu"] == Decimal(2)
