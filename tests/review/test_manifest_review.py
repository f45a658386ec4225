"""Plan review of helm_release changes at the Kubernetes level (tools/review/manifests.py).

No helm provider binary exists here, so no real `terraform plan` of <env>-addons can be made: the
plans are built in `terraform show -json` shape from two synths (before = one synth's helm_release,
after = the other's). The chart bump uses an archive made from the pinned metrics-server 3.13.1 by
`helm package --version 3.13.2 --app-version 0.8.2` with one more selector label (a real packaged
chart with a new image and an immutable-field change; no other released version is on this machine).
"""

from __future__ import annotations

import copy
import json
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Synth, missing_prerequisite, run_main
from tools.plan_report import EXIT_HIGH_RISK, main
from tools.render.charts import ChartMissing, find_chart, search_dirs
from tools.render.environment import EnvironmentRender
from tools.review.manifests import ReleaseDiff, diff_objects

CERT = "arn:aws:acm:eu-west-1:111111111111:certificate/0f0e0d0c-1111-2222-3333-444455556666"


def _plan(changes: list[tuple[str, str, dict | None, dict | None]]) -> dict[str, Any]:
    """`terraform show -json` shape: (address, action, before, after) per helm_release."""

    def body(b: dict | None) -> dict | None:
        return None if b is None else {k: v for k, v in b.items() if k not in ("//", "depends_on")}

    return {
        "format_version": "1.2",
        "planned_values": {},
        "resource_changes": [
            {
                "address": a,
                "mode": "managed",
                "type": "helm_release",
                "name": a.split(".")[1],
                "change": {"actions": [action], "before": body(before), "after": body(after), "after_unknown": {}},
            }
            for a, action, before, after in changes
        ],
    }


def _releases(synth: Synth, stack: str) -> dict[str, tuple[str, dict]]:
    return {b["name"]: (f"helm_release.{k}", b) for k, b in synth.resources(stack, "helm_release").items()}


