"""EKS Auto Mode's way in and out on a deployed cluster, on the emulator: ``environments/local.yaml``
applied with its node groups, moved to Auto Mode (built-in and custom pools), Auto Mode turned off, and no
plan in the sequence replaces ``aws_eks_cluster`` (the cluster's ARN and creation time read back
unchanged after each step), each next plan empty, then destroyed.

Only the stacks the move touches run (state, network, cluster): the add-ons' AWS side does not
change with Auto Mode (its Kubernetes side, ``<env>-addons``, is never applied to the emulator).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.e2e.e2e_support import copy_stacks, phase
from tests.e2e.upgrade_support import copy_over, local_yaml, plan_json
from tools.emulator import Emulator
from tools.local import Workspace
from tools.local import synth as synth_environment

pytestmark = pytest.mark.e2e

STACKS = ("local-state", "local-network", "local-cluster")
REPLACED = ("aws-load-balancer-controller", "aws-ebs-csi-driver", "cluster-autoscaler", "aws-node-termination-handler")
CUSTOM_POOL = {"batch": {"capacity_types": ["spot"], "instance_categories": ["c", "m"], "limits": {"cpu": 16}}}


@pytest.fixture(scope="module")
def ws(synthesized: Callable[[str], tuple[Path, list[str]]], tmp_path_factory: pytest.TempPathFactory, tf_env: dict[str, str]) -> Iterator[Workspace]:
    outdir, stacks = synthesized("local")
    assert set(STACKS) <= set(stacks), stacks
    ordered = [s for s in stacks if s in STACKS]
    base = tmp_path_factory.mktemp("auto-mode")
    emulator = Emulator(log_path=base / "emulator.log").start()
    try:
        yield Workspace(outdir=copy_stacks(outdir, ordered, base), stacks=ordered, emulator=emulator, logs=base / "logs", base_env=tf_env)
    finally:
        emulator.stop()


def _moved(raw: dict[str, Any], auto_mode: dict[str, Any], *, restore: bool = False) -> None:
    """local.yaml with Auto Mode: Karpenter and the controllers Auto Mode replaces go (or, with
    ``restore``, come back as Auto Mode turns off)."""
    raw["cluster"]["autoscaler"] = "cluster-autoscaler"
    raw.pop("karpenter", None)
    # The label Karpenter's controller selected its node group by stays, so the node group's labels
    # do not change with the move (the emulator records no UpdateNodegroupConfig for DescribeUpdate).
    raw["cluster"]["node_groups"]["system"]["labels"]["platform.example.com/node-group"] = "system"
    addons = raw.setdefault("addons", {})
    for name in REPLACED:
        addons.pop(name, None)
    if restore:
        addons.update({"aws-load-balancer-controller": {}, "aws-ebs-csi-driver": {}})
    raw["cluster"]["auto_mode"] = auto_mode


def _redeploy(ws: Workspace, raw: dict[str, Any], directory: Path) -> None:
    """Synthesize ``raw`` and copy the JSON of the workspace's stacks over theirs (state stays in the bucket)."""
    environments = directory / "environments"
    environments.mkdir(parents=True)
    (environments / "local.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    outdir = directory / "cdktf.out"
    synth_environment(environments, "local", outdir)
    copy_over(ws, outdir, ws.stacks)


def _cluster_actions(plan: Path) -> list[list[str]]:
    changes = json.loads(plan.read_text()).get("resource_changes", [])
    return [c["change"]["actions"] for c in changes if c["type"] == "aws_eks_cluster"]


def _identity(ws: Workspace) -> tuple[str, Any]:
    cluster = ws.emulator.client("eks", "eu-west-1").describe_cluster(name="local-eks")["cluster"]
    return cluster["arn"], cluster["createdAt"]


def _step(ws: Workspace, raw: dict[str, Any], work: Path, label: str) -> dict[str, Any]:
    """Plan the change (the cluster updated in place, never replaced), apply it, plan again (empty)."""
    with phase(f"auto mode: {label}"):
        _redeploy(ws, raw, work / label)
        actions = _cluster_actions(plan_json(ws, "local-cluster", work / label))
        assert actions == [["update"]], f"{label}: aws_eks_cluster actions {actions}"
        for stack in ws.stacks:
            ws.apply(stack)
        planned = [s for s in ws.stacks if not ws.plan_is_empty(s)]
    assert not planned, f"{label}: changes planned after apply in {planned}; see {[str(ws.log(s)) for s in planned]}"
    return dict(ws.emulator.client("eks", "eu-west-1").describe_cluster(name="local-eks")["cluster"])


def test_enable_and_disable_never_replace_the_cluster(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("auto-mode-steps")
    with phase("auto mode: apply with node groups"):
        for stack in ws.stacks:
            ws.apply(stack)
    first = _identity(ws)

    on = _step(ws, local_yaml(lambda raw: _moved(raw, {"node_pools": CUSTOM_POOL})), work, "enable")
    assert on["computeConfig"]["enabled"] is True and sorted(on["computeConfig"]["nodePools"]) == ["general-purpose", "system"]
    assert on["storageConfig"] == {"blockStorage": {"enabled": True}}
    assert on["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": True}
    eks = ws.emulator.client("eks", "eu-west-1")
    custom = ws.emulator.client("iam", "eu-west-1").get_role(RoleName="local-eks-auto-custom-node")["Role"]["Arn"]
    assert eks.describe_access_entry(clusterName="local-eks", principalArn=custom)["accessEntry"]["type"] == "EC2"
    assert eks.list_nodegroups(clusterName="local-eks")["nodegroups"], "the node groups run on during the move"
    assert _identity(ws) == first

    # Out: the workloads moved back to the node groups (cordon and drain Auto Mode's nodes), then
    # off in one step, the built-in pools' role still named (docs/compute.md says why).
    off = _step(ws, local_yaml(lambda raw: _moved(raw, {"enabled": False, "built_in_pools": []}, restore=True)), work, "disable")
    assert off["computeConfig"]["enabled"] is False and not off["computeConfig"].get("nodePools")
    assert off["storageConfig"] == {"blockStorage": {"enabled": False}}
    assert off["kubernetesNetworkConfig"]["elasticLoadBalancing"] == {"enabled": False}
    assert _identity(ws) == first

    with phase("auto mode: destroy"):
        bucket = local_yaml(lambda raw: None)["state_backend"]["bucket"]
        for stack in reversed(ws.stacks):
            if stack == ws.stacks[0]:  # the state bucket still holds the other stacks' (versioned) state
                ws.emulator.empty_bucket(bucket, "eu-west-1")
            ws.destroy(stack)
    assert "local-eks" not in eks.list_clusters()["clusters"]
