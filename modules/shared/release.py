"""One add-on on the cluster: its pinned Helm release, then the objects of its CRDs (if any)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cdktf import AssetType, ITerraformDependable, TerraformAsset, TerraformResource
from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from catalog.addons.base import Addon, CustomResources
from catalog.namespaces import KUBERNETES_BUILT_IN
from modules.shared.crds import crd_parts

# A minimal chart that applies the manifests it is given: objects of a CRD cannot be planned with
# kubernetes_manifest before the CRD exists, a second release after the first one can (ADDONS.md §2.5).
MANIFESTS_CHART = Path(__file__).resolve().parents[2] / "charts" / "manifests"

# Namespaces every cluster has: never created (or owned) by a release.


def serialize(values: dict[str, Any]) -> str:
    """Helm values as one JSON document, keys sorted: two synths give identical bytes."""
    return json.dumps(values, sort_keys=True)


class AddonRelease(Construct):
    """``helm_release`` named after the add-on, waiting until its workloads are ready, so what
    depends on it (``ready``) starts only after. The release creates its namespace unless it is a
    system one (Helm leaves the namespace in place on uninstall)."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        addon: Addon,
        values: dict[str, Any],
        custom_resources: CustomResources | None = None,
        depends_on: list[ITerraformDependable] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        chart = addon.chart
        create_namespace = addon.namespace not in KUBERNETES_BUILT_IN
        # CRDs the chart ships in crds/: releases of their own that install and upgrade them, before
        # the chart (modules/shared/crds.py says why and what else was considered). take_ownership
        # adopts CRDs an earlier install of the chart created without release annotations (Helm
        # >= 3.17 --take-ownership; helm provider 3.1.1 take_ownership).
        crd_releases: list[Release] = []
        for i, part in enumerate(crd_parts(addon)):
            suffix = "" if i == 0 else f"-{i + 1}"
            asset = TerraformAsset(self, f"crds-chart{suffix}", path=str(part.chart_dir), type=AssetType.DIRECTORY)
            crd_releases.append(
                Release(
                    self,
                    f"crds{suffix}",
                    name=part.release,
                    chart=asset.path,
                    namespace=addon.namespace,
                    create_namespace=create_namespace,
                    values=[serialize(part.values)],
                    take_ownership=True,
                    wait=True,
                )
            )
        release = Release(
            self,
            "release",
            name=addon.name,
            repository=chart.repository,
            chart=chart.name,
            version=chart.version,
            namespace=addon.namespace,
            create_namespace=create_namespace,
            values=[serialize(values)],
            skip_crds=True if addon.skip_crds or crd_releases else None,
            wait=True,
            timeout=900,
            depends_on=[*(depends_on or []), *crd_releases] or None,
        )
        self.release = release
        self.crd_releases: tuple[Release, ...] = tuple(crd_releases)
        self.ready: list[ITerraformDependable] = [release]
        self.custom_resources_release: Release | None = None
        if custom_resources is not None:
            chart_asset = TerraformAsset(self, "manifests-chart", path=str(MANIFESTS_CHART), type=AssetType.DIRECTORY)
            self.custom_resources_release = Release(
                self,
                "custom-resources",
                name=custom_resources.release,
                chart=chart_asset.path,
                namespace=addon.namespace,
                values=[serialize({"manifests": [dict(m) for m in custom_resources.manifests]})],
                wait=True,
                depends_on=[release],
            )
            self.ready.append(self.custom_resources_release)

    def wait_for(self, dependables: Sequence[TerraformResource], *, custom_resources: bool = False) -> None:
        """Make the chart's release (or, with ``custom_resources``, the release of its custom
        objects) also wait for ``dependables``: for a release built later in the stack, such as
        another add-on's CRD releases (cdktf resolves ``depends_on`` only at synth)."""
        target = self.custom_resources_release if custom_resources else self.release
        if target is None:
            raise ValueError(f"{self.node.id}: has no release of custom resources to order")
        # Terraform's depends_on takes bare addresses (<type>.<name>), as cdktf writes them.
        target.depends_on = [*(target.depends_on or []), *(f"{d.terraform_resource_type}.{d.friendly_unique_id}" for d in dependables)]
