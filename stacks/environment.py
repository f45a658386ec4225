"""Build every stack of one environment: the function ``main.py`` and the tests both call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from constructs import Construct

from environments.schema import EnvironmentConfig
from modules.shared.protect import protect_stack
from stacks.addons import AddonsStack
from stacks.addons_aws import AddonsAwsOutputs, AddonsAwsStack, needs_aws_side
from stacks.base import PlatformStack
from stacks.cluster import ClusterStack
from stacks.network import NetworkStack
from stacks.state import StateStack
from stacks.storage import StorageStack
from stacks.teams_aws import TeamsAwsStack

if TYPE_CHECKING:  # loaded at run time only when teams are declared (build_environment)
    from stacks.teams import TeamsStack


@dataclass(frozen=True)
class EnvironmentStacks:
    state: StateStack
    network: NetworkStack
    cluster: ClusterStack
    storage: StorageStack | None
    addons_aws: AddonsAwsStack | None = None  # only when an enabled add-on has an AWS side
    addons: AddonsStack | None = None  # only when add-ons are enabled
    teams_aws: TeamsAwsStack | None = None  # only when teams are declared
    teams: TeamsStack | None = None  # only when teams are declared

    def in_apply_order(self) -> list[PlatformStack]:
        stacks = (self.state, self.network, self.cluster, self.storage, self.addons_aws, self.addons, self.teams_aws, self.teams)
        return [s for s in stacks if s is not None]


def build_environment(scope: Construct, env: EnvironmentConfig) -> EnvironmentStacks:
    state = StateStack(scope, env)
    network = NetworkStack(scope, env)
    cluster = ClusterStack(scope, env, network=network.outputs)
    storage = StorageStack(scope, env, network=network.outputs, cluster=cluster.outputs) if env.storage.efs else None
    addons_aws: AddonsAwsStack | None = None
    addons: AddonsStack | None = None
    if env.addons or env.karpenter is not None:
        efs = storage.outputs if storage else None
        addons_aws = AddonsAwsStack(scope, env, network=network.outputs, cluster=cluster.outputs, storage=efs) if needs_aws_side(env) else None
        aws = addons_aws.outputs if addons_aws else AddonsAwsOutputs()
        addons = AddonsStack(scope, env, network=network.outputs, cluster=cluster.outputs, storage=efs, aws=aws)
    teams_aws: TeamsAwsStack | None = None
    teams: TeamsStack | None = None
    if env.teams:
        teams_aws = TeamsAwsStack(scope, env, network=network.outputs, cluster=cluster.outputs)
        # The kubernetes provider's bindings load only here: a build without teams never pays for them.
        from stacks.teams import TeamsStack

        teams = TeamsStack(scope, env, cluster=cluster.outputs, aws=teams_aws.outputs)
        if addons is not None:
            teams.add_dependency(addons)  # External Secrets' CRDs and the NetworkPolicy enforcer first
    for stack in (network, cluster, storage, addons_aws, addons, teams_aws, teams):
        if stack is not None:
            stack.add_dependency(state)
    stacks = EnvironmentStacks(
        state=state,
        network=network,
        cluster=cluster,
        storage=storage,
        addons_aws=addons_aws,
        addons=addons,
        teams_aws=teams_aws,
        teams=teams,
    )
    state.trust_layers([s.layer for s in stacks.in_apply_order()])
    if env.protect:
        for built in stacks.in_apply_order():
            protect_stack(built)
    return stacks
