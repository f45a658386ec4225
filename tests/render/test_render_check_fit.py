"""The fit check (tools/render/checks/fit.py) on hand-built pods: one passing and one reported case
per rule, no synth and no Helm (the same check over real renders: tests/render/test_render.py).

The environment's node groups, Fargate profile and Karpenter pools are written out here, and the
allocatable figures are EKS's (amazon-eks-ami nodeadm ``internal/kubelet/config.go``; max pods from
``eni-max-pods.txt`` = ENIs x (IPv4 per ENI - 1) + 2), with the EC2 facts of each instance type:

- t3.large: 2 vCPU, 8192 MiB, 3 ENIs x 12 IPv4 -> 35 pods; kube-reserved 11 x 35 + 255 = 640 MiB,
  eviction 100 MiB -> 7452 MiB; CPU reserved 6% of core 1 + 1% of core 2 = 70m -> 1930m.
- m6i.large: 2 vCPU, 8192 MiB, 3 ENIs x 10 IPv4 -> 29 pods -> 8192 - 574 - 100 = 7518 MiB; 1930m.
- t3.medium: 2 vCPU, 4096 MiB, 3 ENIs x 6 IPv4 -> 17 pods -> 4096 - 442 - 100 = 3554 MiB.
- m5.large: as m6i.large (2 vCPU, 8 GiB, 29 pods); m5.xlarge: 4 vCPU, 16 GiB (not the smallest).
- c-family xlarge: 4 vCPU, 8 GiB (c5n: 10.5 GiB), under 10 GiB allocatable; r-family xlarge: 4 vCPU, 32 GiB.
- m6g.large: Graviton (arm64), 2 vCPU, 8 GiB.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.render_check_support import container, context, environment, located, messages, release, workload
from tools.render.checks import fit

GROUPS = {
    "system": {"instance_types": ["t3.large"], "min_size": 1, "desired_size": 1, "max_size": 3, "labels": {"workload": "system"}},
    "spot": {
        "instance_types": ["m5.xlarge", "m6i.large"],
        "capacity": "SPOT",
        "min_size": 0,
        "desired_size": 0,
        "max_size": 5,
        "labels": {"node.kubernetes.io/capacity": "spot"},
        "taints": [{"key": "capacity", "value": "spot", "effect": "NO_SCHEDULE"}],
    },
}
ZONES = ["eu-west-1a", "eu-west-1b"]
SYSTEM = "system: t3.large has 1930m CPU, 7452Mi memory allocatable"
SPOT = "spot: m6i.large has 1930m CPU, 7518Mi memory allocatable"
SPOT_TAINT = "spot: taint capacity=spot:NoSchedule not tolerated"
TOLERATE_SPOT = [{"key": "capacity", "operator": "Equal", "value": "spot", "effect": "NoSchedule"}]


def _dev(d: dict[str, Any]) -> None:
    d["cluster"]["node_groups"] = copy.deepcopy(GROUPS)  # tests change them
    d["cluster"]["fargate_profiles"] = {"batch": {"selectors": [{"namespace": "batch", "labels": {"compute": "fargate"}}]}}
    d["network"].update(availability_zones=ZONES, public_subnets=["10.10.0.0/22", "10.10.4.0/22"], private_subnets=["10.10.32.0/19", "10.10.64.0/19"])


ENV = environment("dev", _dev)


def findings(*objects: dict[str, Any], env: Any = ENV) -> list[str]:
    return messages(fit.check(context(env, release("app", "apps", *objects))))


def deployment(cpu: str, memory: str, **kw: Any) -> dict[str, Any]:
    return workload("Deployment", "web", containers=[container(cpu, memory)], **kw)


# -- places: a managed node group's smallest instance type and labels -------------------------------


def test_places_are_the_groups_smallest_instance_type_with_eks_labels() -> None:
    system, spot = fit.places(ENV)
    assert system == fit.Place(
        "system",
        {
            "workload": "system",
            # EKS's labels (managed-node-groups.html): the group's name is generated at apply (node_group_name_prefix)
            "eks.amazonaws.com/nodegroup": fit.AFTER_APPLY,
            "eks.amazonaws.com/capacityType": "ON_DEMAND",
            "eks.amazonaws.com/nodegroup-image": fit.AFTER_APPLY,
            "eks.amazonaws.com/sourceLaunchTemplateId": fit.AFTER_APPLY,
            "eks.amazonaws.com/sourceLaunchTemplateVersion": fit.AFTER_APPLY,
            # the kubelet's (kubernetes.io/docs/reference/labels-annotations-taints/)
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": "t3.large",
            "topology.kubernetes.io/region": "eu-west-1",
        },
        (),
        1.93,
        7452 * 2**20,
        "t3.large",
        3,
    )
    assert (spot.instance_type, spot.cpu, spot.memory, spot.max_nodes) == ("m6i.large", 1.93, 7518 * 2**20, 5)
    assert spot.labels["eks.amazonaws.com/capacityType"] == "SPOT" and spot.labels["node.kubernetes.io/capacity"] == "spot"
    assert spot.taints == (("capacity", "spot", "NoSchedule"),)


def test_an_arm_node_group_is_labelled_arm64() -> None:
    def arm(d: dict[str, Any]) -> None:
        _dev(d)
        d["cluster"]["node_groups"]["system"].update(instance_types=["m6g.large"], ami_type="AL2023_ARM_64_STANDARD")

    system = fit.places(environment("dev", arm))[0]
    assert system.labels["kubernetes.io/arch"] == "arm64" and system.instance_type == "m6g.large"
    assert system.memory == 7518 * 2**20


# -- requests: what the scheduler reserves ---------------------------------------------------------


def test_requests_add_containers_and_sidecars_and_take_the_largest_init_container() -> None:
    # Kubernetes: effective request = max(sum(containers) + sum(sidecars), any regular init container)
    spec = {
        "containers": [container("250m", "256Mi"), {"name": "b", "resources": {"limits": {"cpu": "500m", "memory": "1Gi"}}}],
        "initContainers": [
            {"name": "migrate", "resources": {"requests": {"cpu": "2", "memory": "64Mi"}}},
            {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}},
        ],
    }
    assert fit.requests(spec) == (2.0, (256 + 1024 + 128) * 2**20)
    assert fit.requests({"containers": [{"name": "x"}]}) == (0.0, 0.0)


# -- tolerations and node selection ----------------------------------------------------------------


TAINT = ("capacity", "spot", "NoSchedule")


@pytest.mark.parametrize(
    ("tolerations", "expected"),
    [
        ([{"key": "capacity", "operator": "Equal", "value": "spot", "effect": "NoSchedule"}], True),
        ([{"key": "capacity", "value": "spot"}], True),  # operator defaults to Equal, any effect
        ([{"key": "capacity", "operator": "Exists"}], True),
        ([{"operator": "Exists"}], True),  # tolerates everything
        ([{"operator": "Exists", "effect": "NoExecute"}], False),  # every taint, but of another effect
        ([{"key": "capacity", "operator": "Equal", "value": "on-demand"}], False),
        ([{"key": "capacity", "operator": "Exists", "effect": "NoExecute"}], False),
        ([{"key": "other", "operator": "Exists"}], False),
        ([], False),
    ],
)
def test_tolerations_follow_the_kubernetes_matching_rules(tolerations: list[dict[str, Any]], expected: bool) -> None:
    assert fit.tolerates(tolerations, TAINT) is expected


def test_accepts_names_the_selector_the_affinity_or_the_taint_that_keeps_a_pod_off() -> None:
    system, spot = fit.places(ENV)
    assert fit.accepts({"nodeSelector": {"workload": "system"}}, system) is None
    assert fit.accepts({"nodeSelector": {"workload": "gpu"}}, system) == "nodeSelector {'workload': 'gpu'} not matched"

    def arch(*v):
        return {
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [{"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": list(v)}]}]
                    }
                }
            }
        }

    assert fit.accepts(arch("amd64"), system) is None
    assert fit.accepts(arch("arm64"), system) == "required node affinity not matched"
    assert fit.accepts({}, spot) == "taint capacity=spot:NoSchedule not tolerated"
    assert fit.accepts({"tolerations": TOLERATE_SPOT}, spot) is None


# -- check: pods on node groups --------------------------------------------------------------------


def test_a_pod_that_fits_a_group_is_not_reported() -> None:
    assert findings(deployment("1930m", "7452Mi")) == []  # exactly system's allocatable
    assert findings({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {}}) == []


def test_a_pod_too_large_for_every_group_it_may_run_on_is_reported_with_each_reason() -> None:
    assert findings(deployment("100m", "7453Mi")) == [
        f"requests 100m CPU, 7453Mi memory; fits no node group or pool ({SYSTEM}; {SPOT_TAINT}) and no Fargate profile selects it"
    ]
    assert findings(deployment("1931m", "1Gi")) == [
        f"requests 1931m CPU, 1024Mi memory; fits no node group or pool ({SYSTEM}; {SPOT_TAINT}) and no Fargate profile selects it"
    ]
    # Tolerating spot, it fits the spot group's smaller type up to its allocatable.
    assert findings(deployment("100m", "7518Mi", tolerations=TOLERATE_SPOT)) == []
    assert findings(deployment("100m", "7519Mi", tolerations=TOLERATE_SPOT)) == [
        f"requests 100m CPU, 7519Mi memory; fits no node group or pool ({SYSTEM}; {SPOT}) and no Fargate profile selects it"
    ]


def test_the_finding_names_the_object() -> None:
    [found] = fit.check(context(ENV, release("app", "apps", deployment("4", "1Gi"))))
    assert (found.environment, found.release, found.kind, found.namespace, found.name) == ("dev", "app", "Deployment", "apps", "web")


# -- check: Fargate --------------------------------------------------------------------------------


def _batch(cpu: str, memory: str, kind: str = "Deployment", labels: dict[str, str] | None = None) -> dict[str, Any]:
    return workload(kind, "job", "batch", labels=labels or {"compute": "fargate"}, containers=[container(cpu, memory)])


def test_a_pod_a_fargate_profile_selects_is_judged_against_fargates_largest_pod() -> None:
    # EKS user guide, "Fargate Pod configuration": at most 16 vCPU and 120 GiB, 256 MiB of it Fargate's own.
    assert findings(_batch("16", f"{120 * 1024 - 256}Mi")) == []
    over = "more than a Fargate pod can have (profile batch: 16 vCPU, 120 GiB incl. 256 MiB overhead)"
    assert findings(_batch("16001m", "1Gi")) == [f"requests 16001m CPU, 1024Mi memory: {over}"]
    assert findings(_batch("1", f"{120 * 1024 - 255}Mi")) == [f"requests 1000m CPU, {120 * 1024 - 255}Mi memory: {over}"]


def test_fargate_takes_only_the_pods_its_selector_matches_and_never_daemonsets() -> None:
    too_big_for_nodes = ("4", "16Gi")
    assert findings(_batch(*too_big_for_nodes)) == []
    [other_labels] = findings(_batch(*too_big_for_nodes, labels={"compute": "ec2"}))
    assert "fits no node group or pool" in other_labels and other_labels.endswith("and no Fargate profile selects it")
    [elsewhere] = findings(workload("Deployment", "job", "apps", labels={"compute": "fargate"}, containers=[container(*too_big_for_nodes)]))
    assert "fits no node group or pool" in elsewhere
    daemonset = _batch("100m", "7453Mi", kind="DaemonSet")
    daemonset["spec"]["template"]["spec"]["tolerations"] = [{"operator": "Exists"}]
    assert findings(daemonset) == [f"requests 100m CPU, 7453Mi memory; does not fit {SYSTEM}"]


# -- check: DaemonSets -----------------------------------------------------------------------------


def test_a_daemonset_that_does_not_tolerate_a_configured_taint_misses_those_nodes() -> None:
    missed = "DaemonSet does not tolerate capacity=spot:NoSchedule: its pods miss those nodes"
    assert findings(workload("DaemonSet", "agent")) == [missed]
    assert findings(workload("DaemonSet", "agent", nodeSelector={"kubernetes.io/os": "linux"})) == [missed]  # still every node
    assert findings(workload("DaemonSet", "agent", tolerations=[{"operator": "Exists"}])) == []
    assert findings(workload("DaemonSet", "agent", nodeSelector={"workload": "system"})) == []  # meant for system nodes only


def test_a_daemonset_too_large_for_a_group_it_targets_is_reported() -> None:
    big = [container("100m", "7500Mi")]
    assert findings(workload("DaemonSet", "agent", containers=big, tolerations=[{"operator": "Exists"}])) == [
        f"requests 100m CPU, 7500Mi memory; does not fit {SYSTEM}"
    ]
    on_spot = {"node.kubernetes.io/capacity": "spot"}
    assert findings(workload("DaemonSet", "agent", containers=big, tolerations=TOLERATE_SPOT, nodeSelector=on_spot)) == []
    # Selecting nodes that do not exist is no fit problem of a DaemonSet (it has no pods to place).
    assert findings(workload("DaemonSet", "agent", nodeSelector={"workload": "gpu"})) == []


# -- check: required pod anti-affinity ---------------------------------------------------------------


def _spread(replicas: int, topology: str, *, selector: dict[str, Any] | None = None, **pod: Any) -> dict[str, Any]:
    labels = {"app": "web"}
    term: dict[str, Any] = {"topologyKey": topology}
    if selector is not None:
        term["labelSelector"] = selector
    return workload(
        "Deployment", "web", replicas=replicas, labels=labels, affinity={"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [term]}}, **pod
    )


HOST, ZONE = "kubernetes.io/hostname", "topology.kubernetes.io/zone"
SELF = {"matchLabels": {"app": "web"}}


def test_required_anti_affinity_per_node_limits_replicas_to_the_nodes_that_may_hold_them() -> None:
    system_only = {"nodeSelector": {"workload": "system"}}
    assert findings(_spread(3, HOST, selector=SELF, **system_only)) == []  # system: max_size 3
    assert findings(_spread(4, HOST, selector=SELF, **system_only)) == [
        "4 replicas with required anti-affinity on kubernetes.io/hostname, but at most 3 nodes can hold them"
    ]
    assert findings(_spread(8, HOST, selector=SELF, tolerations=TOLERATE_SPOT)) == []  # 3 + 5 nodes
    assert findings(_spread(9, HOST, selector=SELF, tolerations=TOLERATE_SPOT)) == [
        "9 replicas with required anti-affinity on kubernetes.io/hostname, but at most 8 nodes can hold them"
    ]


def test_required_anti_affinity_per_zone_limits_replicas_to_the_zones() -> None:
    assert findings(_spread(len(ZONES), ZONE, selector=SELF)) == []
    assert findings(_spread(len(ZONES) + 1, ZONE, selector=SELF)) == [
        f"{len(ZONES) + 1} replicas with required anti-affinity on topology.kubernetes.io/zone, but at most {len(ZONES)} zones can hold them"
    ]


def test_anti_affinity_that_does_not_select_the_pods_own_labels_or_another_topology_limits_nothing() -> None:
    assert findings(_spread(9, HOST, selector={"matchLabels": {"app": "db"}})) == []
    assert findings(_spread(9, HOST)) == []  # no labelSelector: selects no pod
    assert findings(_spread(9, "example.com/rack", selector=SELF)) == []


# -- Karpenter node pools ----------------------------------------------------------------------------


def _pools(**pools: dict[str, Any]) -> Any:
    return environment("staging", lambda d: d["karpenter"].update(node_pools=pools))


def _pool(**fields: Any) -> dict[str, Any]:
    return {"limits": {"cpu": 64, "memory_gib": 256}, **fields}


def test_a_node_pool_is_its_largest_allowed_instance_type_with_karpenters_labels() -> None:
    env = _pools(
        small=_pool(
            instance_types=["t3.medium"],
            capacity_types=["spot"],
            labels={"tier": "small"},
            limits={"cpu": 8, "memory_gib": 64},
            taints=[{"key": "tier", "value": "small", "effect": "NO_EXECUTE"}],
        )
    )
    [place] = fit.karpenter_places(env)
    assert place == fit.Place(
        "node pool small",
        {
            "tier": "small",
            # Karpenter's well-known labels (karpenter.sh/docs/concepts/scheduling/)
            "karpenter.sh/nodepool": "small",
            "karpenter.sh/capacity-type": "spot",
            "karpenter.k8s.aws/instance-category": "t",
            "karpenter.k8s.aws/instance-family": "t3",
            "karpenter.k8s.aws/instance-size": "medium",
            "node.kubernetes.io/instance-type": "t3.medium",
            "topology.kubernetes.io/region": "eu-west-1",
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
        },
        (("tier", "small", "NoExecute"),),
        1.93,
        3554 * 2**20,
        "t3.medium",
        4,  # 8 vCPU of limit / 2 vCPU per node
    )
    assert [p.name for p in fit.places(env)] == [*env.cluster.node_groups, "node pool small"]
    assert fit.karpenter_places(ENV) == []  # no karpenter section


def test_a_node_pools_instance_filters_decide_what_fits() -> None:
    ten_gib = deployment("100m", "10Gi")
    c_xlarge = _pools(p=_pool(instance_categories=["c"], instance_sizes=["xlarge"]))  # 8 to 10.5 GiB
    [place] = fit.karpenter_places(c_xlarge)
    assert place.instance_type.startswith("c") and place.instance_type.endswith(".xlarge") and place.memory < 10 * 2**30
    assert "fits no node group or pool" in findings(ten_gib, env=c_xlarge)[0]
    r_xlarge = _pools(p=_pool(instance_categories=["r"], instance_sizes=["xlarge"]))  # 32 GiB each
    assert findings(ten_gib, env=r_xlarge) == []
    m5 = _pools(p=_pool(instance_families=["m5"], instance_sizes=["large", "xlarge"], limits={"cpu": 2, "memory_gib": 64}))
    assert [(p.instance_type, p.max_nodes) for p in fit.karpenter_places(m5)] == [("m5.large", 1)]  # xlarge: 4 vCPU > the limit
    m5_any_size = _pools(p=_pool(instance_families=["m5"], limits={"cpu": 4, "memory_gib": 64}))
    assert [(p.instance_type, p.max_nodes) for p in fit.karpenter_places(m5_any_size)] == [("m5.xlarge", 1)]


def test_a_node_pools_architectures_decide_its_arch_label() -> None:
    graviton = _pools(p=_pool(instance_families=["m6g"], instance_sizes=["large"], architectures=["arm64"]))
    [place] = fit.karpenter_places(graviton)
    assert (place.instance_type, place.labels["kubernetes.io/arch"]) == ("m6g.large", "arm64")
    assert fit.karpenter_places(_pools(p=_pool(instance_families=["m6g"], architectures=["amd64"]))) == []  # nothing it may launch


# -- several taints, several objects, and what each finding names ------------------------------------


def _tainted(d: dict[str, Any]) -> None:
    _dev(d)
    d["cluster"]["node_groups"]["system"]["taints"] = [
        {"key": "dedicated", "value": "db", "effect": "NO_EXECUTE"},
        {"key": "soft", "value": "x", "effect": "PREFER_NO_SCHEDULE"},  # prefers, never blocks
    ]


TAINTED = environment("dev", _tainted)


def test_noexecute_taints_block_like_noschedule_and_preferences_do_not() -> None:
    system, spot = fit.places(TAINTED)
    assert fit.accepts({}, system) == "taint dedicated=db:NoExecute not tolerated"
    assert fit.accepts({"tolerations": [{"key": "dedicated", "operator": "Exists"}]}, system) is None
    both = {"key": "dedicated", "operator": "Exists"}, {"key": "capacity", "operator": "Exists"}
    assert fit.accepts({"tolerations": [both[0]]}, spot) == "taint capacity=spot:NoSchedule not tolerated"
    assert fit.accepts({"tolerations": list(both)}, spot) is None
    # A pool with two blocking taints names both.
    two = fit.Place("p", {}, (("a", "1", "NoSchedule"), ("b", "2", "NoExecute"), ("c", "3", "PreferNoSchedule")), 1, 1, "t3.large", 1)
    assert fit.accepts({}, two) == "taint a=1:NoSchedule, b=2:NoExecute not tolerated"


def test_a_daemonset_names_every_taint_it_misses_and_every_group_too_small() -> None:
    assert findings(workload("DaemonSet", "agent"), env=TAINTED) == [
        "DaemonSet does not tolerate capacity=spot:NoSchedule, dedicated=db:NoExecute: its pods miss those nodes"
    ]
    arch_only = workload("DaemonSet", "agent", nodeSelector={"kubernetes.io/arch": "amd64"})
    assert findings(arch_only, env=TAINTED) == ["DaemonSet does not tolerate capacity=spot:NoSchedule, dedicated=db:NoExecute: its pods miss those nodes"]
    huge = workload("DaemonSet", "agent", containers=[container("100m", "8000Mi")], tolerations=[{"operator": "Exists"}])
    assert findings(huge) == [f"requests 100m CPU, 8000Mi memory; does not fit {SYSTEM}; {SPOT}"]
    # Selecting the spot nodes: judged against spot only.
    on_spot = workload(
        "DaemonSet", "agent", containers=[container("100m", "7600Mi")], tolerations=TOLERATE_SPOT, nodeSelector={"node.kubernetes.io/capacity": "spot"}
    )
    assert findings(on_spot) == [f"requests 100m CPU, 7600Mi memory; does not fit {SPOT}"]


def test_every_object_of_a_release_is_judged_and_each_finding_names_its_object() -> None:
    objects = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {}},
        _batch("17", "1Gi"),
        workload("Deployment", "huge", containers=[container("100m", "64Gi")]),
        workload("DaemonSet", "agent"),
        workload("DaemonSet", "big-agent", containers=[container("100m", "8000Mi")], tolerations=[{"operator": "Exists"}]),
        _spread(4, HOST, selector=SELF, nodeSelector={"workload": "system"}),
        workload("StatefulSet", "fine", "data", containers=[container("100m", "64Mi")]),
    ]
    assert located(fit.check(context(ENV, release("app", "apps", *objects)))) == [
        (
            "app",
            "Deployment",
            "batch",
            "job",
            "requests 17000m CPU, 1024Mi memory: more than a Fargate pod can have (profile batch: 16 vCPU, 120 GiB incl. 256 MiB overhead)",
        ),
        (
            "app",
            "Deployment",
            "apps",
            "huge",
            f"requests 100m CPU, 65536Mi memory; fits no node group or pool ({SYSTEM}; {SPOT_TAINT}) and no Fargate profile selects it",
        ),
        ("app", "DaemonSet", "apps", "agent", "DaemonSet does not tolerate capacity=spot:NoSchedule: its pods miss those nodes"),
        ("app", "DaemonSet", "apps", "big-agent", f"requests 100m CPU, 8000Mi memory; does not fit {SYSTEM}; {SPOT}"),
        ("app", "Deployment", "apps", "web", "4 replicas with required anti-affinity on kubernetes.io/hostname, but at most 3 nodes can hold them"),
    ]


def test_tolerations_are_each_tried_and_an_empty_value_matches_an_empty_value() -> None:
    assert fit.tolerates([{"operator": "Exists", "effect": "NoExecute"}, {"key": "capacity", "operator": "Exists"}], TAINT)
    assert fit.tolerates([{"key": "dedicated"}], ("dedicated", "", "NoSchedule"))  # Equal, both values empty
    assert not fit.tolerates([{"key": "dedicated"}], ("dedicated", "db", "NoSchedule"))


def test_node_pools_without_candidates_are_skipped_and_limits_round_down() -> None:
    env = _pools(none=_pool(instance_families=["m6g"], architectures=["amd64"]), odd=_pool(instance_types=["t3.medium"], limits={"cpu": 5, "memory_gib": 64}))
    assert [(p.name, p.max_nodes) for p in fit.karpenter_places(env)] == [("node pool odd", 2)]  # 5 vCPU / 2 per node
    both_archs = _pools(p=_pool(instance_families=["m5"], instance_sizes=["large"], architectures=["amd64", "arm64"]))
    [place] = fit.karpenter_places(both_archs)
    assert (place.instance_type, place.labels["kubernetes.io/arch"]) == ("m5.large", "amd64")


def test_groups_of_unknown_instance_types_are_no_place_to_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema refuses an instance type EC2's data does not know (tests/config/test_config_rules.py);
    were one to get through, the fit check gives it no capacity rather than guessing."""
    import environments.schema

    monkeypatch.setattr(environments.schema, "node_group_problem", lambda *_: None)

    def unknown(*groups: str) -> Any:
        def change(d: dict[str, Any]) -> None:
            _dev(d)
            for name in groups:
                d["cluster"]["node_groups"][name]["instance_types"] = ["x9.huge"]
            d.pop("teams", None)  # their quotas need node groups of known size

        return environment("dev", change)

    assert [p.name for p in fit.places(unknown("system"))] == ["spot"]
    assert findings(deployment("100m", "64Mi"), env=unknown("system", "spot")) == [
        "requests 100m CPU, 64Mi memory; fits no node group or pool (none configured) and no Fargate profile selects it"
    ]
