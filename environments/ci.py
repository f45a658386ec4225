"""``ci:``: how GitHub Actions reaches an environment: the repository and branch its roles trust,
the runner its jobs run on, and the environments it is promoted after.

The state stack creates the GitHub OIDC provider and two roles from this (modules/state/github_ci.py):
``<env>-github-plan`` (read-only, plans pull requests and the deploy's saved plan) and
``<env>-github-apply`` (applies, only from ``branch`` in the GitHub environment ``<env>``). Their ARNs
follow from the account and the names, so the workflows and the cluster's access entries derive
them from config: :func:`role_arns`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from catalog import names
from catalog.fields import Strict

if TYPE_CHECKING:
    from environments.schema import EnvironmentConfig

# GitHub-hosted runner labels (https://docs.github.com/actions/using-github-hosted-runners):
# their egress addresses are not a list a cluster endpoint can allow.
HOSTED_LABEL = re.compile(r"^(ubuntu|windows|macos)-[\w.-]+$")

RunnerLabel = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")]


class CiConfig(Strict):
    repository: str = Field(pattern=r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$")
    """``owner/name`` of the GitHub repository whose workflows may assume the roles."""
    branch: str = Field(default="main", pattern=r"^[A-Za-z0-9._/-]{1,200}$")
    """The only branch whose deploy jobs may assume the apply role (and whose pushes may plan)."""
    runner: tuple[RunnerLabel, ...] = Field(default=("ubuntu-24.04",), min_length=1)
    """``runs-on`` labels of this environment's deploy jobs (its plan and apply from ``branch``). A
    GitHub-hosted label only when the cluster endpoint is public to 0.0.0.0/0; otherwise a
    self-hosted runner's labels (a runner inside the VPC, or one whose egress address is in
    ``public_access_cidrs``)."""
    plan_runner: tuple[RunnerLabel, ...] | None = Field(default=None, min_length=1)
    """``runs-on`` labels of the pull requests' plan jobs, which run the pull request's own code.
    Required with a self-hosted ``runner``, and never a runner the deploy jobs can land on: each set
    must hold a label the other lacks (a job runs on a runner that has all its labels). Default
    with a GitHub-hosted ``runner``: the same label (each hosted job gets a fresh VM)."""
    after: tuple[str, ...] = ()
    """Environments that must deploy before this one on a merge (promotion order)."""
    create_oidc_provider: bool = True
    """false when another environment in the same account already created
    ``token.actions.githubusercontent.com`` (one provider per URL per account)."""


# The Kubernetes group the plan role's access entry carries when the environment has teams: the
# RBAC of modules/teams/ci_plan_reader.py lets it read what ``<env>-teams`` refreshes (no Secrets).
# EKS refuses groups starting with ``system:`` (CreateAccessEntry).
PLAN_GROUP = "platform:ci-plan"


def role_names(env_name: str) -> tuple[str, str]:
    """(plan, apply) role names of an environment."""
    return names.ci_roles(env_name)


def pr_plan_role_arn(env: EnvironmentConfig) -> str | None:
    """The role pull requests plan with (modules/state/github_ci.py), or None without ``ci:``."""
    if getattr(env, "ci", None) is None:
        return None
    return f"arn:aws:iam::{env.account_id}:role/{names.ci_pr_plan_role(env.name)}"


def role_arns(env: EnvironmentConfig) -> tuple[str, str] | None:
    """(plan, apply) role ARNs the state stack creates, or None without a ``ci:`` section."""
    if getattr(env, "ci", None) is None:
        return None
    plan, apply = role_names(env.name)
    return f"arn:aws:iam::{env.account_id}:role/{plan}", f"arn:aws:iam::{env.account_id}:role/{apply}"


def boundary_arn(env: EnvironmentConfig) -> str | None:
    """The permissions boundary of every role of an environment with ``ci:`` (created by its
    state stack with the CI roles, modules/state/boundary.py), or None without ``ci:``."""
    if getattr(env, "ci", None) is None:
        return None
    return f"arn:aws:iam::{env.account_id}:policy/{names.ci_boundary(env.name)}"


def plan_runner(ci: CiConfig) -> tuple[str, ...]:
    """The pull requests' plan runner labels (``plan_runner``, or the hosted ``runner``)."""
    return ci.plan_runner or ci.runner


def _self_hosted(labels: tuple[str, ...]) -> bool:
    return not all(HOSTED_LABEL.match(label) for label in labels)


