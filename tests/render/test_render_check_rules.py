"""The smaller render checks on hand-built manifests, one passing and one reported case per rule:
quantities, selectors and the shared walk (base), webhook ordering, PodDisruptionBudgets,
cluster-admin bindings, StorageClasses and claims, strict schemas. No synth, no Helm (the same
checks over real renders: tests/render/test_render.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.render_check_support import container, context, environment, located, messages, release, workload
from tools.render.checks import CHECKS, ordering, pdb, rbac, run_checks, schema, storage
from tools.render.checks.base import Finding, matches_selector, name_of, pod_labels, pod_spec, replicas
from tools.render.checks.quantity import mib, millicores, parse

ENV = environment("dev")


# -- quantities (k8s.io/apimachinery resource.Quantity: decimal SI, binary SI, exponent) -------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", 0.5),
        ("1.5", 1.5),
        ("2", 2.0),
        (".5", 0.5),
        ("+1", 1.0),
        ("-1", -1.0),
        ("1e3", 1000.0),
        ("1E3", 1000.0),
        ("1.5e-3", 0.0015),
        ("1k", 1e3),
        ("1M", 1e6),
        ("1G", 1e9),
        ("1T", 1e12),
        ("1P", 1e15),
        ("1E", 1e18),
        ("1Ki", 1024.0),
        ("9830Mi", 9830 * 1024.0**2),
        ("2Gi", 2 * 1024.0**3),
        ("1Ti", 1024.0**4),
        ("1Pi", 1024.0**5),
        ("1Ei", 1024.0**6),
        (3, 3.0),
        (0.25, 0.25),
        (" 64Mi ", 64 * 1024.0**2),
    ],
)
def test_quantities_parse_to_base_units(text: object, value: float) -> None:
    assert parse(text) == value


@pytest.mark.parametrize("text", ["", "Mi", "1x", "1 Gi", "1.2.3", "1mi", "1KiB", "e3", "abc"])
def test_what_is_not_a_quantity_is_an_error(text: str) -> None:
    with pytest.raises(ValueError, match=r"not a Kubernetes quantity"):
        parse(text)


def test_quantities_print_as_millicores_and_mebibytes() -> None:
    assert millicores(0.25) == "250m" and millicores(2) == "2000m"
    assert mib(3 * 2**20) == "3Mi" and mib(7452 * 2**20) == "7452Mi"


# -- base: the objects' shared vocabulary -------------------------------------------------------------


def test_a_finding_reads_environment_release_kind_and_namespaced_name() -> None:
    assert str(Finding("dev", "loki", "StatefulSet", "loki", "loki-0", "too big")) == "dev: loki: StatefulSet loki/loki-0: too big"
    assert str(Finding("dev", "loki", "ClusterRole", "", "loki", "too wide")) == "dev: loki: ClusterRole loki: too wide"


def test_namespaces_of_objects_follow_the_api_scope() -> None:
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "x"},
        "spec": {"names": {"kind": "ClusterThing"}, "scope": "Cluster"},
    }
    crd2 = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "y"}, "spec": {"names": {"kind": "Thing"}}}
    item = release("r", "rel-ns", crd, crd2)
    ctx = context(ENV, item)
    scopes = ctx.crd_scopes()
    assert scopes == {"ClusterThing": "Cluster", "Thing": "Namespaced"}
    assert ctx.namespace_of(item, {"kind": "ClusterRole", "metadata": {"name": "a", "namespace": "x"}}) == ""
    assert ctx.namespace_of(item, {"kind": "ClusterThing", "metadata": {"name": "a"}}, scopes) == ""
    assert ctx.namespace_of(item, {"kind": "ClusterThing", "metadata": {"name": "a"}}) == "rel-ns"  # scope unknown: namespaced
    assert ctx.namespace_of(item, {"kind": "Thing", "metadata": {"name": "a"}}, scopes) == "rel-ns"
    assert ctx.namespace_of(item, {"kind": "Service", "metadata": {"name": "a", "namespace": "own"}}) == "own"
    assert [o["metadata"]["name"] for _, o in ctx.objects()] == ["x", "y"]


def test_a_finding_from_the_context_names_its_object() -> None:
    item = release("r", "rel-ns")
    ctx = context(ENV, item)
    svc = {"kind": "Service", "metadata": {"name": "web", "namespace": "apps"}}
    assert ctx.finding(item, svc, "m") == Finding("dev", "r", "Service", "apps", "web", "m")
    assert ctx.finding(item, {"kind": "Service", "metadata": {"name": "web"}}, "m") == Finding("dev", "r", "Service", "rel-ns", "web", "m")
    assert ctx.finding("other", svc, "m") == Finding("dev", "other", "Service", "", "web", "m")
    assert ctx.finding(item, svc, "m", namespace="given") == Finding("dev", "r", "Service", "given", "web", "m")
    assert ctx.finding(item, None, "m") == Finding("dev", "r", "", "", "", "m")


def test_pod_specs_and_labels_of_each_workload_kind() -> None:
    pod = {"kind": "Pod", "metadata": {"name": "p", "labels": {"a": "1"}}, "spec": {"containers": [{"name": "c"}]}}
    assert pod_spec(pod) == {"containers": [{"name": "c"}]} and pod_labels(pod) == {"a": "1"}
    for kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"):
        obj = workload(kind, "w", labels={"app": kind})
        assert pod_spec(obj) == obj["spec"]["template"]["spec"] and pod_labels(obj) == {"app": kind}, kind
    job = workload("Job", "j", labels={"app": "cron"})
    cron = {"kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": job["spec"]}}}
    assert pod_spec(cron) == job["spec"]["template"]["spec"] and pod_labels(cron) == {"app": "cron"}
    assert pod_spec({"kind": "Service", "spec": {"template": {"spec": {}}}}) is None
    assert pod_labels({"kind": "Service"}) == {} and name_of({"kind": "Service"}) == ""


def test_replicas_default_to_one_and_only_scalable_kinds_have_more() -> None:
    assert replicas(workload("Deployment", "d")) == 1
    assert replicas(workload("StatefulSet", "s", replicas=3)) == 3
    assert replicas(workload("ReplicaSet", "r", replicas=0)) == 0
    deployment = workload("Deployment", "d")
    deployment["spec"]["replicas"] = None
    assert replicas(deployment) == 1
    daemonset = workload("DaemonSet", "d")
    daemonset["spec"]["replicas"] = 5
    assert replicas(daemonset) == 1


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        (None, True),
        ({}, True),  # an empty selector selects everything
        ({"matchLabels": {"app": "web"}}, True),
        ({"matchLabels": {"app": "web", "tier": "db"}}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["front", "back"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["back"]}]}, False),
        ({"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["back"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["front"]}]}, False),
        ({"matchExpressions": [{"key": "zone", "operator": "NotIn", "values": ["a"]}]}, True),  # absent key: not in
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "zone", "operator": "Exists"}]}, False),
        ({"matchExpressions": [{"key": "zone", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
        ({"matchExpressions": [{"key": "gen", "operator": "Gt", "values": ["2"]}]}, True),
        ({"matchExpressions": [{"key": "gen", "operator": "Gt", "values": ["3"]}]}, False),
        ({"matchExpressions": [{"key": "gen", "operator": "Lt", "values": ["4"]}]}, True),
        ({"matchExpressions": [{"key": "gen", "operator": "Lt", "values": ["3"]}]}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Gt", "values": ["1"]}]}, False),  # not a number
        ({"matchExpressions": [{"key": "zone", "operator": "Lt", "values": ["1"]}]}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Like", "values": ["web"]}]}, False),
        ({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}, {"key": "gen", "operator": "In", "values": [3]}]}, True),
    ],
)
def test_label_selectors_follow_kubernetes(selector: dict[str, Any] | None, matches: bool) -> None:
    assert matches_selector(selector, {"app": "web", "tier": "front", "gen": "3"}) is matches


# -- ordering: the load balancer controller's fail-closed webhooks ---------------------------------------


CONTROLLER = "aws-load-balancer-controller"


def _webhooks(*hooks: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "admissionregistration.k8s.io/v1", "kind": "MutatingWebhookConfiguration", "metadata": {"name": "hooks"}, "webhooks": list(hooks)}


def _hook(name: str, resources: list[str], *, group: str = "", operations: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name, "rules": [{"apiGroups": [group], "apiVersions": ["v1"], "operations": operations or ["CREATE"], "resources": resources}], **extra}


SERVICE = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}


def _ordering(hook: dict[str, Any], *objects: dict[str, Any], depends_on: tuple[str, ...] = (), namespace: str = "apps") -> list[str]:
    controller = release(CONTROLLER, "kube-system", _webhooks(hook))
    return messages(ordering.check(context(ENV, controller, release("app", namespace, *objects, depends_on=depends_on))))


def test_an_object_a_fail_closed_webhook_intercepts_needs_its_release_after_the_controller() -> None:
    hook = _hook("mservice.elbv2.k8s.aws", ["services"])
    reported = [f"mservice.elbv2.k8s.aws (failurePolicy Fail) intercepts it, but release app is not ordered after {CONTROLLER}"]
    assert _ordering(hook, SERVICE) == reported
    assert _ordering(hook, SERVICE, depends_on=(f"helm_release.{CONTROLLER}",)) == []
    assert _ordering({**hook, "failurePolicy": "Ignore"}, SERVICE) == []
    assert _ordering({**hook, "failurePolicy": "Fail"}, SERVICE) == reported


def test_ordering_through_another_release_counts() -> None:
    controller = release(CONTROLLER, "kube-system", _webhooks(_hook("mservice.elbv2.k8s.aws", ["services"])))
    middle = release("middle", "apps", depends_on=(f"helm_release.{CONTROLLER}",))
    app = release("app", "apps", SERVICE, depends_on=("helm_release.middle",))
    assert ordering.check(context(ENV, controller, middle, app)) == []
    loop = release("app", "apps", SERVICE, depends_on=("helm_release.loop", "helm_release.gone"))
    looping = release("loop", "apps", depends_on=("helm_release.app",))
    assert len(ordering.check(context(ENV, controller, looping, loop))) == 1


def test_only_creates_of_the_webhooks_groups_and_resources_are_intercepted() -> None:
    assert _ordering(_hook("h", ["services"], operations=["UPDATE"]), SERVICE) == []
    assert _ordering(_hook("h", ["services"], operations=["*"]), SERVICE) != []
    assert _ordering(_hook("h", ["*"]), SERVICE) != []
    assert _ordering(_hook("h", ["services"], group="apps"), SERVICE) == []
    assert _ordering(_hook("h", ["services"], group="*"), SERVICE) != []
    assert _ordering(_hook("h", ["ingresses"], group="networking.k8s.io"), SERVICE) == []
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"}}
    assert _ordering(_hook("h", ["ingresses"], group="networking.k8s.io"), ingress) != []


def test_pods_are_intercepted_through_their_workloads_and_selectors_apply() -> None:
    # The controller's pod webhook: namespaces labelled for readiness-gate injection only.
    hook = _hook(
        "mpod.elbv2.k8s.aws", ["pods"], namespaceSelector={"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["apps"]}]}
    )
    assert _ordering(hook, workload("Deployment", "web")) == [
        f"mpod.elbv2.k8s.aws (failurePolicy Fail) intercepts its pods, but release app is not ordered after {CONTROLLER}"
    ]
    assert _ordering(hook, workload("Deployment", "web"), namespace="other") == []
    by_label = _hook("mpod", ["pods"], objectSelector={"matchLabels": {"inject": "yes"}})
    assert _ordering(by_label, workload("Deployment", "web")) == []
    assert _ordering(by_label, workload("Deployment", "web", labels={"inject": "yes"})) != []


def test_a_cluster_scoped_object_ignores_the_namespace_selector() -> None:
    hook = _hook("h", ["clusterroles"], group="rbac.authorization.k8s.io", namespaceSelector={"matchLabels": {"never": "x"}})
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"}}
    assert len(_ordering(hook, role)) == 1


def test_one_finding_per_release_and_none_without_the_controller() -> None:
    hook = _hook("h", ["services"])
    assert len(_ordering(hook, SERVICE, {**SERVICE, "metadata": {"name": "other"}})) == 1
    assert ordering.check(context(ENV, release("app", "apps", SERVICE))) == []


@pytest.mark.parametrize(
    ("kind", "resource"),
    [
        ("Service", "services"),
        ("Ingress", "ingresses"),
        ("NetworkPolicy", "networkpolicies"),
        ("Gateway", "gateways"),
        ("IngressClass", "ingressclasses"),
        ("Mesh", "meshes"),
        ("Box", "boxes"),
        ("Match", "matches"),
        ("Pod", "pods"),
        ("Policy", "policies"),
    ],
)
def test_resource_names_are_the_kinds_plural(kind: str, resource: str) -> None:
    assert ordering.resource_of(kind) == resource


# -- PodDisruptionBudgets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "pods", "allowed"),
    [
        # The disruption controller: percentages of the expected pods, rounded up (GetScaledValueFromIntOrPercent).
        ({"maxUnavailable": 1}, 3, 1),
        ({"maxUnavailable": "50%"}, 3, 2),
        ({"maxUnavailable": "10%"}, 3, 1),
        ({"maxUnavailable": 0}, 3, 0),
        ({"minAvailable": 2}, 3, 1),
        ({"minAvailable": "50%"}, 3, 1),
        ({"minAvailable": "100%"}, 3, 0),
        ({"minAvailable": "100%"}, 200, 0),
        ({"maxUnavailable": "100%"}, 101, 101),
        ({"minAvailable": 1}, 1, 0),
        ({"maxUnavailable": None, "minAvailable": 1}, 2, 1),
        ({"minAvailable": None}, 2, 2),
        ({}, 2, 2),
    ],
)
def test_allowed_disruptions_are_the_eviction_apis(spec: dict[str, Any], pods: int, allowed: int) -> None:
    assert pdb.allowed_disruptions(spec, pods) == allowed


def _budget(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }


def _pdb(*objects: dict[str, Any]) -> list[str]:
    return messages(pdb.check(context(ENV, release("app", "apps", *objects))))


def test_a_budget_that_allows_no_disruption_is_reported() -> None:
    assert _pdb(_budget(minAvailable=1), workload("Deployment", "web", replicas=2)) == []
    assert _pdb(_budget(minAvailable=1), workload("Deployment", "web")) == ["minAvailable 1 with 1 pod(s) allows no disruption: a node drain blocks on it"]
    assert _pdb(_budget(maxUnavailable=0), workload("Deployment", "web", replicas=3)) == [
        "maxUnavailable 0 with 3 pod(s) allows no disruption: a node drain blocks on it"
    ]


def test_a_budget_counts_only_its_selected_pods_in_its_namespace() -> None:
    two = workload("Deployment", "web", replicas=2)
    one = workload("StatefulSet", "web-db", replicas=1, labels={"app": "web"})
    assert _pdb(_budget(minAvailable=2), two, one) == []  # 3 pods, 1 may go
    assert _pdb(_budget(minAvailable=3), two, one) == ["minAvailable 3 with 3 pod(s) allows no disruption: a node drain blocks on it"]
    elsewhere = workload("Deployment", "web", "other", replicas=5)
    assert _pdb(_budget(minAvailable=2), two, elsewhere) == ["minAvailable 2 with 2 pod(s) allows no disruption: a node drain blocks on it"]
    daemons = workload("DaemonSet", "web-agent", labels={"app": "web"})
    assert _pdb(_budget(minAvailable=2), two, daemons) == ["minAvailable 2 with 2 pod(s) allows no disruption: a node drain blocks on it"]
    others = workload("Deployment", "db", replicas=4, labels={"app": "db"})
    assert _pdb(_budget(minAvailable=2), two, others) == ["minAvailable 2 with 2 pod(s) allows no disruption: a node drain blocks on it"]


def test_a_budget_selecting_no_rendered_pods_is_not_judged() -> None:
    assert _pdb(_budget(minAvailable=1)) == []
    no_selector = _budget(minAvailable=1)
    del no_selector["spec"]["selector"]
    assert _pdb(no_selector, workload("Deployment", "web")) == []  # policy/v1: an empty selector selects no pods here


# -- cluster-admin bindings ---------------------------------------------------------------------------


def _binding(kind: str, role_kind: str, role: str, *subjects: dict[str, Any], namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "b"}
    if namespace:
        metadata["namespace"] = namespace
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": list(subjects),
    }


def _rbac(*objects: dict[str, Any]) -> list[str]:
    return messages(rbac.check(context(ENV, release("dash", "dash-ns", *objects))))


def test_a_service_account_bound_to_cluster_admin_is_reported() -> None:
    sa = {"kind": "ServiceAccount", "name": "dash", "namespace": "dash"}
    assert _rbac(_binding("ClusterRoleBinding", "ClusterRole", "cluster-admin", sa)) == ["binds ServiceAccount dash/dash to cluster-admin"]
    assert _rbac(_binding("ClusterRoleBinding", "ClusterRole", "view", sa)) == []
    assert _rbac(_binding("RoleBinding", "ClusterRole", "cluster-admin", {"kind": "ServiceAccount", "name": "dash"}, namespace="apps")) == [
        "binds ServiceAccount apps/dash to cluster-admin"
    ]
    # A ClusterRoleBinding's ServiceAccount subject without a namespace: the release's.
    assert _rbac(_binding("ClusterRoleBinding", "ClusterRole", "cluster-admin", {"kind": "ServiceAccount", "name": "dash"})) == [
        "binds ServiceAccount dash-ns/dash to cluster-admin"
    ]


def test_people_and_a_namespaced_role_named_cluster_admin_are_not_this_checks() -> None:
    user = {"kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"}
    assert _rbac(_binding("ClusterRoleBinding", "ClusterRole", "cluster-admin", user)) == []
    sa = {"kind": "ServiceAccount", "name": "dash", "namespace": "dash"}
    assert _rbac(_binding("RoleBinding", "Role", "cluster-admin", sa, namespace="dash")) == []
    assert _rbac({**_binding("ClusterRoleBinding", "ClusterRole", "cluster-admin", sa), "kind": "ClusterRole"}) == []


# -- storage ----------------------------------------------------------------------------------------------


def _class(name: str, default: str | None = None, annotation: str = "storageclass.kubernetes.io/is-default-class") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if default is not None:
        metadata["annotations"] = {annotation: default}
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": metadata, "provisioner": "ebs.csi.aws.com"}


def _claim(cls: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    if cls is not None:
        spec["storageClassName"] = cls
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "spec": spec}


def _storage(*objects: dict[str, Any]) -> list[str]:
    return messages(storage.check(context(ENV, release("app", "apps", *objects))))


def test_one_default_class_serves_claims_without_a_class() -> None:
    assert _storage(_class("gp3", "true"), _class("efs"), _claim(None), _claim("efs"), _claim("")) == []
    assert _storage(_class("gp3", "True", "storageclass.beta.kubernetes.io/is-default-class"), _claim(None)) == []


def test_two_default_classes_are_each_reported() -> None:
    both = "one of 2 default StorageClasses (efs, gp3): claims without a class get an arbitrary one"
    assert _storage(_class("gp3", "true"), _class("efs", "true"), _class("io2", "false")) == [both, both]


def test_a_claim_without_a_class_and_no_default_is_reported() -> None:
    assert _storage(_class("gp3", "false"), _claim(None)) == ["spec: claim names no StorageClass and the environment renders no default one"]
    assert _storage(_claim("")) == []  # "": no class, static binding


def test_a_claim_on_a_class_that_is_not_rendered_is_reported() -> None:
    assert _storage(_class("gp3", "true"), _claim("gp2")) == ["spec: StorageClass 'gp2' is not rendered in this environment (have: gp3)"]
    assert _storage(_claim("gp2")) == ["spec: StorageClass 'gp2' is not rendered in this environment (have: none)"]


def test_statefulset_templates_and_custom_resources_claim_too() -> None:
    sts = workload("StatefulSet", "db")
    sts["spec"]["volumeClaimTemplates"] = [
        {"metadata": {"name": "data"}, "spec": {"storageClassName": "gp3"}},
        {"metadata": {"name": "wal"}, "spec": {"storageClassName": "gp2"}},
    ]
    prometheus = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "Prometheus",
        "metadata": {"name": "p"},
        "spec": {"storage": {"volumeClaimTemplate": {"spec": {"storageClassName": "fast"}}}, "shards": [{"volumeClaimTemplate": {"spec": {}}}]},
    }
    assert _storage(_class("gp3", "false"), sts, prometheus) == [
        "volumeClaimTemplates[1] wal: StorageClass 'gp2' is not rendered in this environment (have: gp3)",
        "spec.storage.volumeClaimTemplate: StorageClass 'fast' is not rendered in this environment (have: gp3)",
        "spec.shards[0].volumeClaimTemplate: claim names no StorageClass and the environment renders no default one",
    ]
    sts["spec"]["volumeClaimTemplates"] = [
        {"metadata": {"name": "static"}, "spec": {"storageClassName": ""}},
        {"metadata": {"name": "wal"}, "spec": {"storageClassName": "gp2"}},
    ]
    assert _storage(_class("gp3", "true"), sts) == ["volumeClaimTemplates[1] wal: StorageClass 'gp2' is not rendered in this environment (have: gp3)"]
    # A built-in kind other than a claim or StatefulSet makes no claim, whatever its spec holds.
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"volumeClaimTemplate": {"spec": {"storageClassName": "gp2"}}}}
    assert _storage(_class("gp3", "true"), pod) == []


# -- schema -----------------------------------------------------------------------------------------------


def _schema(*objects: dict[str, Any], env: Any = ENV) -> list[str]:
    return messages(schema.check(context(env, release("app", "apps", *objects))))


def test_a_valid_builtin_object_passes_and_an_unknown_field_or_wrong_type_is_reported() -> None:
    deployment = workload("Deployment", "web", containers=[container("100m", "64Mi")])
    assert _schema(deployment) == []
    deployment["spec"]["replica"] = 2
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": "http"}]
    found = _schema(deployment)
    assert len(found) == 2 and all(m.startswith("schema (apps/v1): ") for m in found), found
    assert found[0].startswith("schema (apps/v1): spec: Additional properties are not allowed ('replica' was unexpected)"), found
    assert found[1].startswith("schema (apps/v1): spec.template.spec.containers.0.ports.0.containerPort: 'http' is not of type 'integer'"), found


def test_an_api_the_cluster_version_does_not_serve_is_reported() -> None:
    # policy/v1beta1 PodDisruptionBudget: removed in Kubernetes 1.25 (deprecated API migration guide).
    old = {"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "b"}, "spec": {"minAvailable": 1}}
    version = ENV.cluster.version
    assert _schema(old) == [f"policy/v1beta1 PodDisruptionBudget is not served (Kubernetes {version})"]
    assert _schema({**old, "apiVersion": "policy/v1"}) == []
    assert _schema({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}) == [
        "example.com/v1 Widget is not served (no CRD rendered in this environment)"
    ]
    assert _schema({"kind": "Widget", "metadata": {"name": "w"}}) == ["object without apiVersion or kind"]
    assert _schema({"apiVersion": "v1", "metadata": {"name": "w"}}) == ["object without apiVersion or kind"]


def test_the_schema_version_is_the_newest_not_newer_than_the_cluster() -> None:
    assert schema.schema_version("1.33") == "1.33.0"
    assert schema.schema_version("1.33.4") == "1.33.0"
    assert schema.schema_version("1.99") == "1.37.0"  # kubernetes-validate 1.37.0's newest
    # resource.k8s.io/v1 (dynamic resource allocation) is GA, so served, from Kubernetes 1.34.
    device_class = {"apiVersion": "resource.k8s.io/v1", "kind": "DeviceClass", "metadata": {"name": "gpu"}, "spec": {}}
    at = lambda version: environment("dev", lambda d: d["cluster"].update(version=version))  # noqa: E731
    assert _schema(device_class, env=at("1.34")) == []
    assert _schema(device_class, env=at("1.33")) == ["resource.k8s.io/v1 DeviceClass is not served (Kubernetes 1.33)"]


def _crd(*versions: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}, "scope": "Namespaced", "versions": list(versions)},
    }


WIDGET_SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {
            "type": "object",
            "properties": {
                "size": {"type": "integer"},
                "color": {"type": "string", "enum": ["red", "blue"]},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True, "properties": {"known": {"type": "string"}}},
                "map": {"type": "object", "additionalProperties": {"type": "string"}, "properties": {"fixed": {"type": "string"}}},
            },
            "required": ["size"],
        }
    },
}


def _widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "labels": {"a": "b"}}, "spec": spec}


def test_objects_of_a_crd_are_checked_against_its_schema_pruned_as_the_api_server_does() -> None:
    crd = _crd({"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}})
    assert _schema(crd, _widget(size=1, color="red", free={"anything": 1}, map={"k": "v"})) == []
    found = _schema(crd, _widget(size="big", colour="red", color="green"))
    assert found == [
        "schema (example.com/v1): spec: Additional properties are not allowed ('colour' was unexpected)",
        "schema (example.com/v1): spec.color: 'green' is not one of ['red', 'blue']",
        "schema (example.com/v1): spec.size: 'big' is not of type 'integer'",
    ]
    assert _schema(crd, _widget(color="red")) == ["schema (example.com/v1): spec: 'size' is a required property"]
    assert _schema(crd, {**_widget(size=1), "extra": 1}) == ["schema (example.com/v1): (root): Additional properties are not allowed ('extra' was unexpected)"]


def test_more_than_three_schema_errors_are_summarised() -> None:
    crd = _crd({"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}})
    found = _schema(crd, _widget(size="big", color="green", free={"known": 1}, map={"k": 1, "fixed": 2}))  # five errors
    assert found == [
        "schema (example.com/v1): spec.color: 'green' is not one of ['red', 'blue']",
        "schema (example.com/v1): spec.free.known: 1 is not of type 'string'",
        "schema (example.com/v1): spec.map.fixed: 2 is not of type 'string'",
        "schema (example.com/v1): ... and 2 more",
    ]


def test_only_served_crd_versions_are_served_and_a_version_without_schema_takes_anything() -> None:
    crd = _crd(
        {"name": "v1alpha1", "served": False, "storage": False, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}}, {"name": "v1", "served": True, "storage": True}
    )
    assert _schema(crd, _widget(anything="goes")) == []
    assert _schema(crd, {**_widget(size=1), "apiVersion": "example.com/v1alpha1"}) == [
        "example.com/v1alpha1 Widget is not served (no CRD rendered in this environment)"
    ]


def test_strict_schema_leaves_enum_default_and_required_as_they_are() -> None:
    value = {"properties": {"x": 1}}  # a value that looks like a schema: data, not a schema
    raw = {
        "type": "object",
        "properties": {"a": {"type": "object", "properties": {"b": {"type": "string"}}, "default": value, "enum": [value], "example": value}},
        "required": ["a"],
        "anyOf": [{"properties": {"c": {}}}],
    }
    strict = schema.strict_schema(raw)
    assert strict["additionalProperties"] is False and strict["properties"]["a"]["additionalProperties"] is False
    a = strict["properties"]["a"]
    assert (a["default"], a["enum"], a["example"]) == (value, [value], value) and strict["required"] == ["a"]
    assert strict["anyOf"] == [{"properties": {"c": {}}, "additionalProperties": False}]


# -- the registry of checks ---------------------------------------------------------------------------


def test_run_checks_runs_the_named_checks_in_order() -> None:
    ctx = context(
        ENV, release("dash", "dash", _binding("ClusterRoleBinding", "ClusterRole", "cluster-admin", {"kind": "ServiceAccount", "name": "d", "namespace": "n"}))
    )
    assert list(run_checks(ctx, ["pdb", "cluster-admin"])) == ["pdb", "cluster-admin"]
    assert messages(run_checks(ctx, ["cluster-admin"])["cluster-admin"]) == ["binds ServiceAccount n/d to cluster-admin"]
    assert list(run_checks(ctx)) == list(CHECKS)


# -- what each finding names, and every object of a release judged --------------------------------------


def test_schema_findings_name_their_objects_and_every_object_is_judged() -> None:
    crd = _crd({"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}})
    long_color = "g" * 400
    objects = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {"k": "v"}},
        {"metadata": {"name": "no-kind"}},
        {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}, "data": {"k": 1}},
        crd,
        _widget(size=1, color=long_color),
    ]
    found = located(schema.check(context(ENV, release("app", "apps", *objects))))
    assert found[:3] == [
        ("app", "", "apps", "no-kind", "object without apiVersion or kind"),
        ("app", "Gadget", "apps", "g", "example.com/v1 Gadget is not served (no CRD rendered in this environment)"),
        ("app", "ConfigMap", "apps", "b", "schema (v1): data.k: 1 is not of type 'string', 'null'"),
    ]
    [(release_, kind, namespace, name, message)] = found[3:]
    assert (release_, kind, namespace, name) == ("app", "Widget", "apps", "w")
    # jsonschema's message quotes the 400-character value; the finding keeps its first 300 characters.
    assert message == "schema (example.com/v1): spec.color: " + (f"'{long_color}' is not one of ['red', 'blue']")[:300]


def test_a_crd_whose_group_resembles_a_builtin_one_is_checked_against_the_crd() -> None:
    """networking.example.com/v1 NetworkPolicy is the CRD's kind, not networking.k8s.io's."""
    crd = _crd(
        {
            "name": "v1",
            "served": True,
            "storage": True,
            "schema": {
                "openAPIV3Schema": {
                    "type": "object",
                    "properties": {"spec": {"type": "object", "properties": {"rules": {"type": "array", "items": {"type": "string"}}}}},
                }
            },
        }
    )
    crd["spec"].update(group="networking.example.com", names={"kind": "NetworkPolicy", "plural": "networkpolicies"})
    policy = {"apiVersion": "networking.example.com/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": {"rules": ["allow-dns"]}}
    assert _schema(crd, policy) == []


def test_crds_are_found_wherever_they_are_in_the_release() -> None:
    crd = _crd({"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": WIDGET_SCHEMA}})
    assert _schema(workload("Deployment", "web"), _widget(size=1), crd) == []


def test_ordering_findings_name_the_object_and_the_first_matching_rule_counts() -> None:
    hook = {
        "name": "h",
        "rules": [
            {"apiGroups": [""], "resources": ["services"], "operations": ["UPDATE"]},
            {"apiGroups": ["apps"], "resources": ["services"], "operations": ["CREATE"]},
            {"apiGroups": [""], "resources": ["pods"], "operations": ["CREATE"]},
            {"apiGroups": [""], "resources": ["services"], "operations": ["CREATE"]},
        ],
    }
    controller = release(CONTROLLER, "kube-system", _webhooks(hook))
    found = located(ordering.check(context(ENV, controller, release("app", "apps", SERVICE))))
    assert found == [("app", "Service", "apps", "web", f"h (failurePolicy Fail) intercepts it, but release app is not ordered after {CONTROLLER}")]


def test_ordering_reads_an_objects_own_labels_and_custom_scopes() -> None:
    # The controller's service webhook skips its own Service by label (objectSelector NotIn).
    hook = _hook(
        "mservice.elbv2.k8s.aws",
        ["services"],
        objectSelector={"matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "NotIn", "values": ["aws-load-balancer-controller"]}]},
    )
    own = {**SERVICE, "metadata": {"name": "webhook", "labels": {"app.kubernetes.io/name": "aws-load-balancer-controller"}}}
    assert _ordering(hook, own) == []
    assert len(_ordering(hook, SERVICE)) == 1
    # An object of a cluster-scoped custom kind is outside every namespace selector.
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "x"},
        "spec": {"group": "example.com", "names": {"kind": "ClusterThing"}, "scope": "Cluster"},
    }
    thing = {"apiVersion": "example.com/v1", "kind": "ClusterThing", "metadata": {"name": "t"}}
    scoped = _hook("h", ["clusterthings"], group="example.com", namespaceSelector={"matchLabels": {"never": "x"}})
    assert len(_ordering(scoped, crd, thing)) == 1


def test_ordering_follows_every_dependency_past_missing_ones() -> None:
    hook = _hook("h", ["services"])
    assert _ordering(hook, SERVICE, depends_on=(f"helm_release.{CONTROLLER}", "helm_release.gone")) == []


def test_pdb_judges_every_budget_and_names_it() -> None:
    objects = [
        workload("Deployment", "web", replicas=1),
        _budget(minAvailable=1) | {"metadata": {"name": "nothing"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "none"}}}},
        _budget(minAvailable=1),
    ]
    assert located(pdb.check(context(ENV, release("app", "apps", *objects)))) == [
        ("app", "PodDisruptionBudget", "apps", "web", "minAvailable 1 with 1 pod(s) allows no disruption: a node drain blocks on it")
    ]


def test_rbac_judges_every_binding_and_names_it() -> None:
    sa = {"kind": "ServiceAccount", "name": "dash"}
    objects = [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "dash"}},
        _binding("ClusterRoleBinding", "ClusterRole", "view", sa),
        _binding("RoleBinding", "ClusterRole", "cluster-admin", sa),  # no namespace: the release's
    ]
    assert located(rbac.check(context(ENV, release("dash", "dash-ns", *objects)))) == [
        ("dash", "RoleBinding", "dash-ns", "b", "binds ServiceAccount dash-ns/dash to cluster-admin")
    ]


def test_storage_findings_name_their_objects_and_every_claim_is_judged() -> None:
    objects = [
        _class("gp3", "true"),
        _class("efs", "true"),
        _claim(""),
        {**_claim(None), "metadata": {"name": "cache"}},
        {**_claim("io2"), "metadata": {"name": "fast"}},
    ]
    assert located(storage.check(context(ENV, release("app", "apps", *objects)))) == [
        ("app", "StorageClass", "", "efs", "one of 2 default StorageClasses (efs, gp3): claims without a class get an arbitrary one"),
        ("app", "StorageClass", "", "gp3", "one of 2 default StorageClasses (efs, gp3): claims without a class get an arbitrary one"),
        ("app", "PersistentVolumeClaim", "apps", "fast", "spec: StorageClass 'io2' is not rendered in this environment (have: efs, gp3)"),
    ]
    none = [_class("gp3", "false"), {**_claim(None), "metadata": {"name": "cache"}}]
    assert located(storage.check(context(ENV, release("app", "apps", *none)))) == [
        ("app", "PersistentVolumeClaim", "apps", "cache", "spec: claim names no StorageClass and the environment renders no default one")
    ]
