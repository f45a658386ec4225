"""``cluster.fargate_profiles`` and a team's Fargate namespaces: which pods run on Fargate."""

from __future__ import annotations

from pydantic import Field

from catalog.fields import K8sName, LabelKey, LabelValue, Strict


class FargateSelector(Strict):
    namespace: K8sName
    labels: dict[LabelKey, LabelValue] = Field(default_factory=dict)


class FargateProfile(Strict):
    """Pods matching any selector run on Fargate in the private subnets."""

    selectors: tuple[FargateSelector, ...] = Field(min_length=1, max_length=5)
