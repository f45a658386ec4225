"""First apply over the stack graph: every object an environment's stacks create can exist, and
run, on the very first apply, when the stacks are applied in their dependency order.

An object may rely on something only if that something is created by a stack applied before its
own (``manifest.json``'s stack dependencies, followed transitively), or in the same stack by a
resource it waits for (``depends_on``, followed transitively). Checked:

- **ENIConfigs before any node under custom networking.** When the vpc-cni add-on runs with
  ``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG`` and ``ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone``, a
  node gives pods no address until the ENIConfig named after its zone exists (amazon-vpc-cni-k8s
  README; issues #264, #611). Every managed node group must therefore find an ENIConfig for every
  zone created before it. ENIConfigs come from the vpc-cni add-on's ``eniConfig`` configuration or
  from ENIConfig objects in a release of the local manifests chart.
- **CRDs before their objects.** Every custom object in a release of the local manifests chart
  needs the CRD of its API group from a release (the chart archive's CRDs, or the CRDs a generated
  CRD release names in its values' index, modules/shared/crds.py) or from the vpc-cni add-on
  (ENIConfig's group) created before it. Objects the charts render themselves are judged on the
  real render by the render check ``served`` (tools/render/checks/served.py).

Run it on a synthesized output directory: ``python -m tools.review.first_apply cdktf.out [env ...]``.
"""

from __future__ import annotations

import io
import json
import re
import sys
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tools.graphs import upstream_of

# API groups that ship with Kubernetes itself (no CRD needed).
_BUILTIN_GROUPS = frozenset(
    {
        "",
        "v1",
        "apps",
        "batch",
        "policy",
        "autoscaling",
        "networking.k8s.io",
        "rbac.authorization.k8s.io",
        "storage.k8s.io",
        "scheduling.k8s.io",
        "coordination.k8s.io",
        "node.k8s.io",
        "discovery.k8s.io",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "certificates.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
    }
)
# The vpc-cni add-on installs the ENIConfig CRD (amazon-vpc-cni-k8s charts/aws-vpc-cni/crds/customresourcedefinition.yaml).
ENICONFIG_GROUP = "crd.k8s.amazonaws.com"
# A cluster with EKS Auto Mode serves the APIs of its compute and load balancing itself: NodeClass and
# IngressClassParams (eks.amazonaws.com/v1) and Karpenter's NodePool (karpenter.sh/v1) exist once the
# cluster does (EKS User Guide, "Create a Node Class for Amazon EKS", "Create an IngressClass to
# configure an Application Load Balancer", "Create a Node Pool for EKS Auto Mode").
AUTO_MODE_GROUPS = ("eks.amazonaws.com", "karpenter.sh")
_ZONE_LABEL = "topology.kubernetes.io/zone"


@dataclass(frozen=True)
class Provided:
    stack: str
    address: str  # type.logical_id


