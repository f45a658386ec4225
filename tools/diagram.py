"""``make diagram ENV=<env>``: a picture of one environment, drawn from its synthesized JSON.

The VPC with one box per availability zone (its public subnet and NAT gateway, its private
subnet), the EKS cluster with its node groups (instance types, capacity, sizes, taints) and Fargate
profiles, EFS with its mount targets, the add-ons grouped by namespace with the IAM role each one's
service account assumes, and where every stack keeps its state. Everything is read from
``cdktf.out/stacks/<env>-*/cdk.tf.json`` (what would be applied), not from the environment file.

Rendering uses Graphviz through its Python binding (``graphviz``, pinned in requirements.txt) and
the ``dot`` program from the OS package ``graphviz`` (Debian/Ubuntu: ``apt-get install graphviz``).
Without ``dot`` the source is still written (``<env>.dot``) and the command says how to install it.

Over 300 lines because ``build`` draws one Graphviz graph whose clusters share node ids and edges
(a zone's subnets, the cluster, EFS, the add-ons); the leaf parts already live in ``diagram_parts``.

    python -m tools.diagram <env> [--outdir cdktf.out] [--format svg|png]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.cli import UserError, guarded
from tools.diagram_parts import _id, _label, network_extras

ROOT = Path(__file__).resolve().parent.parent
_REF = re.compile(r"^\$\{(aws_[a-z0-9_]+)\.([^.}]+)\.[a-z_]+\}$")

FONT = "Helvetica"
COLORS = {"public": "#e8f4fd", "private": "#eef7ee", "pod": "#f3f9e4", "cluster": "#fff7e6", "addons": "#f5f0ff", "state": "#f4f4f4", "storage": "#fdeeee"}


@dataclass
class Environment:
    """What the diagram shows, read from the synthesized stacks of one environment."""

    name: str
    stacks: dict[str, dict[str, Any]]
    backends: dict[str, str] = field(default_factory=dict)

    def resources(self, layer: str, type_: str) -> dict[str, dict[str, Any]]:
        return self.stacks.get(f"{self.name}-{layer}", {}).get("resource", {}).get(type_, {})


def load(env: str, outdir: Path) -> Environment:
    stacks_dir = outdir / "stacks"
    found = sorted(stacks_dir.glob(f"{env}-*/cdk.tf.json")) if stacks_dir.is_dir() else []
    # Only this environment's layers (another environment's name may start with this one's).
    manifest = outdir / "manifest.json"
    names = set(json.loads(manifest.read_text())["stacks"]) if manifest.is_file() else None
    found = [p for p in found if names is None or p.parent.name in names]
    if not found:
        raise UserError(f"no synthesized stacks for {env!r} in {outdir}: run `make synth` (or PLATFORM_ENVIRONMENTS={env} make synth) first")
    stacks = {p.parent.name: json.loads(p.read_text()) for p in found}
    backends = {}
    for name, doc in stacks.items():
        backend = doc.get("terraform", {}).get("backend", {})
        if "s3" in backend:
            backends[name] = f"s3://{backend['s3']['bucket']}/{backend['s3']['key']}"
        elif "local" in backend:
            backends[name] = f"local file {backend['local'].get('path', 'terraform.tfstate')}"
        elif "cloud" in backend:
            backends[name] = f"Terraform Cloud workspace {backend['cloud'].get('workspaces', {}).get('name', '?')}"
    return Environment(env, stacks, backends)


def karpenter_pools(env: Environment, release_name: str = "karpenter-nodepools") -> list[dict[str, Any]]:
    """The NodePools of the ``karpenter-nodepools`` release, or of EKS Auto Mode's ``eks-auto-mode``
    (Helm values are one JSON document)."""
    pools: list[dict[str, Any]] = []
    for release in env.resources("addons", "helm_release").values():
        if release.get("name") == release_name:
            for values in release.get("values", []):
                pools += [m for m in json.loads(values).get("manifests", []) if m.get("kind") == "NodePool"]
    return sorted(pools, key=lambda m: m["metadata"]["name"])


def _pool_lines(pool: dict[str, Any]) -> list[str]:
    spec = pool.get("spec", {})
    template = spec.get("template", {}).get("spec", {})
    reqs = {r["key"]: r.get("values", []) for r in template.get("requirements", [])}
    short = {
        "karpenter.sh/capacity-type": "",
        "karpenter.k8s.aws/instance-category": "categories ",
        "karpenter.k8s.aws/instance-family": "families ",
        "eks.amazonaws.com/instance-category": "categories ",
        "eks.amazonaws.com/instance-family": "families ",
        "node.kubernetes.io/instance-type": "",
    }
    lines = [f"{label}{', '.join(reqs[key])}" for key, label in short.items() if key in reqs]
    limits = spec.get("limits", {})
    lines.append("up to " + " / ".join(f"{v} {k}" for k, v in sorted(limits.items())))
    lines += [f"taint {t['key']}={t.get('value', '')}:{t['effect']}" for t in template.get("taints", [])]
    return lines


def build(env: Environment) -> Any:
    import graphviz

    g = graphviz.Digraph(
        env.name,
        graph_attr={
            "rankdir": "TB",
            "fontname": FONT,
            "label": f"environment {env.name}",
            "labelloc": "t",
            "fontsize": "20",
            "compound": "true",
            "nodesep": "0.25",
            "ranksep": "0.45",
        },
    )
    g.attr("node", shape="box", style="rounded,filled", fillcolor="white", fontname=FONT, fontsize="11")
    g.attr("edge", fontname=FONT, fontsize="9", color="#555555")

    subnets = env.resources("network", "aws_subnet")
    vpc = next(iter(env.resources("network", "aws_vpc").values()), None)
    nats = env.resources("network", "aws_nat_gateway")
    zones = sorted({s["availability_zone"] for s in subnets.values()})
    private_ids: list[str] = []
    with g.subgraph(name="cluster_vpc") as v:
        v.attr(label=f"VPC {vpc['cidr_block'] if vpc else ''}", style="rounded", color="#1f77b4", fontsize="14")
        v.node("igw", "internet gateway", shape="cds", fillcolor="#dddddd")
        for zone in zones:
            with v.subgraph(name=f"cluster_{_id(zone)}") as z:
                z.attr(label=zone, style="dashed,rounded", color="#888888")
                zone_public: list[str] = []
                zone_private: list[str] = []
                for logical, s in sorted(subnets.items(), key=lambda kv: kv[1]["cidr_block"]):
                    if s["availability_zone"] != zone:
                        continue
                    public = "kubernetes.io/role/elb" in s.get("tags", {})
                    node = _id("subnet", logical)
                    if "aws_vpc_ipv4_cidr_block_association" in str(s.get("vpc_id", "")):
                        # network.pod_network: pods' addresses come from the secondary CIDR (custom networking)
                        z.node(node, _label("pod subnet", s["cidr_block"], "secondary CIDR, pods only"), fillcolor=COLORS["pod"])
                        continue
                    kind = "public" if public else "private"
                    z.node(node, _label(f"{kind} subnet", s["cidr_block"]), fillcolor=COLORS[kind])
                    if public:
                        v.edge("igw", node, arrowhead="none", style="dotted")
                        zone_public.append(node)
                    else:
                        private_ids.append(node)
                        zone_private.append(node)
                    for nat_logical, nat in nats.items():
                        m = _REF.match(str(nat.get("subnet_id", "")))
                        if m and m.group(2) == logical:
                            with z.subgraph() as same:
                                same.attr(rank="same")
                                same.node(_id("nat", nat_logical), "NAT gateway", shape="octagon", fillcolor="#ffe9a8")
                                same.node(node)
                            z.edge(_id("nat", nat_logical), node, arrowhead="none")
                for pub, priv in zip(zone_public, zone_private, strict=False):
                    z.edge(pub, priv, style="invis")  # public above private
        network_extras(v, env)
        if len(nats) == 1 and len(zones) > 1:
            v.node("nat_note", "one NAT gateway for every zone\n(single: cheaper, one AZ's failure cuts egress)", shape="note", fontsize="9")

    cluster = next(iter(env.resources("cluster", "aws_eks_cluster").values()), None)
    anchor = None
    if cluster:
        vpc_cfg = cluster.get("vpc_config", {})
        access = "public + private" if vpc_cfg.get("endpoint_public_access") else "private only"
        cidrs = ", ".join(vpc_cfg.get("public_access_cidrs", []) or [])
        with g.subgraph(name="cluster_eks") as c:
            c.attr(
                label=f"EKS {cluster['name']} (Kubernetes {cluster.get('version', '?')})",
                style="rounded,filled",
                fillcolor=COLORS["cluster"],
                color="#d98c00",
                fontsize="14",
            )
            anchor = "endpoint"
            c.node(
                "endpoint",
                _label(
                    "API endpoint",
                    access,
                    *([f"from {cidrs}"] if cidrs else []),
                    f"auth: {cluster.get('access_config', {}).get('authentication_mode', 'CONFIG_MAP')}",
                ),
                shape="component",
            )

            def group_name(ng: dict) -> str:  # named by prefix since node groups replace create-before-destroy
                return str(ng.get("node_group_name") or ng.get("node_group_name_prefix", "").removesuffix("-"))

            for logical, ng in sorted(env.resources("cluster", "aws_eks_node_group").items(), key=lambda kv: group_name(kv[1])):
                sc = ng.get("scaling_config", {})
                taints = [f"taint {t['key']}={t.get('value', '')}:{t['effect']}" for t in ng.get("taint", [])]
                labels = [f"{k}={v}" for k, v in sorted((ng.get("labels") or {}).items())]
                c.node(
                    _id("ng", logical),
                    _label(
                        f"node group {group_name(ng)}",
                        ", ".join(ng.get("instance_types", [])),
                        f"{ng.get('capacity_type', 'ON_DEMAND')} · {sc.get('min_size')}–{sc.get('max_size')} nodes (start {sc.get('desired_size')})",
                        *labels,
                        *taints,
                    ),
                    fillcolor="white",
                )
                c.edge("endpoint", _id("ng", logical), style="invis")
            profiles = {**env.resources("cluster", "aws_eks_fargate_profile"), **env.resources("teams-aws", "aws_eks_fargate_profile")}
            for logical, fp in sorted(profiles.items()):
                sel = [
                    f"namespace {s['namespace']}" + "".join(f", {k}={v}" for k, v in sorted((s.get("labels") or {}).items())) for s in fp.get("selector", [])
                ]
                c.node(_id("fp", logical), _label(f"Fargate {fp['fargate_profile_name']}", *sel), shape="box3d", fillcolor="white")
                c.edge("endpoint", _id("fp", logical), style="invis")
            for pool in karpenter_pools(env):
                name = pool["metadata"]["name"]
                c.node(_id("pool", name), _label(f"Karpenter pool {name}", *_pool_lines(pool)), shape="box3d", fillcolor="white")
                c.edge("endpoint", _id("pool", name), style="invis")
            compute = (cluster.get("compute_config") or {}) if cluster else {}
            if compute.get("enabled"):  # EKS Auto Mode: AWS's built-in pools and the platform's own
                for name in sorted(compute.get("node_pools") or []):
                    c.node(_id("auto", name), _label(f"Auto Mode pool {name}", "built in (AWS)"), shape="box3d", fillcolor="white")
                    c.edge("endpoint", _id("auto", name), style="invis")
                for pool in karpenter_pools(env, "eks-auto-mode"):
                    name = pool["metadata"]["name"]
                    c.node(_id("auto", name), _label(f"Auto Mode pool {name}", *_pool_lines(pool)), shape="box3d", fillcolor="white")
                    c.edge("endpoint", _id("auto", name), style="invis")
            entries = env.resources("cluster", "aws_eks_access_entry")
            if entries:
                names = sorted(str(e.get("principal_arn", "")).rsplit("/", 1)[-1] for e in entries.values())
                c.node("access", _label(f"access entries ({len(names)})", *names), shape="note", fillcolor="white")
        for i, subnet in enumerate(private_ids):  # every zone's nodes and ENIs
            g.edge(subnet, "endpoint", lhead="cluster_eks", label="nodes and ENIs" if i == len(private_ids) // 2 else "", style="dashed")

    efs = next(iter(env.resources("storage", "aws_efs_file_system").values()), None)
    if efs:
        mounts = env.resources("storage", "aws_efs_mount_target")
        points = env.resources("storage", "aws_efs_access_point")
        with g.subgraph(name="cluster_storage") as s:
            s.attr(label="storage", style="rounded,filled", fillcolor=COLORS["storage"], color="#cc4444")
            s.node(
                "efs",
                _label(
                    "EFS",
                    "encrypted (cluster key)" if efs.get("encrypted") else "not encrypted",
                    f"{len(mounts)} mount target(s)",
                    *[f"access point {p.get('root_directory', {}).get('path', '')}" for p in points.values()],
                ),
                shape="cylinder",
            )
        for i, subnet in enumerate(private_ids):  # a mount target per zone
            g.edge(subnet, "efs", label="NFS" if i == 0 else "", style="dashed", arrowhead="none")

    releases = env.resources("addons", "helm_release")
    roles = {str(r.get("name", "")) for r in env.resources("addons-aws", "aws_iam_role").values()}
    buckets = sorted(str(b.get("bucket", "")) for b in env.resources("addons-aws", "aws_s3_bucket").values())
    if releases:
        prefix = f"{cluster['name']}-" if cluster else ""
        by_ns: dict[str, list[dict[str, Any]]] = {}
        for r in releases.values():
            by_ns.setdefault(r.get("namespace", "default"), []).append(r)
        with g.subgraph(name="cluster_addons") as a:
            a.attr(label="add-ons (Helm releases by namespace)", style="rounded,filled", fillcolor=COLORS["addons"], color="#7a5cc4", fontsize="14")
            for ns in sorted(by_ns):
                with a.subgraph(name=f"cluster_ns_{_id(ns)}") as n:
                    n.attr(label=f"namespace {ns}", style="dashed,rounded", color="#7a5cc4", fillcolor="white")
                    previous = None
                    for r in sorted(by_ns[ns], key=lambda r: r["name"]):
                        role = f"{prefix}{r['name']}"
                        chart = str(r.get("chart", ""))
                        lines = ["local chart (charts/)" if chart.startswith("assets/") else f"{chart} {r.get('version', '')}".strip()]
                        if role in roles:
                            lines.append(f"IAM role {role}")
                        n.node(_id("rel", r["name"]), _label(r["name"], *lines), fillcolor="white")
                        if previous:  # one column per namespace
                            n.edge(previous, _id("rel", r["name"]), style="invis")
                        previous = _id("rel", r["name"])
            if buckets:
                a.node("addon_buckets", _label("S3 buckets (SSE-KMS)", *buckets), shape="cylinder", fillcolor="white")
        groups = [_id("ng", logical) for logical in env.resources("cluster", "aws_eks_node_group")]
        for ns in sorted(by_ns):  # the add-ons below the cluster
            for group in groups[:1]:
                g.edge(group, _id("rel", sorted(by_ns[ns], key=lambda r: r["name"])[0]["name"]), style="invis")
        if anchor:
            first = sorted(by_ns)[0]
            g.edge(
                "endpoint", _id("rel", sorted(by_ns[first], key=lambda r: r["name"])[0]["name"]), lhead="cluster_addons", label="helm provider", style="dashed"
            )

    namespaces = env.resources("teams", "kubernetes_namespace_v1")
    if namespaces:
        teams: dict[str, list[str]] = {}
        for ns in namespaces.values():
            meta = ns.get("metadata") or {}
            team = (meta.get("labels") or {}).get("platform.example.com/team", meta.get("name", "?"))
            teams.setdefault(team, []).append(str(meta.get("name")))
        team_roles = [str(r.get("name", "")) for r in env.resources("teams-aws", "aws_iam_role").values()]
        with g.subgraph(name="cluster_teams") as t:
            t.attr(label="teams (docs/teams.md)", style="rounded,filled", fillcolor="#eefaf7", color="#2a9d8f", fontsize="14")
            for team in sorted(teams):
                roles = [r for r in team_roles if team in r]
                t.node(
                    _id("team", team), _label(f"team {team}", *[f"namespace {n}" for n in sorted(teams[team])], f"{len(roles)} IAM role(s)"), fillcolor="white"
                )
                if anchor:
                    g.edge("endpoint", _id("team", team), style="invis")

    with g.subgraph(name="cluster_state") as st:
        st.attr(label="Terraform state (one object per stack)", style="rounded,filled", fillcolor=COLORS["state"], color="#666666")
        lines = [f"{stack}: {where}" for stack, where in sorted(env.backends.items())]
        st.node("state", _label("state", *lines), shape="folder", fillcolor="white")
        bucket = next(iter(env.resources("state", "aws_s3_bucket").values()), None)
        if bucket:
            ci = [str(r.get("name")) for r in env.resources("state", "aws_iam_role").values()]
            st.node(
                "state_bucket",
                _label(f"bucket {bucket.get('bucket', '')}", "versioned, SSE-KMS (own key)", *([f"CI roles: {', '.join(sorted(ci))}"] if ci else [])),
                shape="cylinder",
                fillcolor="white",
            )
            st.edge("state_bucket", "state", arrowhead="none")
    if subnets:
        g.edge("state", "igw", style="invis")  # state on top
    return g


def render(env_name: str, outdir: Path, fmt: str = "svg") -> Path:
    graph = build(load(env_name, outdir))
    target_dir = outdir / "diagrams"
    target_dir.mkdir(parents=True, exist_ok=True)
    source = target_dir / f"{env_name}.dot"
    source.write_text(graph.source)
    if shutil.which("dot") is None:
        raise UserError(
            f"Graphviz's `dot` is not installed, so only the source was written ({source}): install the OS package "
            "`graphviz` (apt-get install graphviz / brew install graphviz) and run `make diagram` again"
        )
    import graphviz

    try:
        out = graph.render(filename=env_name, directory=str(target_dir), format=fmt, cleanup=True)
    except graphviz.backend.ExecutableNotFound:  # pragma: no cover - checked above
        raise UserError("Graphviz's `dot` is not installed: apt-get install graphviz") from None
    # render() also writes the source under <env> (no suffix) and deletes it with cleanup; keep <env>.dot.
    return Path(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.diagram", description=__doc__.split("\n\n")[0])
    parser.add_argument("environment")
    parser.add_argument("--outdir", type=Path, default=Path(os.environ.get("PLATFORM_OUTDIR") or ROOT / "cdktf.out"))
    parser.add_argument("--format", default="svg", choices=["svg", "png"])
    args = parser.parse_args(argv)

    def run() -> int:
        print(render(args.environment, args.outdir, args.format))
        return 0

    return guarded("tools.diagram", run)


if __name__ == "__main__":
    sys.exit(main())
