"""The schema check on an EKS Auto Mode environment: the APIs Auto Mode serves (NodeClass,
IngressClassParams on eks.amazonaws.com/v1; Karpenter's karpenter.sh/v1 NodePool) validate the
platform's objects; elsewhere they are not served.

Expectations: Karpenter 1.14.1's NodePool CRD (nodeClassRef needs group, kind and name); the EKS
User Guide's documented NodeClass and IngressClassParams fields ("Create a Node Class for Amazon
EKS", "Create an IngressClass to configure an Application Load Balancer").
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from catalog.auto_mode import manifests
from tests.conftest import missing_prerequisite
from tests.render_check_support import context, environment, messages, release
from tools.render.charts import ChartMissing
from tools.render.checks import schema
from tools.render.checks.auto_mode_schemas import karpenter_node_pool_crd

AUTO = environment("auto")
OBJECTS = manifests(AUTO, ["subnet-1", "subnet-2"], "sg-1")


@pytest.fixture(scope="module", autouse=True)
def _karpenter_crd_archive() -> None:
    try:
        karpenter_node_pool_crd()
    except ChartMissing as exc:
        missing_prerequisite(str(exc))


def findings(*objects: dict[str, Any], env: Any = AUTO) -> list[str]:
    return messages(schema.check(context(env, release("eks-auto-mode", "kube-system", *objects))))


def _kind(kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in OBJECTS if o["kind"] == kind))


def test_the_platforms_auto_mode_objects_are_valid() -> None:
    assert findings(*OBJECTS) == []


def test_a_misspelt_node_class_field_is_a_finding() -> None:
    node_class = _kind("NodeClass")
    node_class["spec"]["subnetSelectors"] = node_class["spec"].pop("subnetSelectorTerms")
    found = findings(node_class)
    assert len(found) == 1 and "subnetSelectors" in found[0], found


def test_an_unknown_ingress_scheme_is_a_finding() -> None:
    params = _kind("IngressClassParams")
    params["spec"]["scheme"] = "private"
    found = findings(params)
    assert len(found) == 1 and "'private' is not one of" in found[0], found


def test_a_node_pool_without_its_node_class_name_is_a_finding() -> None:
    pool = _kind("NodePool")
    del pool["spec"]["template"]["spec"]["nodeClassRef"]["name"]
    found = findings(pool)
    assert len(found) == 1 and "'name' is a required property" in found[0], found


def test_without_auto_mode_its_apis_are_not_served() -> None:
    found = findings(_kind("NodeClass"), _kind("IngressClassParams"), env=environment("dev"))
    assert len(found) == 2 and all("is not served" in f for f in found), found
