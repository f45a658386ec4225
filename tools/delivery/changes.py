"""Which environments a change touches, and the matrix the workflows run them in."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

from environments import load_environments
from tools.cli import UserError

ROOT = Path(__file__).resolve().parents[2]
# The checkout whose git history and environments/ the CI commands read (a test points it at a scratch repository).
REPO = Path(os.environ.get("PLATFORM_REPO") or ROOT)
# Where `make synth` wrote (main.py honours the same PLATFORM_OUTDIR).
OUTDIR = Path(os.environ.get("PLATFORM_OUTDIR") or ROOT / "cdktf.out")

# Changes under these paths never change what is deployed.
_NO_DEPLOY_EFFECT = ("docs/", "tests/", "bench/", ".github/", "README", "DEVELOPERS", ".ci/", "package.json", "package-lock.json")


def deployable_environments() -> list[str]:
    """Environments that deploy to AWS (the emulator environment is not planned or applied by CI)."""
    return [env.name for env in load_environments(REPO / "environments") if env.emulator is None]


MAX_WAVES = 5  # apply.yml has one job per promotion wave (environments/ci.py caps the depth)


def ci_matrix(names: list[str]) -> dict[str, object]:
    """What the workflows run for the environments ``names``, from their files alone: per
    environment its runner labels (deploys; pull-request plans), region and the CI role ARNs (environments/ci.py), grouped in
    promotion waves (``ci.after``). An environment without a ``ci:`` section is an error."""
    from environments.ci import plan_runner, pr_plan_role_arn, promotion_order, role_arns

    envs = {e.name: e for e in load_environments(REPO / "environments")}
    entries = {}
    for name in names:
        env = envs[name]
        arns = role_arns(env)
        if arns is None or env.ci is None:
            raise UserError(f"{name}: no ci: section in its environment file: CI cannot plan or deploy it (docs/getting-started.md)")
        entries[name] = {
            "environment": name,
            "runner": list(env.ci.runner),
            "plan_runner": list(plan_runner(env.ci)),
            "region": env.region,
            "plan_role": arns[0],
            "pr_plan_role": pr_plan_role_arn(env),
            "apply_role": arns[1],
        }
    waves = [[entries[n] for n in wave if n in entries] for wave in promotion_order(list(envs.values()))]
    waves = [w for w in waves if w]
    placed = {e["environment"] for w in waves for e in w}
    for name in names:
        if name not in placed:
            raise UserError(f"{name}: an emulator environment is never planned or deployed by CI")
    if len(waves) > MAX_WAVES:
        raise UserError(f"promotion order needs {len(waves)} waves; the workflows run at most {MAX_WAVES}")
    waves += [[]] * (MAX_WAVES - len(waves))
    ordered = [e for wave in waves for e in wave]
    return {"environments": [e["environment"] for e in ordered], "matrix": ordered, **{f"wave{i}": w for i, w in enumerate(waves)}}


def _name_in_file(path: str, base: str | None = None) -> str | None:
    """The ``name:`` an environment file declares (its file name need not match), read from the
    working tree, or from ``base`` when the change deleted the file."""
    import yaml

    text: str | None = None
    if (REPO / path).is_file():
        text = (REPO / path).read_text(encoding="utf-8")
    elif base is not None:
        shown = subprocess.run(["git", "show", f"{base}:{path}"], cwd=REPO, capture_output=True, text=True, check=False)
        text = shown.stdout if shown.returncode == 0 else None
    try:
        data = yaml.safe_load(text) if text else None
    except yaml.YAMLError:
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


def affected(changed_files: list[str], environments: list[str], name_of: Callable[[str], str | None] | None = None) -> list[str]:
    """Environments a change can alter: the one its file declares (by the ``name`` inside it), or
    all of them for a change to shared code."""
    name_of = name_of or _name_in_file
    hit: set[str] = set()
    for path in changed_files:
        if path.startswith("environments/") and path.endswith(".yaml"):
            name = name_of(path)
            if name in environments:
                hit.add(name)
        elif not path.startswith(_NO_DEPLOY_EFFECT) and not path.endswith(".md"):
            hit.update(environments)
    return [e for e in environments if e in hit]


NO_BASE = "0" * 40


def _changed_files(base: str) -> list[str] | None:
    """Files changed since ``base`` (three-dot diff), or None when there is no base to compare with:
    GitHub passes forty zeros as ``github.event.before`` on a branch's first push."""
    if set(base) == {"0"}:
        return None
    proc = subprocess.run(["git", "diff", "--name-only", f"{base}...HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise UserError(
            f"cannot compare with git base {base!r}: {(proc.stderr.strip().splitlines() or ['git diff failed'])[0]} "
            "(a shallow clone needs `fetch-depth: 0`; pass a commit or branch that exists here)"
        )
    return [line for line in proc.stdout.splitlines() if line]