def separation_problems(ci: CiConfig) -> list[tuple[str, str]]:
    """Pull-request plans and deploys never share a runner. A job runs on a runner that has every
    label of its ``runs-on`` (GitHub, "Choosing the runner for a job"), so a self-hosted runner
    registered with one purpose's labels takes the other's jobs only when that purpose's set
    contains the other's: each set must hold a label of its own."""
    if ci.plan_runner is None:
        if _self_hosted(ci.runner):
            return [
                (
                    "ci.plan_runner",
                    "required with a self-hosted runner: the labels of the runners that plan pull requests (their code is untrusted), never the deploy runner's (docs/getting-started.md, 'Runners')",
                )
            ]
        return []
    if not _self_hosted(ci.runner) and not _self_hosted(ci.plan_runner):
        return []
    plan, deploy = set(ci.plan_runner), set(ci.runner)
    if plan <= deploy or deploy <= plan:
        return [
            (
                "ci.plan_runner",
                f"{list(ci.plan_runner)} and ci.runner {list(ci.runner)} can pick the same runner: give each a label the other lacks (e.g. platform-<env>-pr)",
            )
        ]
    return []


def runner_problems(env: EnvironmentConfig) -> list[tuple[str, str]]:
    """A GitHub-hosted runner for a cluster endpoint that hosted runners cannot reach; pull-request
    plans that could land on a deploy runner."""
    ci = getattr(env, "ci", None)
    if ci is None:
        return []
    separated = separation_problems(ci)
    if separated:
        return separated
    if getattr(env.state_backend, "kind", "s3") != "s3":
        return [("ci", "the GitHub roles read state in S3; with Terraform Cloud, runs use state_backend.dynamic_credentials instead")]
    hosted = [label for label in ci.runner if HOSTED_LABEL.match(label)]
    if not hosted or env.emulator is not None:
        return []
    cluster = env.cluster
    open_to_all = cluster.endpoint_public_access and any(ipaddress.IPv4Network(c).prefixlen == 0 for c in cluster.public_access_cidrs)
    if open_to_all:
        return []
    why = "is private" if not cluster.endpoint_public_access else f"admits only {', '.join(cluster.public_access_cidrs)}"
    return [
        (
            "ci.runner",
            f"GitHub-hosted runner {hosted[0]!r} cannot reach the cluster endpoint, which {why}: "
            "use a self-hosted runner's labels (docs/getting-started.md, 'Runners')",
        )
    ]


def promotion_problems(environments: dict[str, tuple[str, EnvironmentConfig]]) -> list[str]:
    """``ci.after`` names known, deployable environments and has no cycle (name -> (file, config))."""
    problems: list[str] = []
    edges: dict[str, tuple[str, ...]] = {}
    for name, (shown, env) in environments.items():
        ci = getattr(env, "ci", None)
        if ci is None:
            continue
        for i, other in enumerate(ci.after):
            if other == name:
                problems.append(f"{shown}: ci.after.{i}: an environment cannot deploy after itself; got {other!r}")
            elif other not in environments:
                problems.append(f"{shown}: ci.after.{i}: unknown environment {other!r}; known: {', '.join(sorted(environments))}")
            elif getattr(environments[other][1], "ci", None) is None:
                problems.append(f"{shown}: ci.after.{i}: environment {other!r} has no ci: section, so CI never deploys it")
        edges[name] = tuple(o for o in ci.after if o in environments and o != name)
    # Depth-first search for a cycle; report it once, as the path that closes it.
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            shown = environments[cycle[0]][0]
            problems.append(f"{shown}: ci.after: promotion order has a cycle: {' -> after '.join(cycle)}")
            break
    return problems


def promotion_order(environments: list[EnvironmentConfig]) -> list[list[str]]:
    """Waves of environments with a ``ci:`` section: each wave only after every earlier one it
    names in ``ci.after``. Validated acyclic by the loader."""
    pending = {e.name: set(e.ci.after) for e in environments if e.ci is not None and e.emulator is None}
    waves: list[list[str]] = []
    done: set[str] = set()
    while pending:
        ready = sorted(n for n, deps in pending.items() if deps <= done)
        if not ready:  # pragma: no cover - the loader rejects cycles
            raise ValueError(f"promotion order has a cycle among {sorted(pending)}")
        waves.append(ready)
        done.update(ready)
        for n in ready:
            del pending[n]
    return waves
