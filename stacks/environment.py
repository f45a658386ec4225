"""Build every stack of one environment: the function ``main.py`` and the tests both call."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformStack
from constructs import Construct

from environments.schema import EnvironmentConfig
from stacks.cluster import ClusterStack
from stacks.network import NetworkStack
from stacks.state import StateStack
from stacks.storage import StorageStack


@dataclass(frozen=True)
class EnvironmentStacks:
    state: StateStack
    network: NetworkStack
    cluster: ClusterStack
    storage: StorageStack | None

    def in_apply_order(self) -> list[TerraformStack]:
        return [s for s in (self.state, self.network, self.cluster, self.storage) if s is not None]


def build_environment(scope: Construct, env: EnvironmentConfig) -> EnvironmentStacks:
    state = StateStack(scope, env)
    network = NetworkStack(scope, env)
    cluster = ClusterStack(scope, env, network=network.outputs)
    storage = StorageStack(scope, env, network=network.outputs, cluster=cluster.outputs) if env.storage.efs else None
    for stack in (network, cluster, storage):
        if stack is not None:
            stack.add_dependency(state)
    return EnvironmentStacks(state=state, network=network, cluster=cluster, storage=storage)
