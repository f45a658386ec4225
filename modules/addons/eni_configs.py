"""One ENIConfig per availability zone: where the VPC CNI puts pod ENIs under custom networking.

With ``network.pod_network`` the vpc-cni add-on runs with ``AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG``
and ``ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone`` (modules/cluster/managed_addons.py): each node
looks up the ENIConfig named after its zone and attaches pod ENIs in that subnet, with the
cluster security group. ENIConfig is the vpc-cni's own CRD (crd.k8s.amazonaws.com/v1alpha1,
installed with the add-on), so the objects are applied like every other CRD object here: as a
release of the local manifests chart (modules/shared/release.py). Every add-on release waits for
it: until a node finds its ENIConfig, no pod on it gets an address.
"""

from __future__ import annotations

from typing import Any

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_helm.release import Release
from constructs import Construct

from modules.shared.release import MANIFESTS_CHART, serialize

RELEASE = "eni-configs"


def eni_configs(zones: tuple[str, ...], subnet_ids: list[str], security_group_id: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "crd.k8s.amazonaws.com/v1alpha1",
            "kind": "ENIConfig",
            "metadata": {"name": zone},
            "spec": {"subnet": subnet, "securityGroups": [security_group_id]},
        }
        for zone, subnet in zip(zones, subnet_ids, strict=True)
    ]


class EniConfigs(Construct):
    def __init__(self, scope: Construct, id_: str, *, zones: tuple[str, ...], subnet_ids: list[str], security_group_id: str) -> None:
        super().__init__(scope, id_)
        chart = TerraformAsset(self, "manifests-chart", path=str(MANIFESTS_CHART), type=AssetType.DIRECTORY)
        self.release = Release(
            self,
            "release",
            name=RELEASE,
            chart=chart.path,
            namespace="kube-system",
            values=[serialize({"manifests": eni_configs(zones, subnet_ids, security_group_id)})],
            wait=True,
        )
