"""Run real Terraform against synthesized stacks, offline, with the locally mirrored aws provider.

No path is hard-coded: the mirror is found by looking for ``registry.terraform.io/hashicorp/aws/
<version>/<os>_<arch>/terraform-provider-aws_*`` under ``$TF_PROVIDER_MIRROR``, Terraform's own
implied mirror directories, and then the rest of the disk (once; the answer is cached in
``.work/``). A generated CLI config points Terraform at it and forbids network installs of aws.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".work"
AWS_PROVIDER_VERSION = "5.100.0"
_RELATIVE = Path("registry.terraform.io", "hashicorp", "aws", AWS_PROVIDER_VERSION)
_SKIP_DIRS = {"/proc", "/sys", "/dev", "/run", "/tmp", "/var/lib/docker", "/snap"}


def _os_arch() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def _is_mirror(root: Path) -> bool:
    platform_dir = root / _RELATIVE / _os_arch()
    return platform_dir.is_dir() and any(platform_dir.glob("terraform-provider-aws_*"))


def _candidates() -> list[Path]:
    home = Path.home()
    listed = [os.environ.get("TF_PROVIDER_MIRROR", "")]
    # Terraform's implied local mirror directories (CLI configuration docs, "Implied Local Mirror Directories").
    listed += [str(home / ".terraform.d/plugins"), str(home / ".local/share/terraform/plugins")]
    listed += ["/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins"]
    return [Path(p) for p in listed if p]


def _search_disk() -> Path | None:
    for top in sorted(Path("/").iterdir()):
        if str(top) in _SKIP_DIRS or not top.is_dir() or top.is_symlink():
            continue
        for dirpath, dirnames, _ in os.walk(top):
            if dirpath.endswith(os.sep + "registry.terraform.io"):
                root = Path(dirpath).parent
                if _is_mirror(root):
                    return root
                dirnames[:] = []
                continue
            # Prune trees that never hold a provider mirror and are large.
            dirnames[:] = [d for d in dirnames if d not in {"node_modules", "site-packages", ".git", "__pycache__", "proc"}]
            if dirpath.count(os.sep) > 7:
                dirnames[:] = []
    return None


def find_provider_mirror() -> Path | None:
    """The filesystem mirror directory holding hashicorp/aws at the pinned version, or None."""
    for candidate in _candidates():
        if _is_mirror(candidate):
            return candidate
    cache = WORK / "provider-mirror"
    if cache.exists():
        cached = Path(cache.read_text().strip())
        if cached.parts and _is_mirror(cached):
            return cached
    found = _search_disk()
    WORK.mkdir(exist_ok=True)
    cache.write_text(str(found or ""))
    return found


def terraform_env() -> dict[str, str] | None:
    """Environment for running Terraform offline with the mirror, or None when there is no mirror
    or no terraform binary on this machine."""
    mirror = find_provider_mirror()
    if mirror is None or shutil.which("terraform") is None:
        return None
    WORK.mkdir(exist_ok=True)
    # `make test` runs pytest in parallel workers (pytest-xdist): Terraform's plugin cache is not safe
    # for concurrent inits (https://developer.hashicorp.com/terraform/cli/config/config-file#provider-plugin-cache),
    # so each worker gets its own cache and CLI config.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    suffix = f"-{worker}" if worker else ""
    rc = WORK / f"terraformrc{suffix}"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }}\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        "}\n"
    )
    cache = WORK / f"plugin-cache{suffix}"
    cache.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        TF_CLI_CONFIG_FILE=str(rc),
        TF_PLUGIN_CACHE_DIR=str(cache),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    return env


def aws_only(stack_dir: Path) -> bool:
    """Whether the synthesized stack's only provider is aws: the stacks real Terraform can
    validate, plan and apply here (no helm or kubernetes provider binary can be had)."""
    doc = json.loads((stack_dir / "cdk.tf.json").read_text())
    return set(doc.get("provider", {})) == {"aws"}


def terraform(args: list[str], cwd: Path, env: dict[str, str], *, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["terraform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
