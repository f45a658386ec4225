"""Fit: every pod template can be placed somewhere it is allowed to run.

A place is a Karpenter NodePool (the largest instance type it may launch) or a managed node group whose nodes the pod accepts (nodeSelector and required node
affinity against the labels its nodes will carry, see ``node_group_labels``; its tolerations
against the group's NoSchedule/NoExecute taints), with allocatable = the instance type's capacity
minus EKS's kube-reserved and eviction threshold (``modules/node_capacity``), checked against the
smallest instance type the group may launch; or a Fargate profile selecting the pod (namespace and
labels), within Fargate's largest pod (16 vCPU, 120 GiB, of which 256 MiB are Fargate's own:
EKS user guide, "Fargate Pod configuration"). A pod a Fargate profile selects runs only there, and
DaemonSets never do.

Requests per pod: the sum of its containers' (and sidecar init containers') requests, or the
largest init container's if larger; a container without a request but with a limit requests its
limit. Required pod anti-affinity on the node (zone) topology limits replicas to the nodes (zones)
that could hold them. A DaemonSet with no node selection must tolerate every taint the environment
configures, or it misses those nodes.

Node labels are what EKS, the kubelet and Karpenter document they put on a node, not the
environment file's keys. A label whose value is generated at apply (the managed node group's name
with ``node_group_name_prefix``, the AMI and launch template IDs) can never be selected on by a
value written before apply: a nodeSelector or a required node affinity In/NotIn/Gt/Lt on it is a
finding of its own (the pods would stay Pending, or match by luck).

Over 300 lines because the places model (node groups, Karpenter and Auto Mode pools, Fargate)
and the pod-side matching it is judged with change together; the Auto Mode and shared place
parts already live in ``auto_mode_places`` and ``place``.
"""

from __future__ import annotations

from typing import Any

from catalog.instances import NodeCapacity, capacity, known
from environments.schema import EnvironmentConfig, NodeGroup
from tools.render.checks.auto_mode_places import auto_mode_places
from tools.render.checks.base import Context, Finding, Obj, matches_selector, pod_labels, pod_spec, replicas
from tools.render.checks.place import _EFFECT, _INSTANCE_TYPE, _REGION, Place, largest_instance
from tools.render.checks.quantity import mib, millicores, parse
from tools.render.releases import Synthesized

FARGATE_MAX_CPU = 16.0
FARGATE_MAX_MEMORY = 120 * 2**30
FARGATE_OVERHEAD_MEMORY = 256 * 2**20
_HOST, _ZONE = "kubernetes.io/hostname", "topology.kubernetes.io/zone"

# The value of a label that exists on the node but is only known once AWS has created it.
AFTER_APPLY = "<known only after apply>"
# Labels EKS puts on every node of a managed node group (Amazon EKS User Guide, "Simplify node
# lifecycle with managed node groups": "Amazon EKS adds Kubernetes labels to managed node group
# instances", prefixed eks.amazonaws.com; https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html):
# the node group's name, its capacity type, the AMI and the launch template it was started from.
# With a launch template of our own, EKS reports its ID and version (the API's ``launchTemplate``).
EKS_NODEGROUP = "eks.amazonaws.com/nodegroup"
EKS_CAPACITY_TYPE = "eks.amazonaws.com/capacityType"
EKS_AFTER_APPLY = ("eks.amazonaws.com/nodegroup-image", "eks.amazonaws.com/sourceLaunchTemplateId", "eks.amazonaws.com/sourceLaunchTemplateVersion")
# The kubelet's own labels (os, arch, instance type, region) are in place.py.


def places(env: EnvironmentConfig, synth: Synthesized | None = None) -> list[Place]:
    """The managed node groups (with ``synth``, their labels and name as the synthesized
    ``<env>-cluster`` stack gives them to EKS), the Karpenter node pools and EKS Auto Mode's pools."""
    out = []
    resources = _node_group_resources(env, synth)
    for name, group in env.cluster.node_groups.items():
        types = [t for t in group.instance_types if known(t)]
        if not types:
            continue
        smallest = min((capacity(t) for t in types), key=lambda c: (c.allocatable_memory_mib, c.allocatable_cpu_millis))
        labels = node_group_labels(env, name, group, smallest, resources.get(name))
        out.append(
            Place(
                name,
                labels,
                tuple((t.key, t.value, _EFFECT[t.effect]) for t in group.taints),
                smallest.allocatable_cpu_millis / 1000,
                smallest.allocatable_memory_mib * 2**20,
                smallest.instance_type,
                group.max_size,
            )
        )
    return out + karpenter_places(env) + auto_mode_places(env)


def _node_group_resources(env: EnvironmentConfig, synth: Synthesized | None) -> dict[str, dict[str, Any]]:
    """Config key -> the synthesized ``aws_eks_node_group`` body (named ``key`` or ``key-<suffix>``)."""
    if synth is None:
        return {}
    bodies = list((synth.stack(f"{env.name}-cluster").get("resource") or {}).get("aws_eks_node_group", {}).values())
    found = {}
    for key in env.cluster.node_groups:
        for body in bodies:
            if body.get("node_group_name") == key or body.get("node_group_name_prefix") == f"{key}-":
                found[key] = body
    return found


