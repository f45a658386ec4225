"""``make smoke ENV=<env>``: apply the examples to a team namespace of a real cluster with the pinned
kubectl, wait for what each promises, and remove them all again.

    python -m tools.examples.smoke ENV [--namespace NS] [--kubeconfig FILE] [--context NAME] [--timeout 300] [--keep]

Every object carries ``platform.example.com/example=<name>`` (tools/examples/render.py), so removal
is by that label, also after a failure or Ctrl-C. Each example prints one progress line per step.
The promises (``smoke:`` in example.yaml): ``rollout`` (a Deployment/StatefulSet is ready), ``job``
(completes), ``pvc`` (binds), ``ingress``/``service`` (a load balancer address, and the Ingress
answers over HTTPS on its host), ``hpa`` (metrics-server feeds it a current value),
``externalsecret`` (Ready: synced from SSM), ``can_i`` (``kubectl auth can-i`` says yes).

The tests run it against a fake kubectl and a fake kubeconfig and check the recorded invocations;
nothing here has been run against a live cluster.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tools.examples.render import EXAMPLE_LABEL
from tools.render.render import Rendered

# Everything an example may create, for removal by label (PVCs include the StatefulSet's claims).
KINDS = "deployment,statefulset,job,service,ingress,hpa,pdb,configmap,secret,pvc,role,rolebinding,externalsecret,sealedsecret,secretstore"


class SmokeFailed(Exception):
    pass


@dataclass
class Kubectl:
    binary: Path
    kubeconfig: str | None = None
    context: str | None = None
    runner: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run

    def __call__(self, *args: str, stdin: str | None = None, namespace: str | None = None, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        argv = [str(self.binary)]
        argv += ["--kubeconfig", self.kubeconfig] if self.kubeconfig else []
        argv += ["--context", self.context] if self.context else []
        argv += ["--namespace", namespace] if namespace else []
        return self.runner([*argv, *args], input=stdin, capture_output=True, text=True, timeout=timeout, check=False)


@dataclass
class Smoke:
    kubectl: Kubectl
    timeout: int = 300
    sleep: Callable[[float], None] = time.sleep
    http_get: Callable[[str], int] = field(default=lambda url: urllib.request.urlopen(url, timeout=10).status)
    out: Callable[[str], None] = print

    def poll(self, what: str, namespace: str, args: list[str], ok: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + self.timeout
        while True:
            proc = self.kubectl(*args, namespace=namespace, timeout=60)
            if proc.returncode == 0 and ok(proc.stdout.strip()):
                return proc.stdout.strip()
            if time.monotonic() >= deadline:
                raise SmokeFailed(f"{what}: not so after {self.timeout} s ({(proc.stderr or proc.stdout).strip()[-200:]})")
            self.sleep(5)

    def wait(self, namespace: str, kind: str, target: str, objects: list[dict]) -> str:
        t = f"--timeout={self.timeout}s"
        if kind == "rollout":
            proc = self.kubectl("rollout", "status", target, t, namespace=namespace, timeout=self.timeout + 30)
            if proc.returncode != 0:
                raise SmokeFailed(f"{target} is not ready: {proc.stderr.strip()[-300:]}")
            return f"{target} ready"
        if kind in ("job", "pvc", "externalsecret"):
            condition = {"job": "condition=complete", "pvc": "jsonpath={.status.phase}=Bound", "externalsecret": "condition=Ready"}[kind]
            proc = self.kubectl("wait", f"--for={condition}", f"{kind}/{target}", t, namespace=namespace, timeout=self.timeout + 30)
            if proc.returncode != 0:
                raise SmokeFailed(f"{kind}/{target}: {condition} not reached: {proc.stderr.strip()[-300:]}")
            return f"{kind}/{target} {condition.split('=')[-1]}"
        if kind in ("ingress", "service"):
            address = self.poll(
                f"{kind}/{target} load balancer", namespace, ["get", kind, target, "-o", "jsonpath={.status.loadBalancer.ingress[0].hostname}"], bool
            )
            if kind == "ingress":
                ingress = next(o for o in objects if o.get("kind") == "Ingress" and o["metadata"]["name"] == target)
                host = ingress["spec"]["rules"][0]["host"]
                deadline = time.monotonic() + self.timeout
                while True:
                    try:
                        status = self.http_get(f"https://{host}/")
                    except OSError as exc:  # DNS not yet published, certificate, connection
                        status, error = 0, str(exc)
                    if 200 <= status < 400:
                        return f"https://{host}/ answers {status} (load balancer {address})"
                    if time.monotonic() >= deadline:
                        raise SmokeFailed(f"https://{host}/ does not answer: {status or error}")
                    self.sleep(10)
            return f"{kind}/{target} at {address}"
        if kind == "hpa":
            value = self.poll(
                f"hpa/{target} metrics",
                namespace,
                ["get", "hpa", target, "-o", "jsonpath={.status.currentMetrics[0].resource.current.averageUtilization}"],
                bool,
            )
            return f"hpa/{target} reads {value}% CPU from metrics-server"
        if kind == "can_i":
            verb, resource, *flags = target.split()
            proc = self.kubectl("auth", "can-i", verb, resource, *flags, namespace=namespace, timeout=60)
            if proc.stdout.strip() != "yes":
                raise SmokeFailed(f"auth can-i {target}: {proc.stdout.strip() or proc.stderr.strip()}")
            return f"can-i {target}: yes"
        raise SmokeFailed(f"unknown smoke step {kind}")

    def remove(self, namespaces: list[str]) -> None:
        for namespace in namespaces:
            proc = self.kubectl("delete", KINDS, "-l", EXAMPLE_LABEL, "--ignore-not-found", "--wait=true", namespace=namespace, timeout=self.timeout + 60)
            self.out(
                f"removed the examples from {namespace}" if proc.returncode == 0 else f"warning: removal in {namespace} failed: {proc.stderr.strip()[-300:]}"
            )

    def run(self, examples: list[Rendered], steps: dict[str, tuple[dict[str, str], ...]], keep: bool = False) -> int:
        namespaces = sorted({e.release.namespace for e in examples})
        failed = 0
        try:
            for i, item in enumerate(examples, 1):
                start = time.monotonic()
                prefix = f"[{i}/{len(examples)}] {item.release.name}"
                manifest = yaml.safe_dump_all(list(item.objects), sort_keys=False)
                proc = self.kubectl("apply", "-f", "-", stdin=manifest, namespace=item.release.namespace, timeout=120)
                if proc.returncode != 0:
                    self.out(f"{prefix}: apply FAILED: {proc.stderr.strip()[-300:]}")
                    failed += 1
                    continue
                try:
                    done = [
                        self.wait(item.release.namespace, kind, target, list(item.objects))
                        for step in steps.get(item.release.name, ())
                        for kind, target in step.items()
                    ]
                    self.out(f"{prefix}: ok in {time.monotonic() - start:.0f} s: {'; '.join(done) or 'applied'}")
                except SmokeFailed as exc:
                    self.out(f"{prefix}: FAILED after {time.monotonic() - start:.0f} s: {exc}")
                    failed += 1
        finally:
            if keep:
                self.out(f"kept: remove with kubectl delete {KINDS} -l {EXAMPLE_LABEL} in {', '.join(namespaces)}")
            else:
                self.remove(namespaces)
        self.out(f"{len(examples) - failed} of {len(examples)} examples kept their promises")
        return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    from tools.examples.__main__ import build_context
    from tools.examples.catalog import EXAMPLES_DIR, ROOT, ExampleError
    from tools.examples.platform import PlatformMissing
    from tools.examples.variables import TargetError
    from tools.render.helm import HelmMissing, find_kubectl

    parser = argparse.ArgumentParser(prog="python -m tools.examples.smoke", description=__doc__.split("\n\n")[0])
    parser.add_argument("env", metavar="ENV")
    parser.add_argument("--namespace", help="a team namespace (default: as make examples chooses)")
    parser.add_argument("--kubeconfig", help="default: kubectl's ($KUBECONFIG, ~/.kube/config)")
    parser.add_argument("--context", help="default: the kubeconfig's current context")
    parser.add_argument("--timeout", type=int, default=300, help="seconds per promise")
    parser.add_argument("--keep", action="store_true", help="leave the examples running")
    parser.add_argument("--outdir", type=Path, default=ROOT / "cdktf.out")
    args = parser.parse_args(argv)
    try:
        kubectl = find_kubectl()
        ctx, skipped = build_context(args.env, args.outdir, EXAMPLES_DIR, args.namespace)
    except (HelmMissing, TargetError, ExampleError, PlatformMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, reason in sorted(skipped.items()):
        print(f"{name}: skipped: {reason}")
    smoke = Smoke(Kubectl(kubectl, args.kubeconfig, args.context), timeout=args.timeout)
    return smoke.run(ctx.examples, {name: e.smoke for name, e in ctx.meta.items()}, keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