@pytest.fixture(scope="module")
def bumped_charts(helm: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """metrics-server 3.13.2: the pinned 3.13.1 with app 0.8.2 and a third selector label."""
    work = tmp_path_factory.mktemp("bump")
    try:
        archive = find_chart("metrics-server", "3.13.1", search_dirs())
    except ChartMissing as exc:
        missing_prerequisite(f"chart archive missing: {exc}")
    with tarfile.open(archive) as tgz:
        tgz.extractall(work, filter="data")
    helpers = work / "metrics-server" / "templates" / "_helpers.tpl"
    helpers.write_text(
        helpers.read_text().replace(
            "app.kubernetes.io/instance: {{ .Release.Name }}\n{{- end }}",
            "app.kubernetes.io/instance: {{ .Release.Name }}\napp.kubernetes.io/component: metrics\n{{- end }}",
            1,
        )
    )
    out = work / "charts"
    subprocess.run(
        [str(helm), "package", str(work / "metrics-server"), "--version", "3.13.2", "--app-version", "0.8.2", "-d", str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return out


def test_a_chart_bump_shows_changed_objects_the_new_image_and_the_immutable_selector_as_high(
    synth: Synth, bumped_charts: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLATFORM_CHARTS_DIR", str(bumped_charts))
    address, before = _releases(synth, "staging-addons")["metrics-server"]
    after = {**before, "version": "3.13.2"}
    (tmp_path / "staging-addons.json").write_text(json.dumps(_plan([(address, "update", before, after)])))
    report = tmp_path / "report.md"
    assert main([str(tmp_path / "staging-addons.json"), "--out", str(report)]) == EXIT_HIGH_RISK
    text = report.read_text()
    print(text)
    assert f"**metrics-server** (`staging-addons` `{address}`, metrics-server 3.13.1 -> 3.13.2)" in text
    assert "- changed (" in text and "Deployment kube-system/metrics-server" in text
    assert (
        "- image Deployment kube-system/metrics-server metrics-server: registry.k8s.io/metrics-server/metrics-server:v0.8.1 -> "
        "registry.k8s.io/metrics-server/metrics-server:v0.8.2"
    ) in text
    assert (
        f"- **HIGH** `staging-addons` `{address}`: Helm release metrics-server: Deployment kube-system/metrics-server: "
        "spec.selector is immutable; the upgrade is rejected (delete and recreate the object)"
    ) in text


def test_a_values_change_from_two_synths_shows_added_objects_and_no_high_risk(synth: Synth, tmp_path: Path, helm: Path) -> None:
    envs = tmp_path / "envs"
    envs.mkdir()
    raw = yaml.safe_load((Path(__file__).resolve().parents[2] / "environments" / "dev.yaml").read_text())
    raw["addons"]["loki"]["chunks_cache"] = True
    raw["addons"]["headlamp"] = {"ingress": True, "certificate_arn": CERT}
    (envs / "dev.yaml").write_text(yaml.safe_dump(raw))
    out = tmp_path / "cdktf.out"
    proc = run_main(out, env_dir=envs, only="dev")
    assert proc.returncode == 0, proc.stderr
    new = Synth(out)
    old_releases, new_releases = _releases(synth, "dev-addons"), _releases(new, "dev-addons")
    changes = [(a, "update", old_releases[n][1], b) for n, (a, b) in new_releases.items() if b != old_releases[n][1]]
    assert sorted(c[0].split(".")[1].split("_")[0] for c in changes) == ["headlamp", "loki"]
    (tmp_path / "dev-addons.json").write_text(json.dumps(_plan(changes)))
    report = tmp_path / "report.md"
    assert main([str(tmp_path / "dev-addons.json"), "--out", str(report)]) == 0
    text = report.read_text()
    assert "- added (1): Ingress headlamp/headlamp" in text
    assert "StatefulSet loki/loki-chunks-cache" in text.split("**loki**")[1]
    assert "**HIGH**" not in text


def _diff(before: list[dict], after: list[dict]) -> ReleaseDiff:
    return diff_objects(before, after, "kube-system", ReleaseDiff("s", "a", "r", "c", ("1", "2")))


def test_removed_crd_changed_storage_class_webhook_and_volume_claim_templates_are_high(rendered: dict[str, EnvironmentRender]) -> None:
    result = rendered["staging"]
    objs = lambda name: copy.deepcopy(list(result.of(name).objects))  # noqa: E731
    crds = objs("karpenter-crd")  # its chart's CRDs, as templates without a keep policy
    crd = next(o for o in crds if o["kind"] == "CustomResourceDefinition")
    d = _diff(crds, [o for o in crds if o is not crd])
    assert d.high == [f"CRD {crd['metadata']['name']} is removed: every object of it in the cluster is deleted with it"]
    assert d.crds == [f"removed {crd['metadata']['name']}"]
    # The CRD releases built from crds/ keep theirs (helm.sh/resource-policy: keep): no deletion.
    kept = objs("aws-load-balancer-controller-crds")
    crd = next(o for o in kept if o["kind"] == "CustomResourceDefinition")
    d = _diff(kept, [o for o in kept if o is not crd])
    assert d.high == [] and d.crds == [f"removed {crd['metadata']['name']} (kept in the cluster: helm.sh/resource-policy keep)"]
    alb = objs("aws-load-balancer-controller")
    changed = copy.deepcopy(alb)
    next(o for o in changed if o["kind"] == "MutatingWebhookConfiguration")["webhooks"][0]["timeoutSeconds"] = 30
    assert any("MutatingWebhookConfiguration" in h and "every API request" in h for h in _diff(alb, changed).high)
    ebs = objs("aws-ebs-csi-driver")
    changed = copy.deepcopy(ebs)
    next(o for o in changed if o["kind"] == "StorageClass")["parameters"]["type"] = "io2"
    assert _diff(ebs, changed).high == [
        "StorageClass gp3 changes: its parameters are immutable, the upgrade fails or the class is replaced under existing volumes"
    ]
    tempo = objs("tempo")
    changed = copy.deepcopy(tempo)
    next(o for o in changed if o["kind"] == "StatefulSet")["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "20Gi"
    assert _diff(tempo, changed).high == ["StatefulSet tempo/tempo: spec.volumeClaimTemplates is immutable; the upgrade is rejected"]
    assert _diff(tempo, tempo).high == [] and _diff(tempo, tempo).changed == []


def test_certificates_a_chart_generates_at_every_render_are_not_changes(helm: Path, rendered: dict[str, EnvironmentRender]) -> None:
    """The load balancer controller's chart makes a new webhook CA and certificate at every render
    (genCA): two renders of the same release differ only there, and must show no change."""
    from tools.render.render import render_releases

    result = rendered["staging"]
    release = result.of("aws-load-balancer-controller").release
    [again] = render_releases(helm, [release], search_dirs(), cluster_version=result.env.cluster.version)
    first = list(result.of("aws-load-balancer-controller").objects)
    assert first != list(again.objects)  # the certificates differ
    d = _diff(first, list(again.objects))
    assert (d.changed, d.high) == ([], [])