def node_group_labels(env: EnvironmentConfig, name: str, group: NodeGroup, cap: NodeCapacity, resource: dict[str, Any] | None = None) -> dict[str, str]:
    """The labels a node of the group carries: the group's own ``labels`` (EKS applies the node
    group's labels to its nodes), EKS's and the kubelet's documented ones. ``resource``: the
    synthesized node group, whose arguments are what EKS gets; without it, the environment file.
    The group's name is fixed only with ``node_group_name``; ``node_group_name_prefix`` (what
    modules/cluster/node_groups.py uses, and the file alone implies) has Terraform add a suffix at apply."""
    arch = "arm64" if "arm64" in cap.architectures and "ARM" in group.ami_type else "amd64"
    if resource is not None:
        own = dict(resource.get("labels") or {})
        node_group_name = resource.get("node_group_name") or AFTER_APPLY
        capacity_type = resource.get("capacity_type") or "ON_DEMAND"
    else:
        own, node_group_name, capacity_type = dict(group.labels), AFTER_APPLY, group.capacity
    return {
        **own,
        EKS_NODEGROUP: node_group_name,
        EKS_CAPACITY_TYPE: capacity_type,
        **dict.fromkeys(EKS_AFTER_APPLY, AFTER_APPLY),
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": arch,
        _INSTANCE_TYPE: cap.instance_type,
        _REGION: env.region,
    }


