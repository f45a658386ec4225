"""NetworkPolicy reachability of the examples' pods under the team's policies as the teams stack
applies them, judged by network-config-analyzer 2.1.0 (``nca``, in ``.venv-examples``).

Every promise becomes a small NetworkPolicy stating one connection; ``nca`` answers whether the
platform's policies *permit* it (or *forbid* it). The promises:

- each ``reach:`` of an example (``from: load-balancer`` means the environment's public subnets,
  where internet-facing load balancers of the AWS Load Balancer Controller have their addresses);
- every workload reaches the cluster DNS (kube-dns, UDP 53);
- a pod of a namespace the team does not list in ``allow_from_namespaces`` reaches none of them;
- with ``egress: restricted``, no workload reaches an address outside ``allow_egress_cidrs``.

A namespace without NetworkPolicies (``network_policy.enabled: false``) or on Fargate (where
nothing enforces them) is skipped with a note.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import yaml

from tools.examples.checks.base import ExampleContext, examples_python
from tools.render.checks.base import Finding, Obj, pod_labels, pod_spec
from tools.render.render import Rendered

OUTSIDER_NAMESPACE = "examples-outsider"
OUTSIDE_ADDRESS = "192.0.2.10/32"  # TEST-NET-1 (RFC 5737): an address no policy should allow


def _selector(text: str) -> Obj:
    key, _, value = text.partition("=")
    return {"matchLabels": {key: value}}


def _policy(name: str, namespace: str, direction: str, selected: Obj, peers: list[Obj], port: int, protocol: str = "TCP") -> Obj:
    rule = {"from" if direction == "Ingress" else "to": peers, "ports": [{"port": port, "protocol": protocol}]}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"podSelector": selected, "policyTypes": [direction], direction.lower(): [rule]},
    }


def promises(ctx: ExampleContext) -> list[tuple[Rendered, Obj, str, bool, Obj]]:
    """(example, object, what, should be allowed, the NetworkPolicy stating the connection)."""
    found: list[tuple[Rendered, Obj, str, bool, Obj]] = []
    team = ctx.target.env.teams[ctx.target.team]
    policy = team.network_policy
    public = list(ctx.target.env.network.public_subnets)
    enforced = {p["metadata"]["namespace"] for p in ctx.platform.network_policies}
    for item, obj in ctx.objects():
        spec, namespace = pod_spec(obj), obj["metadata"]["namespace"]
        if spec is None:
            continue
        if namespace not in enforced or team.namespaces.get(namespace) and team.namespaces[namespace].fargate:
            note = f"network: namespace {namespace} has no enforced NetworkPolicy (network_policy.enabled: false, or Fargate): its pods are not checked"
            if note not in ctx.notes:
                ctx.notes.append(note)
            continue
        labels = pod_labels(obj)
        me = {"matchLabels": labels}
        n = len(found)
        found.append((item, obj, "reaches kube-dns on UDP 53", True, _policy(f"q{n}", namespace, "Egress", me, [_dns_peer()], 53, "UDP")))
        if OUTSIDER_NAMESPACE not in policy.allow_from_namespaces:
            port = next((p.get("containerPort") for c in spec.get("containers") or [] for p in c.get("ports") or []), 8080)
            peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": OUTSIDER_NAMESPACE}}}
            found.append(
                (
                    item,
                    obj,
                    f"is unreachable from namespace {OUTSIDER_NAMESPACE} on {port}",
                    False,
                    _policy(f"q{n + 1}", namespace, "Ingress", me, [peer], port),
                )
            )
        if policy.egress == "restricted":
            outside = {"ipBlock": {"cidr": OUTSIDE_ADDRESS}}
            found.append(
                (item, obj, f"cannot reach {OUTSIDE_ADDRESS} on 443 (egress: restricted)", False, _policy(f"q{n + 2}", namespace, "Egress", me, [outside], 443))
            )
    for item in ctx.examples:
        for promise in ctx.meta[item.release.name].reach:
            target = next((o for o in item.objects if pod_spec(o) is not None and _matches(promise["to"], pod_labels(o))), None)
            if target is None or target["metadata"]["namespace"] not in enforced:
                continue
            namespace = target["metadata"]["namespace"]
            peers = [{"ipBlock": {"cidr": c}} for c in public] if promise["from"] == "load-balancer" else [{"podSelector": _selector(promise["from"])}]
            what = f"is reachable from {promise['from']} on {promise['port']}"
            found.append(
                (
                    item,
                    target,
                    what,
                    bool(promise["allowed"]),
                    _policy(f"q{len(found)}", namespace, "Ingress", _selector(promise["to"]), peers, int(promise["port"])),
                )
            )
    return found


def _matches(selector: str, labels: dict[str, str]) -> bool:
    key, _, value = selector.partition("=")
    return labels.get(key) == value


def _dns_peer() -> Obj:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}


def _topology(ctx: ExampleContext) -> tuple[list[Obj], list[Obj]]:
    names = {**{n: dict(labels) for n, labels in ctx.platform.namespaces.items()}, "kube-system": {}, OUTSIDER_NAMESPACE: {}}
    namespaces = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {**labels, "kubernetes.io/metadata.name": n}}}
        for n, labels in names.items()
    ]
    pods = [
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "coredns", "namespace": "kube-system", "labels": {"k8s-app": "kube-dns"}},
            "spec": {"containers": [{"name": "c"}]},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "outsider", "namespace": OUTSIDER_NAMESPACE, "labels": {"app": "outsider"}},
            "spec": {"containers": [{"name": "c"}]},
        },
    ]
    for item, obj in ctx.objects():
        spec = pod_spec(obj)
        if spec is not None:
            meta = {"name": f"{item.release.name}-{obj['metadata']['name']}", "namespace": obj["metadata"]["namespace"], "labels": pod_labels(obj)}
            pods.append({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": {"containers": spec.get("containers") or []}})
    return namespaces, pods


def run_nca(ctx: ExampleContext, asked: list[tuple[Rendered, Obj, str, bool, Obj]]) -> dict[str, tuple[bool, str]]:
    """query name -> (the platform satisfies it, nca's explanation)."""
    python = examples_python()
    namespaces, pods = _topology(ctx)
    example_policies = [o for _, o in ctx.objects() if o.get("kind") == "NetworkPolicy"]
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)

        def dump(name: str, kind: str, items: list[Obj]) -> str:
            (d / name).write_text(yaml.safe_dump({"apiVersion": "v1", "kind": kind, "items": items}))
            return name

        configs = [{"name": "platform", "networkPolicyList": [dump("platform.yaml", "NetworkPolicyList", [*ctx.platform.network_policies, *example_policies])]}]
        queries = []
        for _, _, _, allowed, policy in asked:
            name = policy["metadata"]["name"]
            configs.append({"name": name, "networkPolicyList": [dump(f"{name}.yaml", "NetworkPolicyList", [policy])]})
            queries.append({"name": name, "permits" if allowed else "forbids": ["platform", name]})
        scheme = {
            "namespaceList": dump("ns.yaml", "NamespaceList", namespaces),
            "podList": dump("pods.yaml", "PodList", pods),
            "networkConfigList": configs,
            "queries": queries,
        }
        (d / "scheme.yaml").write_text(yaml.safe_dump(scheme))
        proc = subprocess.run([str(python), "-m", "nca", "--scheme", "scheme.yaml"], cwd=d, capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode not in (0, 1) and "Running query" not in proc.stdout:
        raise RuntimeError(f"nca failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return parse(proc.stdout, [p["metadata"]["name"] for *_, p in asked])


def parse(output: str, names: list[str]) -> dict[str, tuple[bool, str]]:
    """nca's scheme output: after ``Running query <name>``, ``platform permits all connections ...``
    or ``platform forbids connections ...`` when satisfied, anything else (with its explanation) when not."""
    results: dict[str, tuple[bool, str]] = {}
    for block in re.split(r"^Running query ", output, flags=re.MULTILINE)[1:]:
        name, _, body = block.partition("\n")
        body = body.split("\nQuery ")[0].strip()
        ok = bool(re.search(r"^platform (permits all connections|forbids connections) specified in ", body, flags=re.MULTILINE))
        results[name.strip()] = (ok, " ".join(body.split("\n")[1:3]).strip() or body)
    for name in names:
        results.setdefault(name, (False, f"nca gave no answer (output: {output[-300:]!r})"))
    return results


def check(ctx: ExampleContext) -> list[Finding]:
    asked = promises(ctx)
    if not asked:
        return []
    answers = run_nca(ctx, asked)
    findings = []
    for item, obj, what, _allowed, policy in asked:
        ok, why = answers[policy["metadata"]["name"]]
        if not ok:
            findings.append(ctx.finding(item, obj, "network-policy", f"promise not kept: the pod {what}; nca: {why}"))
    return findings
