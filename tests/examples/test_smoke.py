"""``make smoke`` up to the cluster call: its kubectl invocations, recorded by a fake kubectl (an
executable script that logs its argv and stdin and answers like a cluster where everything is
ready) against a fake kubeconfig. Nothing here talks to a cluster: the promises are checked by
what is asked of kubectl, not by a cluster's answers."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest
import yaml

from tools.examples.catalog import load_examples
from tools.examples.render import EXAMPLE_LABEL, render_example
from tools.examples.smoke import Kubectl, Smoke
from tools.examples.variables import Target

FAKE = """#!{python}
import json, os, sys
args = sys.argv[1:]
stdin = sys.stdin.read() if "-f" in args else ""
with open(os.environ["FAKE_KUBECTL_LOG"], "a") as log:
    log.write(json.dumps({{"argv": args, "stdin": stdin}}) + "\\n")
fail = os.environ.get("FAKE_KUBECTL_FAIL", "")
if fail and fail in " ".join(args):
    sys.stderr.write("error: timed out waiting for the condition\\n")
    sys.exit(1)
if "jsonpath={{.status.loadBalancer.ingress[0].hostname}}" in args:
    print("k8s-lb-0123.elb.eu-west-1.amazonaws.com")
elif any(a.startswith("jsonpath={{.status.currentMetrics") for a in args):
    print("12")
elif args[-3:-1] == ["auth", "can-i"] or "can-i" in args:
    print("yes")
"""


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Kubectl, Path]:
    kubectl = tmp_path / "kubectl"
    kubectl.write_text(FAKE.format(python=sys.executable))
    kubectl.chmod(kubectl.stat().st_mode | stat.S_IEXEC)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "fake", "cluster": {"server": "https://127.0.0.1:1"}}],
                "users": [{"name": "fake", "user": {"token": "not-a-token"}}],
                "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "fake"}}],
                "current-context": "fake",
            }
        )
    )
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("FAKE_KUBECTL_LOG", str(log))
    return Kubectl(kubectl, str(kubeconfig), "fake"), log


def calls(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def examples_for(environments: dict) -> tuple[list, dict]:
    from tools.examples.variables import choose_target

    env = environments["staging"]
    target: Target = choose_target(env, [])
    chosen = [e for e in load_examples() if e.chart is None and target.applies(e) is None]
    return [render_example(e, target, None) for e in chosen], {e.name: e.smoke for e in chosen}


def test_applies_waits_for_each_promise_and_removes(fake: tuple[Kubectl, Path], environments: dict) -> None:
    kubectl, log = fake
    rendered, steps = examples_for(environments)
    lines: list[str] = []
    status = Smoke(kubectl, timeout=5, sleep=lambda _: None, http_get=lambda url: 200, out=lines.append).run(rendered, steps)
    assert status == 0, lines
    recorded = calls(log)
    assert all(c["argv"][:4] == ["--kubeconfig", str(kubectl.kubeconfig), "--context", "fake"] for c in recorded)
    applies = [c for c in recorded if "apply" in c["argv"]]
    assert [yaml.safe_load_all(c["stdin"]).__next__()["metadata"]["labels"][EXAMPLE_LABEL] for c in applies] == [r.release.name for r in rendered]
    joined = [" ".join(c["argv"]) for c in recorded]
    for name, promises in steps.items():
        for step in promises:
            ((kind, target),) = step.items()
            if kind == "rollout":
                assert any(f"rollout status {target}" in j for j in joined), (name, target)
            elif kind in ("job", "pvc", "externalsecret"):
                assert any("wait" in j and f"{kind}/{target}" in j for j in joined), (name, target)
            elif kind == "can_i":
                assert any(f"auth can-i {target}" in j for j in joined)
            else:
                assert any(f"get {kind} {target}" in j for j in joined), (name, target)
    assert "delete" in recorded[-1]["argv"] and "-l" in recorded[-1]["argv"] and EXAMPLE_LABEL in recorded[-1]["argv"]
    assert len([line for line in lines if line.startswith("[")]) == len(rendered)  # one progress line per example


def test_a_failed_promise_still_removes_everything(fake: tuple[Kubectl, Path], environments: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    kubectl, log = fake
    rendered, steps = examples_for(environments)
    monkeypatch.setenv("FAKE_KUBECTL_FAIL", "rollout status deployment/backend")
    lines: list[str] = []
    status = Smoke(kubectl, timeout=5, sleep=lambda _: None, http_get=lambda url: 200, out=lines.append).run(rendered, steps)
    assert status == 1
    assert any("microservice: FAILED" in line and "deployment/backend" in line for line in lines)
    assert "delete" in calls(log)[-1]["argv"]


def test_an_ingress_that_does_not_answer_fails(fake: tuple[Kubectl, Path], environments: dict) -> None:
    kubectl, _ = fake
    rendered, steps = examples_for(environments)
    micro = [r for r in rendered if r.release.name == "microservice"]
    lines: list[str] = []
    status = Smoke(kubectl, timeout=0, sleep=lambda _: None, http_get=lambda url: 503, out=lines.append).run(micro, steps)
    assert status == 1 and any("does not answer" in line for line in lines)
