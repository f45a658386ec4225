"""Karpenter rendered by real Helm (tools/render): staging's NodePool and EC2NodeClass are checked
against the CRDs the karpenter-crd 1.14.1 chart ships, and the controller's ServiceAccount against
its IRSA role's trust. The clean run of every check is in test_render.py; these prove the checks
see Karpenter's objects (a scratch break of each is reported). Skipped without Helm or charts."""

from __future__ import annotations

import copy

from tests.render_support import context
from tools.render.checks import irsa, run_checks, schema
from tools.render.checks.base import Context
from tools.render.environment import EnvironmentRender
from tools.render.render import Rendered


def objects_of(result: EnvironmentRender, release: str) -> list[dict]:
    item = result.of(release)
    assert item is not None, f"{result.env.name} has no release {release}"
    return copy.deepcopy(list(item.objects))


def with_objects(result: EnvironmentRender, release: str, objects: list[dict]) -> Context:
    items = tuple(Rendered(r.release, r.chart_path, r.manifest, tuple(objects)) if r.release.name == release else r for r in result.rendered)
    return Context(result.env, items, result.synth)


def test_staging_renders_the_crds_the_controller_and_its_node_pools(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    crds = {o["spec"]["names"]["kind"] for o in objects_of(result, "karpenter-crd") if o.get("kind") == "CustomResourceDefinition"}
    assert {"NodePool", "EC2NodeClass", "NodeClaim"} <= crds
    kinds = sorted(o["kind"] for o in objects_of(result, "karpenter-nodepools"))
    assert kinds == ["EC2NodeClass"] + ["NodePool"] * len(result.env.karpenter.node_pools)
    deployment = next(o for o in objects_of(result, "karpenter") if o["kind"] == "Deployment")
    env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["CLUSTER_NAME"] == "staging-eks" and env["INTERRUPTION_QUEUE"] == "staging-eks-karpenter"
    assert run_checks(context(result), ["schema", "irsa"]) == {"schema": [], "irsa": []}


def test_the_schema_check_holds_node_pools_and_the_node_class_to_the_crds(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objects = objects_of(result, "karpenter-nodepools")
    pool = next(o for o in objects if o["kind"] == "NodePool")
    pool["spec"]["disruption"]["consolidationPolicy"] = "Always"
    pool["spec"]["template"]["spec"]["expiresAfter"] = "1h"
    node_class = next(o for o in objects if o["kind"] == "EC2NodeClass")
    node_class["spec"]["metadataOptions"]["httpTokens"] = "sometimes"
    messages = [f.message for f in schema.check(with_objects(result, "karpenter-nodepools", objects))]
    assert any("'Always' is not one of" in m for m in messages), messages
    assert any("expiresAfter" in m for m in messages), messages
    assert any("'sometimes' is not one of" in m for m in messages), messages


def test_the_irsa_check_holds_the_controllers_service_account_to_its_role(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objects = objects_of(result, "karpenter")
    account = next(o for o in objects if o["kind"] == "ServiceAccount")
    assert account["metadata"]["name"] == "karpenter"
    account["metadata"]["name"] = "karpenter-renamed"
    messages = [f.message for f in irsa.check(with_objects(result, "karpenter", objects))]
    assert any("role staging-eks-karpenter trusts sub ['system:serviceaccount:kube-system:karpenter']" in m for m in messages), messages
