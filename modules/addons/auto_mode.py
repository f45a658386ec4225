"""EKS Auto Mode's Kubernetes objects (catalog/auto_mode.py) as one release of the local manifests
chart, applied before every add-on: their volumes and Ingresses name the StorageClass and the
IngressClass it holds. The CRDs (NodeClass, IngressClassParams, NodePool) are Auto Mode's own,
present on the cluster as soon as it runs, so no CRD release comes first."""

from __future__ import annotations

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from catalog.auto_mode import manifests
from environments.schema import EnvironmentConfig
from modules.shared.release import MANIFESTS_CHART, serialize

RELEASE = "eks-auto-mode"


class AutoModeObjects(Construct):
    def __init__(self, scope: Construct, id_: str, *, env: EnvironmentConfig, subnet_ids: list[str], security_group_id: str) -> None:
        super().__init__(scope, id_)
        chart = TerraformAsset(self, "manifests-chart", path=str(MANIFESTS_CHART), type=AssetType.DIRECTORY)
        self.release = Release(
            self,
            "release",
            name=RELEASE,
            chart=chart.path,
            namespace="kube-system",
            values=[serialize({"manifests": manifests(env, subnet_ids, security_group_id)})],
            wait=True,
        )