def karpenter_places(env: EnvironmentConfig) -> list[Place]:
    """One place per Karpenter NodePool: the largest instance type it may launch (Karpenter sizes a
    node for the pending pod), within the pool's CPU limit; its labels and taints."""
    karpenter = getattr(env, "karpenter", None)
    if karpenter is None:
        return []
    out = []
    for name, pool in karpenter.node_pools.items():
        largest = largest_instance(pool, pool.architectures, pool.limits.cpu)
        if largest is None:
            continue
        arch = "arm64" if "arm64" in largest.architectures and "arm64" in pool.architectures else "amd64"
        # Karpenter's well-known labels on the nodes it launches (https://karpenter.sh/docs/concepts/scheduling/,
        # "Well-Known Labels"): its pool, capacity type and the instance's category, family and size.
        family, _, size = largest.instance_type.partition(".")
        labels = {
            **pool.labels,
            "karpenter.sh/nodepool": name,
            "karpenter.sh/capacity-type": pool.capacity_types[0],
            "karpenter.k8s.aws/instance-category": family[0],
            "karpenter.k8s.aws/instance-family": family,
            "karpenter.k8s.aws/instance-size": size,
            _INSTANCE_TYPE: largest.instance_type,
            _REGION: env.region,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": arch,
        }
        out.append(
            Place(
                f"node pool {name}",
                labels,
                tuple((t.key, t.value, _EFFECT[t.effect]) for t in pool.taints),
                largest.allocatable_cpu_millis / 1000,
                largest.allocatable_memory_mib * 2**20,
                largest.instance_type,
                max(1, pool.limits.cpu // largest.vcpus),
            )
        )
    return out


def requests(spec: Obj) -> tuple[float, float]:
    """(cores, bytes) the scheduler reserves for a pod of this spec."""

    def of(container: Obj) -> tuple[float, float]:
        res = container.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        return tuple(parse(req.get(r, lim.get(r, 0)) or 0) for r in ("cpu", "memory"))  # type: ignore[return-value]

    inits = spec.get("initContainers") or []
    sidecars = [of(c) for c in inits if c.get("restartPolicy") == "Always"]
    regular = [of(c) for c in inits if c.get("restartPolicy") != "Always"]
    main = [of(c) for c in spec.get("containers") or []] + sidecars
    cpu, mem = sum(c for c, _ in main), sum(m for _, m in main)
    return max([cpu, *(c for c, _ in regular)]), max([mem, *(m for _, m in regular)])


def tolerates(tolerations: list[Obj], taint: tuple[str, str, str]) -> bool:
    key, value, effect = taint
    for tol in tolerations or []:
        if tol.get("effect") and tol["effect"] != effect:
            continue
        operator = tol.get("operator") or "Equal"
        if operator == "Exists" and not tol.get("key"):
            return True
        if tol.get("key") == key and (operator == "Exists" or str(tol.get("value") or "") == value):
            return True
    return False


def _blocking(place: Place) -> list[tuple[str, str, str]]:
    return [t for t in place.taints if t[2] in ("NoSchedule", "NoExecute")]


def node_selection(spec: Obj) -> tuple[dict[str, str], list[Obj]]:
    terms = ((((spec.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")) or {}).get(
        "nodeSelectorTerms"
    ) or []
    return spec.get("nodeSelector") or {}, terms


def after_apply_selections(spec: Obj, spots: list[Place]) -> list[str]:
    """The node labels this pod selects by a value although their value is known only after apply."""
    unknowable = {k for p in spots for k, v in p.labels.items() if v == AFTER_APPLY}
    selector, terms = node_selection(spec)
    keys = [k for k in selector if k in unknowable]
    for term in terms:
        for expr in term.get("matchExpressions") or []:
            if expr.get("key") in unknowable and expr.get("operator") in ("In", "NotIn", "Gt", "Lt") and expr["key"] not in keys:
                keys.append(expr["key"])
    return keys


def accepts(spec: Obj, place: Place) -> str | None:
    """Why a pod of this spec may not run on the place (None: it may)."""
    selector, terms = node_selection(spec)
    wrong = {k: v for k, v in selector.items() if place.labels.get(k) != str(v)}
    if wrong:
        return f"nodeSelector {wrong} not matched"
    if terms and not any(matches_selector({"matchExpressions": t.get("matchExpressions") or []}, place.labels) for t in terms):
        return "required node affinity not matched"
    untolerated = [t for t in _blocking(place) if not tolerates(spec.get("tolerations") or [], t)]
    if untolerated:
        return "taint " + ", ".join(f"{k}={v}:{e}" for k, v, e in untolerated) + " not tolerated"
    return None


def fargate_selects(env: EnvironmentConfig, namespace: str, labels: dict[str, str]) -> str | None:
    for name, profile in env.cluster.fargate_profiles.items():
        for sel in profile.selectors:
            if sel.namespace == namespace and all(labels.get(k) == v for k, v in sel.labels.items()):
                return name
    return None


def _anti_affinity_limit(spec: Obj, labels: dict[str, str]) -> str | None:
    terms = (((spec.get("affinity") or {}).get("podAntiAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution")) or []
    for term in terms:
        if matches_selector(term.get("labelSelector") or {"matchLabels": {"\0": "\0"}}, labels):
            if term.get("topologyKey") in (_HOST, _ZONE):
                return term["topologyKey"]
    return None


def check(ctx: Context) -> list[Finding]:
    env = ctx.env
    spots = places(env, ctx.synth)
    findings: list[Finding] = []
    all_taints = {t for p in spots for t in _blocking(p)}
    for item, obj in ctx.objects():
        spec = pod_spec(obj)
        if spec is None:
            continue
        namespace = ctx.namespace_of(item, obj)
        labels = pod_labels(obj)
        unknowable = after_apply_selections(spec, spots)
        if unknowable:
            findings.append(
                ctx.finding(
                    item,
                    obj,
                    f"selects nodes on {', '.join(unknowable)}, whose value is known only after apply "
                    "(generated by AWS when the node group is created): no selector written before apply can match it",
                )
            )
            continue
        cpu, mem = requests(spec)
        want = f"requests {millicores(cpu)} CPU, {mib(mem)} memory"
        is_ds = obj.get("kind") == "DaemonSet"
        profile = None if is_ds else fargate_selects(env, namespace, labels)
        if profile is not None:
            if cpu > FARGATE_MAX_CPU or mem + FARGATE_OVERHEAD_MEMORY > FARGATE_MAX_MEMORY:
                findings.append(
                    ctx.finding(item, obj, f"{want}: more than a Fargate pod can have (profile {profile}: 16 vCPU, 120 GiB incl. 256 MiB overhead)")
                )
            continue
        reasons: list[str] = []
        fitting: list[Place] = []
        for place in spots:
            why = accepts(spec, place)
            if why is None and (cpu > place.cpu or mem > place.memory):
                why = f"{place.instance_type} has {millicores(place.cpu)} CPU, {mib(place.memory)} memory allocatable"
            if why is None:
                fitting.append(place)
            else:
                reasons.append(f"{place.name}: {why}")
        if not fitting and not is_ds:
            findings.append(
                ctx.finding(item, obj, f"{want}; fits no node group or pool ({'; '.join(reasons) or 'none configured'}) and no Fargate profile selects it")
            )
            continue
        if is_ds:
            selector, terms = node_selection(spec)
            targeted = [p for p in spots if not {k: v for k, v in selector.items() if p.labels.get(k) != str(v)}]
            everywhere = not {k for k in selector if k not in ("kubernetes.io/os", "kubernetes.io/arch")} and not terms
            missed = sorted({f"{k}={v}:{e}" for k, v, e in all_taints if not tolerates(spec.get("tolerations") or [], (k, v, e))})
            if everywhere and missed:
                findings.append(ctx.finding(item, obj, f"DaemonSet does not tolerate {', '.join(missed)}: its pods miss those nodes"))
            too_small = [r for r in reasons if "allocatable" in r and any(r.startswith(p.name + ":") for p in targeted)]
            if too_small:
                findings.append(ctx.finding(item, obj, f"{want}; does not fit {'; '.join(too_small)}"))
            continue
        topology = _anti_affinity_limit(spec, labels)
        if topology:
            room = sum(p.max_nodes for p in fitting) if topology == _HOST else len(env.network.availability_zones)
            if replicas(obj) > room:
                what = "nodes" if topology == _HOST else "zones"
                findings.append(
                    ctx.finding(item, obj, f"{replicas(obj)} replicas with required anti-affinity on {topology}, but at most {room} {what} can hold them")
                )
    return findings
