"""Render one environment: the releases of its synthesized ``<env>-addons`` stack, written to
``<outdir>/rendered/<env>/<release>.yaml``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from environments.schema import EnvironmentConfig
from tools.render.releases import Outputs, Release, Synthesized, releases_of_stack
from tools.render.render import Rendered, check_archive_version, render_releases


@dataclass(frozen=True)
class EnvironmentRender:
    env: EnvironmentConfig
    rendered: tuple[Rendered, ...]
    synth: Synthesized
    problems: tuple[str, ...] = ()  # archive/pin disagreements

    def of(self, release_name: str) -> Rendered | None:
        return next((r for r in self.rendered if r.release.name == release_name), None)


def addons_stack_dir(outdir: Path, env: EnvironmentConfig) -> Path:
    return outdir / "stacks" / f"{env.name}-addons"


def release_stacks(outdir: Path, env: EnvironmentConfig) -> list[Path]:
    """The environment's synthesized stacks holding helm_release (``<env>-addons``, ``<env>-teams``, ...)."""
    from environments import load_environments

    others = [e.name for e in load_environments() if e.name != env.name and e.name.startswith(f"{env.name}-")]
    found = []
    for path in sorted((outdir / "stacks").glob(f"{env.name}-*/cdk.tf.json")):
        name = path.parent.name
        if any(name.startswith(f"{o}-") for o in others) or '"helm_release"' not in path.read_text(encoding="utf-8"):
            continue
        found.append(path.parent)
    return found


def environment_releases(outdir: Path, env: EnvironmentConfig, outputs: Outputs | None = None) -> list[Release]:
    """Every helm_release of the environment: the add-ons stack first, then the other stacks."""
    stacks = sorted(release_stacks(outdir, env), key=lambda p: p != addons_stack_dir(outdir, env))
    return [release for stack in stacks for release in releases_of_stack(stack, outputs)]


def render_environment(
    helm: Path,
    env: EnvironmentConfig,
    outdir: Path,
    chart_dirs: list[Path],
    *,
    outputs: Outputs | None = None,
    releases: list[Release] | None = None,
    write: bool = True,
) -> EnvironmentRender:
    chosen = environment_releases(outdir, env, outputs) if releases is None else releases
    rendered = render_releases(helm, chosen, chart_dirs, cluster_version=env.cluster.version)
    problems = tuple(p for r in rendered if (p := check_archive_version(r.release, r.chart_path)))
    if write:
        target = outdir / "rendered" / env.name
        target.mkdir(parents=True, exist_ok=True)
        for stale in target.glob("*.yaml"):
            stale.unlink()
        for item in rendered:
            (target / f"{item.release.name}.yaml").write_text(item.manifest, encoding="utf-8")
    return EnvironmentRender(env, tuple(rendered), Synthesized(outdir), problems)
