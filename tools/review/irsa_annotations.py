"""Where a plan shows a service account carrying the IRSA role annotation
(``eks.amazonaws.com/role-arn``): a ``kubernetes_service_account_v1`` (team stacks) or a Helm
release whose values set it (add-on stacks), before the deploy (the resource's current state) and
after it (its planned values).

A pod's IRSA variables are set when it is created from the annotation its service account carries
then, and stay until the pod is replaced; so an annotation in the state before a deploy means
running pods may use IRSA, whatever the plan does to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from catalog.identity import IRSA_ANNOTATION
from tools.review.plan import Change, StackPlan

_TYPES = ("kubernetes_service_account", "kubernetes_service_account_v1", "kubernetes_manifest", "helm_release")


@dataclass(frozen=True)
class Annotation:
    role_arn: str
    stack: str
    address: str
    when: str  # "before" (current state) or "after" (planned)

    @property
    def where(self) -> str:
        return f"{self.stack} {self.address}"


def _arns(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == IRSA_ANNOTATION and isinstance(item, str):
                yield item
            else:
                yield from _arns(item)
    elif isinstance(value, list):
        for item in value:
            yield from _arns(item)
    elif isinstance(value, str) and IRSA_ANNOTATION in value:  # Helm values: a YAML document
        try:
            yield from _arns(yaml.safe_load(value))
        except yaml.YAMLError:
            return


def _of(change: Change) -> Iterator[Annotation]:
    if change.type not in _TYPES:
        return
    for when, values in (("before", change.before), ("after", change.after)):
        for arn in dict.fromkeys(_arns(values)):
            yield Annotation(arn, change.stack, change.address, when)


def every_annotation(plans: Iterable[StackPlan]) -> list[Annotation]:
    """Every IRSA annotation the plans show, changed or not, before and after."""
    return [found for plan in plans for change in [*plan.changes, *plan.unchanged] for found in _of(change)]


def removed(plans: Iterable[StackPlan]) -> list[Annotation]:
    """The annotations a plan removes: in a resource's state, not in its planned values (``before``)."""
    found = every_annotation(plans)
    after = {(a.stack, a.address, a.role_arn) for a in found if a.when == "after"}
    return [a for a in found if a.when == "before" and (a.stack, a.address, a.role_arn) not in after]