def _resources(stack: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return (stack.get("resource") or {}).get(type_) or {}


def _waits_for(stack: dict[str, Any], address: str) -> set[str]:
    """Addresses ``address`` waits for in its own stack (depends_on, transitively)."""
    type_, _, lid = address.partition(".")
    seen: set[str] = set()
    todo = list((_resources(stack, type_).get(lid) or {}).get("depends_on") or [])
    while todo:
        a = todo.pop()
        if a in seen:
            continue
        seen.add(a)
        t, _, i = a.partition(".")
        todo.extend((_resources(stack, t).get(i) or {}).get("depends_on") or [])
    return seen


def _vpc_cni(stack: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for lid, body in _resources(stack, "aws_eks_addon").items():
        if body.get("addon_name") == "vpc-cni":
            try:
                values = json.loads(body.get("configuration_values") or "{}")
            except ValueError:
                values = {}
            out.append((f"aws_eks_addon.{lid}", values))
    return out


def _manifests(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Objects of a release of the local manifests chart (values ``manifests``)."""
    out: list[dict[str, Any]] = []
    for doc in body.get("values") or []:
        try:
            values = json.loads(doc)
        except (TypeError, ValueError):
            continue
        out.extend(m for m in values.get("manifests") or [] if isinstance(m, dict))
    return out


def _indexed_groups(body: dict[str, Any]) -> set[str]:
    """API groups of a generated CRD release: its values' index ``{"crds": {<plural>.<group>: {"served": [...], ...}}}``."""
    groups: set[str] = set()
    for doc in body.get("values") or []:
        try:
            values = json.loads(doc)
        except (TypeError, ValueError):
            continue
        index = values.get("crds") if isinstance(values, dict) else None
        if isinstance(index, dict):
            groups.update(name.partition(".")[2] for name, entry in index.items() if isinstance(entry, dict) and "served" in entry and "." in name)
    return groups


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def chart_crd_groups(chart: str, version: str, dirs: Iterable[Path]) -> frozenset[str]:
    """API groups of the CRDs a chart archive ships (``crds/`` or templated CRDs)."""
    for directory in dirs:
        path = Path(directory) / f"{chart}-{version}.tgz"
        if path.is_file():
            return _archive_groups(path)
    return frozenset()


@cache
def _archive_groups(path: Path) -> frozenset[str]:
    groups: set[str] = set()
    with tarfile.open(path) as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.endswith((".yaml", ".yml")):
                continue
            stream = archive.extractfile(member)
            if stream is None:  # never for a regular file (isfile() above); typeshed allows it for links
                continue
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace").read()
            for doc in re.split(r"(?m)^---", text):
                if re.search(r"(?m)^kind:\s*CustomResourceDefinition\s*$", doc):
                    match = re.search(r"(?m)^  group:\s*[\"']?([A-Za-z0-9.-]+)", doc)
                    if match:
                        groups.add(match.group(1))
    return frozenset(groups)


def problems(
    stacks: dict[str, dict[str, Any]],
    dependencies: dict[str, list[str]],
    zones: Iterable[str],
    crd_groups: Callable[[str, str], frozenset[str]] = lambda chart, version: frozenset(),
) -> list[str]:
    """What cannot exist or run at the first apply, one line each: ``stack: address: why``.

    ``stacks``: stack name -> synthesized JSON of one environment; ``dependencies``: stack name ->
    the stacks it depends on; ``zones``: the environment's availability zones; ``crd_groups``:
    (chart, version) -> API groups of the CRDs that chart installs."""
    zones = tuple(zones)
    eni_configs: dict[str, list[Provided]] = {}
    crds: dict[str, list[Provided]] = {}
    custom_networking = False
    for name, stack in stacks.items():
        for lid, body in _resources(stack, "aws_eks_cluster").items():
            compute = body.get("compute_config") or []
            compute = compute[0] if isinstance(compute, list) and compute else compute
            if isinstance(compute, dict) and compute.get("enabled") is True:
                for group in AUTO_MODE_GROUPS:
                    crds.setdefault(group, []).append(Provided(name, f"aws_eks_cluster.{lid}"))
        for address, values in _vpc_cni(stack):
            crds.setdefault(ENICONFIG_GROUP, []).append(Provided(name, address))
            env = values.get("env") or {}
            if str(env.get("AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG", "")).lower() == "true":
                custom_networking = True
                if env.get("ENI_CONFIG_LABEL_DEF", _ZONE_LABEL) != _ZONE_LABEL:
                    continue  # named by another label: not judged here
            eni = values.get("eniConfig") or {}
            if eni.get("create"):
                for key in eni.get("subnets") or {}:
                    eni_configs.setdefault(key, []).append(Provided(name, address))
        for lid, body in _resources(stack, "helm_release").items():
            address = f"helm_release.{lid}"
            for group in crd_groups(str(body.get("chart", "")), str(body.get("version", ""))) | _indexed_groups(body):
                crds.setdefault(group, []).append(Provided(name, address))
            for obj in _manifests(body):
                if obj.get("kind") == "ENIConfig":
                    eni_configs.setdefault((obj.get("metadata") or {}).get("name", ""), []).append(Provided(name, address))

    def before(name: str, address: str, providers: list[Provided]) -> bool:
        upstream = upstream_of(dependencies, name)
        waits = _waits_for(stacks[name], address)
        return any(p.stack in upstream or (p.stack == name and p.address in waits) for p in providers)

    def where(providers: list[Provided]) -> str:
        return ", ".join(sorted({f"{p.stack} ({p.address})" for p in providers})) or "nowhere"

    found: list[str] = []
    for name, stack in sorted(stacks.items()):
        if custom_networking:
            for lid in sorted(_resources(stack, "aws_eks_node_group")):
                address = f"aws_eks_node_group.{lid}"
                for zone in zones:
                    providers = eni_configs.get(zone, [])
                    if not before(name, address, providers):
                        found.append(
                            f"{name}: {address}: VPC CNI custom networking is on, but the ENIConfig {zone} is created {where(providers)}, "
                            "not before this node group: its nodes give pods no address (CoreDNS never starts)"
                        )
        for lid, body in sorted(_resources(stack, "helm_release").items()):
            address = f"helm_release.{lid}"
            for obj in _manifests(body):
                group = _group(str(obj.get("apiVersion", "")))
                if group in _BUILTIN_GROUPS or "." not in group:
                    continue
                providers = crds.get(group, [])
                if not before(name, address, providers):
                    kind = f"{obj.get('kind')} {(obj.get('metadata') or {}).get('name', '')}"
                    found.append(f"{name}: {address}: {kind} needs the CRDs of {group}, created {where(providers)}, not before it")
    return sorted(set(found))


def environment_problems(outdir: Path, env_name: str, zones: Iterable[str], chart_dirs: Iterable[Path] = ()) -> list[str]:
    """``problems`` for one environment of a synthesized output directory."""
    manifest = json.loads((outdir / "manifest.json").read_text(encoding="utf-8"))
    names = [n for n in manifest["stacks"] if n.startswith(f"{env_name}-")]
    stacks = {n: json.loads((outdir / "stacks" / n / "cdk.tf.json").read_text(encoding="utf-8")) for n in names}
    stacks = {n: s for n, s in stacks.items() if _env_of(s, n, env_name)}
    dependencies = {n: list(manifest["stacks"][n].get("dependencies") or []) for n in stacks}
    dirs = tuple(chart_dirs)
    return problems(stacks, dependencies, zones, lambda chart, version: chart_crd_groups(chart, version, dirs))


def _env_of(stack: dict[str, Any], name: str, env_name: str) -> bool:
    # "dev-addons" belongs to "dev", unless an environment named like "dev-addons" exists; the
    # stack's own S3 backend key starts with its environment name.
    key = ((stack.get("terraform") or {}).get("backend") or {}).get("s3", {}).get("key", "")
    return not key or key.startswith(f"{env_name}/")


def main(argv: list[str] | None = None) -> int:
    from environments import load_environments
    from tools.render.charts import search_dirs

    args = list(sys.argv[1:] if argv is None else argv)
    outdir = Path(args[0] if args else "cdktf.out")
    wanted = set(args[1:])
    found = []
    for env in load_environments():
        if (wanted and env.name not in wanted) or not (outdir / "stacks" / f"{env.name}-cluster").is_dir():
            continue
        found += environment_problems(outdir, env.name, env.network.availability_zones, search_dirs())
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
