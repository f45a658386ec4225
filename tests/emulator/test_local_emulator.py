"""What ``make local-up`` applies to the emulator: every AWS-only stack of ``local``, never a helm one."""

from __future__ import annotations

from environments.schema import EnvironmentConfig
from tests.conftest import Synth
from tools.terraform import aws_only


def test_local_up_applies_the_addons_aws_side_and_skips_the_helm_stack(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    local = environments["local"]
    assert local.emulator is not None and local.addons, "environments/local.yaml must enable add-ons with an AWS side"
    stacks = {p.name: p for p in (synth.outdir / "stacks").iterdir() if p.name.startswith("local-")}
    applied = {name for name, path in stacks.items() if aws_only(path)}
    assert applied == {f"local-{layer}" for layer in ("state", "network", "cluster", "storage", "addons-aws", "teams-aws")}
    # The Kubernetes side exists (so the emulator environment is a full environment) but uses helm
    # (and the kubernetes provider for the teams).
    assert "local-addons" in stacks and "local-addons" not in applied
    assert "helm" in synth.stack("local-addons")["provider"]
    assert "local-teams" in stacks and "local-teams" not in applied
    assert "kubernetes" in synth.stack("local-teams")["provider"]
