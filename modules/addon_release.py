"""One add-on on the cluster: its pinned Helm release, then its StorageClasses and custom resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cdktf import AssetType, ITerraformDependable, TerraformAsset
from cdktf_cdktf_provider_helm.release import Release
from cdktf_cdktf_provider_kubernetes.storage_class_v1 import StorageClassV1
from constructs import Construct

from modules.addons.base import Addon, CustomResources, StorageClass

# A minimal chart that applies the manifests it is given: objects of a CRD cannot be planned with
# kubernetes_manifest before the CRD exists, a second release after the first one can (ADDONS.md §2.5).
MANIFESTS_CHART = Path(__file__).resolve().parent.parent / "charts" / "manifests"


def serialize(values: dict[str, Any]) -> str:
    """Helm values as one JSON document, keys sorted: two synths give identical bytes."""
    return json.dumps(values, sort_keys=True)


class AddonRelease(Construct):
    """``helm_release`` named after the add-on, waiting until its workloads are ready, so what
    depends on it (``ready``) starts only after."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        addon: Addon,
        namespace: str,
        values: dict[str, Any],
        storage_classes: tuple[StorageClass, ...] = (),
        custom_resources: CustomResources | None = None,
        depends_on: list[ITerraformDependable] | None = None,
    ) -> None:
        super().__init__(scope, id_)
        chart = addon.chart
        release = Release(
            self,
            "release",
            name=addon.name,
            repository=chart.repository,
            chart=chart.name,
            version=chart.version,
            namespace=namespace,
            values=[serialize(values)],
            wait=True,
            timeout=900,
            depends_on=depends_on or None,
        )
        self.ready: list[ITerraformDependable] = [release]
        for sc in storage_classes:
            annotations = {"storageclass.kubernetes.io/is-default-class": "true"} if sc.default else None
            self.ready.append(
                StorageClassV1(
                    self,
                    f"storage-class-{sc.name}",
                    metadata={"name": sc.name, "annotations": annotations},
                    storage_provisioner=sc.provisioner,
                    parameters=dict(sc.parameters),
                    reclaim_policy=sc.reclaim_policy,
                    volume_binding_mode=sc.volume_binding_mode,
                    allow_volume_expansion=sc.allow_volume_expansion,
                    depends_on=[release],
                )
            )
        if custom_resources is not None:
            chart_asset = TerraformAsset(self, "manifests-chart", path=str(MANIFESTS_CHART), type=AssetType.DIRECTORY)
            self.ready.append(
                Release(
                    self,
                    "custom-resources",
                    name=custom_resources.release,
                    chart=chart_asset.path,
                    namespace=namespace,
                    values=[serialize({"manifests": [dict(m) for m in custom_resources.manifests]})],
                    wait=True,
                    depends_on=[release],
                )
            )
