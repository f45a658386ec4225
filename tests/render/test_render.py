"""Every helm_release of every environment rendered by real Helm from the pinned chart archive,
and the render checks over what it renders (tools/render). Skipped, with the reason, without Helm
(``make helm``) or the chart archives (``make charts``)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from tests.conftest import Synth
from tests.render_support import ADDON_ENVIRONMENTS, context
from tools.render.checks import CHECKS, Context, fit, identity, irsa, ordering, pdb, rbac, run_checks, schema, storage
from tools.render.environment import EnvironmentRender
from tools.render.releases import PLACEHOLDER, resolve
from tools.render.render import Rendered, check_archive_version, kube_version


def _replace(result: EnvironmentRender, release: str, objects: list[dict]) -> Context:
    """The environment's context with one release's objects replaced (a scratch break)."""
    items = tuple(Rendered(r.release, r.chart_path, r.manifest, tuple(objects)) if r.release.name == release else r for r in result.rendered)
    return Context(result.env, items, result.synth)


def _objects(result: EnvironmentRender, release: str) -> list[dict]:
    item = result.of(release)
    assert item is not None, f"{result.env.name} has no release {release}"
    return copy.deepcopy(list(item.objects))


def _find(objects: list[dict], kind: str, name: str | None = None) -> dict:
    return next(o for o in objects if o.get("kind") == kind and (name is None or o["metadata"]["name"] == name))


# --- rendering --------------------------------------------------------------------------------


@pytest.mark.parametrize("env_name", ADDON_ENVIRONMENTS)
def test_every_release_renders_at_the_cluster_version(env_name: str, rendered: dict[str, EnvironmentRender], synth: Synth) -> None:
    result = rendered[env_name]
    stacks = [s for s in synth.stack_names if s.startswith(f"{env_name}-")]  # add-ons, teams, ...
    releases = [b for s in stacks for b in synth.resources(s, "helm_release").values()]
    assert f"{env_name}-addons" in stacks and releases
    assert sorted(r.release.name for r in result.rendered) == sorted(b["name"] for b in releases)
    for item in result.rendered:
        assert item.objects, f"{item.release.name} rendered nothing"
        path = synth.outdir / "rendered" / env_name / f"{item.release.name}.yaml"
        assert path.read_text() == item.manifest
    # helm template --kube-version: charts that read .Capabilities.KubeVersion see the cluster's.
    assert kube_version(result.env.cluster.version) == f"{result.env.cluster.version}.0"


@pytest.mark.parametrize("env_name", ADDON_ENVIRONMENTS)
def test_the_archive_of_each_release_is_the_pinned_chart_version(env_name: str, rendered: dict[str, EnvironmentRender]) -> None:
    assert rendered[env_name].problems == ()


def test_an_archive_whose_chart_version_differs_from_the_pin_is_reported(rendered: dict[str, EnvironmentRender], tmp_path: Path) -> None:
    item = next(r for r in rendered[ADDON_ENVIRONMENTS[0]].rendered if r.release.version)
    fake = tmp_path / f"{item.release.chart}-9.9.9.tgz"
    shutil.copy(item.chart_path, fake)
    bumped = type(item.release)(**{**item.release.__dict__, "version": "9.9.9"})
    problem = check_archive_version(bumped, fake)
    assert problem is not None and f"the release pins {item.release.chart} 9.9.9" in problem


def test_references_to_the_same_stack_are_resolved_from_the_written_resource() -> None:
    from tools.render.releases import resolve_local

    resources = {"kubernetes_namespace_v1": {"ns": {"metadata": {"name": "payments"}}}}
    assert resolve_local({"namespace": "${kubernetes_namespace_v1.ns.metadata[0].name}"}, resources) == {"namespace": "payments"}
    assert resolve_local("${aws_iam_role.r.arn}", resources) == "${aws_iam_role.r.arn}"


def test_apply_time_values_become_marked_placeholders_or_real_outputs() -> None:
    value = {"arn": "${data.terraform_remote_state.cross-stack-reference-input-dev-addons-aws.outputs.role_arn}", "n": 1}
    assert resolve(value) == {"arn": "APPLY-TIME(dev-addons-aws:role_arn)", "n": 1}
    assert PLACEHOLDER.fullmatch(resolve(value)["arn"])
    real = {"dev-addons-aws": {"role_arn": "arn:aws:iam::111111111111:role/dev-eks-x"}}
    assert resolve(value, real)["arn"] == "arn:aws:iam::111111111111:role/dev-eks-x"


def test_the_chart_gates_on_crd_api_versions_see_the_platforms_crds(rendered: dict[str, EnvironmentRender]) -> None:
    # kube-prometheus-stack renders its ServiceMonitors only when monitoring.coreos.com/v1 is served.
    with_kps = [r for r in rendered.values() if r.of("kube-prometheus-stack")]
    assert with_kps, "no environment enables kube-prometheus-stack"
    for result in with_kps:
        kinds = {o["kind"] for o in result.of("kube-prometheus-stack").objects}
        assert {"ServiceMonitor", "Prometheus"} <= kinds
        # Its CRDs are the CRD releases' (skip_crds on the chart's): Helm upgrades them there.
        assert "CustomResourceDefinition" not in kinds
        crds = {o["spec"]["group"] for name in ("kube-prometheus-stack-crds", "kube-prometheus-stack-crds-2") for o in result.of(name).objects}
        assert crds == {"monitoring.coreos.com"}


# --- the checks on every environment ------------------------------------------------------------


@pytest.mark.parametrize("check_name", list(CHECKS))
@pytest.mark.parametrize("env_name", ADDON_ENVIRONMENTS)
def test_render_check_finds_nothing(env_name: str, check_name: str, rendered: dict[str, EnvironmentRender]) -> None:
    findings = run_checks(context(rendered[env_name]), [check_name])[check_name]
    assert not findings, "\n".join(map(str, findings))


# --- each check catches what it names (scratch breaks of real rendered objects) -----------------


def test_schema_catches_an_unknown_field_a_wrong_type_and_an_api_the_version_no_longer_serves(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objects = _objects(result, "metrics-server")
    deployment = _find(objects, "Deployment")
    deployment["spec"]["replica"] = 2
    deployment["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    pdb_obj = _find(objects, "PodDisruptionBudget")
    pdb_obj["apiVersion"] = "policy/v1beta1"  # removed in 1.25
    messages = [f.message for f in schema.check(_replace(result, "metrics-server", objects))]
    assert any("replica" in m and "Additional properties" in m for m in messages), messages
    assert any("containerPort" in m for m in messages), messages
    assert any("policy/v1beta1 PodDisruptionBudget is not served" in m for m in messages), messages


def test_schema_checks_crd_objects_against_the_crds_own_schema(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objects = _objects(result, "cluster-secret-store")
    store = _find(objects, "ClusterSecretStore")
    store["spec"]["provider"]["aws"]["servce"] = "ParameterStore"
    store["spec"]["provider"]["aws"]["service"] = "Vault"
    messages = [f.message for f in schema.check(_replace(result, "cluster-secret-store", objects))]
    assert any("servce" in m for m in messages), messages
    assert any("'Vault' is not one of" in m for m in messages), messages


def test_irsa_catches_a_service_account_the_role_does_not_trust_and_pods_not_running_as_it(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objects = _objects(result, "external-dns")
    _find(objects, "ServiceAccount")["metadata"]["name"] = "external-dns-renamed"
    messages = [f.message for f in irsa.check(_replace(result, "external-dns", objects))]
    assert any(
        "trusts sub ['system:serviceaccount:external-dns:external-dns'], but the annotated ServiceAccount is system:serviceaccount:external-dns:external-dns-renamed"
        in m
        for m in messages
    ), messages
    assert any("no pod template of the release runs as it" in m for m in messages), messages
    assert any("runs as ServiceAccount external-dns/external-dns, which the release does not render" in m for m in messages), messages


def test_a_service_account_that_loses_its_role_annotation_is_caught(rendered: dict[str, EnvironmentRender]) -> None:
    """Staging's add-ons are in the ``both`` identity phase: the role also has an EKS Pod Identity
    association, so the irsa check leaves it to the identity check, which wants both paths."""
    result = rendered["staging"]
    objects = _objects(result, "tempo")
    del _find(objects, "ServiceAccount")["metadata"]["annotations"]
    broken = _replace(result, "tempo", objects)
    assert [f.message for f in irsa.check(broken)] == []
    assert [f.message for f in identity.check(broken)] == [
        "identity both (addons.tempo): wants the IRSA annotation and an EKS Pod Identity association and nothing else, "
        "but it has an EKS Pod Identity association"
    ]


def test_fit_catches_a_pod_larger_than_any_place_it_may_run(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    spec = _find(_objects(result, "metrics-server"), "Deployment")["spec"]["template"]["spec"]
    allowed = [p for p in fit.places(result.env) if fit.accepts(spec, p) is None]
    assert allowed, "metrics-server may run nowhere in staging"
    largest = max(p.memory for p in allowed)
    objects = _objects(result, "metrics-server")
    container = _find(objects, "Deployment")["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"requests": {"cpu": "100m", "memory": f"{int(largest / 2**20) + 1}Mi"}}
    messages = [f.message for f in fit.check(_replace(result, "metrics-server", objects))]
    assert len(messages) == 1 and "fits no node group or pool" in messages[0], messages
    for place in allowed:
        assert f"{place.instance_type} has" in messages[0]
    container["resources"] = {"requests": {"cpu": "100m", "memory": f"{int(largest / 2**20)}Mi"}}
    assert not fit.check(_replace(result, "metrics-server", objects))


def test_fit_names_the_untolerated_taint_of_a_group(rendered: dict[str, EnvironmentRender]) -> None:
    tainted = [(r, p) for r in rendered.values() for p in fit.places(r.env) if p.taints]
    assert tainted, "no environment has a tainted node group or pool"
    result, place = tainted[0]
    key, value, effect = place.taints[0]
    assert fit.accepts({"containers": []}, place) == f"taint {key}={value}:{effect} not tolerated"
    assert fit.accepts({"containers": [], "tolerations": [{"key": key, "operator": "Exists"}]}, place) is None


def test_fit_counts_init_containers_and_limits_without_requests(rendered: dict[str, EnvironmentRender]) -> None:
    spec = {
        "containers": [{"resources": {"limits": {"memory": "1Gi", "cpu": "1"}}}, {"resources": {"requests": {"cpu": "250m"}}}],
        "initContainers": [{"resources": {"requests": {"memory": "3Gi"}}}, {"restartPolicy": "Always", "resources": {"requests": {"cpu": "1"}}}],
    }
    assert fit.requests(spec) == (2.25, 3 * 2**30)


def test_fit_catches_required_anti_affinity_with_more_replicas_than_nodes(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objects = _objects(result, "metrics-server")
    deployment = _find(objects, "Deployment")
    room = sum(p.max_nodes for p in fit.places(result.env) if fit.accepts(deployment["spec"]["template"]["spec"], p) is None)
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    deployment["spec"]["replicas"] = room + 1
    deployment["spec"]["template"]["spec"]["affinity"] = {
        "podAntiAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {"matchLabels": labels}, "topologyKey": "kubernetes.io/hostname"}]
        }
    }
    messages = [f.message for f in fit.check(_replace(result, "metrics-server", objects))]
    assert f"{room + 1} replicas with required anti-affinity on kubernetes.io/hostname, but at most {room} nodes can hold them" in messages
    deployment["spec"]["replicas"] = room
    assert not fit.check(_replace(result, "metrics-server", objects))


def test_fit_sends_selected_pods_to_fargate_and_checks_its_limits(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["dev"]  # dev has a Fargate profile for namespace batch, label compute=fargate
    objects = _objects(result, "metrics-server")
    deployment = _find(objects, "Deployment")
    deployment["metadata"]["namespace"] = "batch"
    deployment["spec"]["template"]["metadata"]["labels"]["compute"] = "fargate"
    deployment["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "4", "memory": "16Gi"}}
    assert not fit.check(_replace(result, "metrics-server", objects))  # too big for dev's nodes, fine on Fargate
    deployment["spec"]["template"]["spec"]["containers"][0]["resources"] = {"requests": {"cpu": "4", "memory": "120Gi"}}
    messages = [f.message for f in fit.check(_replace(result, "metrics-server", objects))]
    assert any("more than a Fargate pod can have (profile batch" in m for m in messages), messages


def test_storage_catches_two_defaults_and_a_claim_on_a_missing_class(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    efs = _objects(result, "aws-efs-csi-driver")
    _find(efs, "StorageClass")["metadata"].setdefault("annotations", {})["storageclass.kubernetes.io/is-default-class"] = "true"
    tempo = _objects(result, "tempo")
    _find(tempo, "StatefulSet")["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = "gp2"
    ctx = _replace(result, "aws-efs-csi-driver", efs)
    ctx = Context(
        ctx.env, tuple(Rendered(r.release, r.chart_path, r.manifest, tuple(tempo)) if r.release.name == "tempo" else r for r in ctx.rendered), ctx.synth
    )
    messages = [f.message for f in storage.check(ctx)]
    assert any(m.startswith("one of 2 default StorageClasses (efs, gp3)") for m in messages), messages
    assert any("StorageClass 'gp2' is not rendered in this environment" in m for m in messages), messages


def test_ordering_catches_a_service_created_before_the_load_balancer_controller(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    item = result.of("metrics-server")
    detached = type(item.release)(**{**item.release.__dict__, "depends_on": ()})
    ctx = Context(result.env, tuple(Rendered(detached, r.chart_path, r.manifest, r.objects) if r is item else r for r in result.rendered), result.synth)
    messages = [f.message for f in ordering.check(ctx)]
    assert messages == [
        "mservice.elbv2.k8s.aws (failurePolicy Fail) intercepts it, but release metrics-server is not ordered after aws-load-balancer-controller"
    ]


def test_pdb_catches_a_budget_that_allows_no_disruption(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objects = _objects(result, "metrics-server")
    _find(objects, "PodDisruptionBudget")["spec"]["minAvailable"] = 2  # 2 replicas
    messages = [f.message for f in pdb.check(_replace(result, "metrics-server", objects))]
    assert messages == ["minAvailable 2 with 2 pod(s) allows no disruption: a node drain blocks on it"]
    assert pdb.allowed_disruptions({"maxUnavailable": "50%"}, 3) == 2
    assert pdb.allowed_disruptions({"minAvailable": "50%"}, 3) == 1


def test_cluster_admin_check_catches_an_addon_service_account_bound_to_cluster_admin(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objects = _objects(result, "metrics-server")
    binding = copy.deepcopy(_find(objects, "ClusterRoleBinding"))
    binding["roleRef"]["name"] = "cluster-admin"
    findings = rbac.check(_replace(result, "metrics-server", [*objects, binding]))
    assert [f.message for f in findings] == ["binds ServiceAccount kube-system/metrics-server to cluster-admin"]


# --- Loki's chunks cache (the finding that started this) ----------------------------------------


def test_fit_catches_stagings_loki_chunks_cache_on_the_chart_default_size(helm: Path, rendered: dict[str, EnvironmentRender], synth: Synth) -> None:
    """With chunks_cache on and no size, chart 18.11.0 requests round(1.2 x 8192) = 9830Mi for
    loki-chunks-cache; staging's largest node (m6i.large) has 7518Mi allocatable."""
    from tools.render.charts import search_dirs
    from tools.render.render import render_releases

    result = rendered["staging"]
    loki = result.of("loki").release
    old_values = copy.deepcopy(loki.values)
    old_values["chunksCache"] = {"enabled": True}  # the values before the cache was sized per environment
    old = type(loki)(**{**loki.__dict__, "values": old_values})
    [item] = render_releases(helm, [old], search_dirs(), cluster_version=result.env.cluster.version)
    # As staging was configured then: its node groups only (before Karpenter node pools).
    env = result.env.model_copy(update={"karpenter": None}) if getattr(result.env, "karpenter", None) else result.env
    findings = fit.check(Context(env, (item,), result.synth))
    assert [(f.kind, f.name) for f in findings] == [("StatefulSet", "loki-chunks-cache")]
    assert "requests 500m CPU, 9830Mi memory; fits no node group or pool (general: m6i.large has 1930m CPU, 7518Mi memory allocatable" in findings[0].message


def test_loki_chunks_cache_is_sized_from_the_environments_node_types(rendered: dict[str, EnvironmentRender]) -> None:
    from catalog.addons.loki import chunks_cache_mib

    for result in rendered.values():
        item = result.of("loki")
        if item is None or not result.env.addons["loki"].chunks_cache:
            continue
        cache = next(o for o in item.objects if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "loki-chunks-cache")
        container = cache["spec"]["template"]["spec"]["containers"][0]
        assert f"-m {chunks_cache_mib(result.env)}" in " ".join(container["args"])
        assert container["resources"]["requests"]["memory"] == f"{(chunks_cache_mib(result.env) * 12 + 5) // 10}Mi"
