"""Every add-on the platform offers, by name. Adding one = one file + one line in ``ADDONS``.

Pure Python (no cdktf): the environment schema calls :func:`parse_options` and
:func:`check_environment` while a file is validated, so a misspelt add-on or option fails at load
time naming the file and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from catalog import names
from catalog.addons import kube_versions
from catalog.addons.alloy import Alloy
from catalog.addons.aws_ebs_csi_driver import AwsEbsCsiDriver
from catalog.addons.aws_efs_csi_driver import AwsEfsCsiDriver
from catalog.addons.aws_load_balancer_controller import AwsLoadBalancerController
from catalog.addons.aws_node_termination_handler import AwsNodeTerminationHandler
from catalog.addons.base import Addon, Options
from catalog.addons.cluster_autoscaler import ClusterAutoscaler
from catalog.addons.external_dns import ExternalDns
from catalog.addons.external_secrets import ExternalSecrets
from catalog.addons.headlamp import Headlamp
from catalog.addons.kube_prometheus_stack import KubePrometheusStack
from catalog.addons.loki import Loki
from catalog.addons.metrics_server import MetricsServer
from catalog.addons.sealed_secrets import SealedSecrets
from catalog.addons.tempo import Tempo
from catalog.addons.tigera_operator import TigeraOperator
from catalog.namespaces import KUBERNETES_BUILT_IN

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig

ADDONS: tuple[Addon, ...] = (
    ExternalSecrets(),
    AwsLoadBalancerController(),
    ExternalDns(),
    ClusterAutoscaler(),
    AwsEbsCsiDriver(),
    AwsEfsCsiDriver(),
    MetricsServer(),
    KubePrometheusStack(),
    Alloy(),
    Loki(),
    Tempo(),
    AwsNodeTerminationHandler(),
    SealedSecrets(),
    TigeraOperator(),
    Headlamp(),
)
BY_NAME: dict[str, Addon] = {a.name: a for a in ADDONS}
BY_CLASS: dict[type[Addon], Addon] = {type(a): a for a in ADDONS}
assert len(BY_NAME) == len(ADDONS), "two add-ons share a name"


def known_names() -> list[str]:
    return sorted(BY_NAME)


def parse_options(raw: Mapping[str, Any] | None) -> dict[str, Options]:
    """``addons:`` from a file -> {name: typed options}. Errors read ``addons.<name>[.<field>]: message``."""
    parsed: dict[str, Options] = {}
    for name, body in (raw or {}).items():
        addon = BY_NAME.get(name)
        if addon is None:
            raise ValueError(f"addons.{name}: unknown add-on {name!r}; known: {', '.join(known_names())}")
        if isinstance(body, Options):
            parsed[name] = body
            continue
        try:
            parsed[name] = addon.options_model.model_validate(body or {})
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(["addons", name, *(str(p) for p in first["loc"])])
            got = "" if first["type"] == "missing" else f"; got {first['input']!r}"
            raise ValueError(f"{where}: {first['msg']}{got}") from None
    return dict(sorted(parsed.items()))


# What EKS Auto Mode does in place of an add-on (environments/auto_mode.py refuses the add-on beside
# it): its block storage serves the default ``gp3`` StorageClass the add-ons' volumes name
# (modules/addons/auto_mode.py), so an add-on that requires the EBS CSI driver is satisfied.
PROVIDED_BY_AUTO_MODE = frozenset({"aws-ebs-csi-driver"})


def _auto_mode_running(env: EnvironmentConfig) -> bool:
    auto = getattr(env.cluster, "auto_mode", None)
    return auto is not None and bool(auto.enabled)


def check_environment(env: EnvironmentConfig) -> list[str]:
    """Cross-field problems (``addons.<name>: ...``): missing requirements, missing dns/storage."""
    problems: list[str] = []
    provided = PROVIDED_BY_AUTO_MODE if _auto_mode_running(env) else frozenset()
    for name, options in env.addons.items():
        addon = BY_NAME[name]
        for required in addon.requires:
            needed = BY_CLASS[required].name
            if needed not in env.addons and needed not in provided:
                problems.append(f"addons.{name}: requires add-on {needed!r}, which is not enabled")
        problems.extend(f"addons.{name}: {p}" for p in addon.check(env, options))
    problems.extend(kube_versions.problems(env, ADDONS))  # charts and images that cannot run on cluster.version
    # Every add-on's namespace is the platform's, enabled or not (enabling it later must not
    # hand a team's namespace to a release).
    for team, spec in env.teams.items():
        for namespace in spec.namespaces:
            owners = [a.name for a in ADDONS if a.namespace == namespace]
            if owners and namespace not in KUBERNETES_BUILT_IN:  # reported as such by the teams' own rules
                problems.append(f"teams.{team}.namespaces.{namespace}: namespace {namespace!r} belongs to add-on {owners[0]!r}")
    return problems


# -- physical names of the AWS side (a contract: renaming one replaces the resource) ---------------


def role_name(env: EnvironmentConfig, addon: Addon) -> str:
    """The add-on's IRSA role: ``<cluster>-<add-on>``."""
    return names.addon_role(env.cluster_name, addon.name)


def bucket_name(env: EnvironmentConfig, addon: Addon, purpose: str) -> str:
    """Globally unique and stable: ``<env>-<account>-<add-on>-<purpose>``."""
    return names.addon_bucket(env.name, env.account_id, addon.name, purpose)


def queue_name(env: EnvironmentConfig) -> str:
    """The interruption queue of aws-node-termination-handler (queue mode): ``<cluster>-node-termination``."""
    return names.termination_queue(env.cluster_name)


def enabled(env: EnvironmentConfig) -> list[tuple[Addon, Options]]:
    """The environment's add-ons with their options, each after the enabled add-ons it must follow
    (``requires`` and ``after``); otherwise in registry order."""
    todo = [a for a in ADDONS if a.name in env.addons]
    done: list[Addon] = []
    while todo:
        for addon in todo:
            before = {BY_CLASS[c] for c in (*addon.requires, *addon.after)} & set(todo)
            if not before - {addon}:
                done.append(addon)
                todo.remove(addon)
                break
        else:
            raise ValueError(f"add-on dependency cycle among {', '.join(a.name for a in todo)}")
    return [(a, env.addons[a.name]) for a in done]
