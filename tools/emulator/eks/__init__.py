"""The EKS operations Terraform uses here that moto 5.2.5 lacks, added to moto's EKS service.

``register()`` (called once, in the server process, before moto builds its routes) adds:

- cluster versions: UpdateClusterVersion, DescribeUpdate, ListUpdates, UpdateNodegroupVersion, and
  an UpdateClusterConfig that also takes ``accessConfig`` and ``upgradePolicy`` and answers with
  an update (moto's answers with the cluster, which botocore's model does not allow); EKS Auto
  Mode's ``computeConfig``, ``storageConfig`` and ``elasticLoadBalancing`` on create, describe and
  update (``auto_mode.py``);
- add-ons: Create/Describe/Update/Delete/ListAddon(s), DescribeAddonVersions (the catalog is
  ``tools/emulator/eks_catalog.py``);
- access entries: Create/Describe/Update/Delete/ListAccessEntr(y|ies), Associate/Disassociate/
  ListAssociatedAccessPolicies, ListAccessPolicies; the cluster keeps ``accessConfig``;
- pod identity associations: Create/Describe/Update/Delete/ListPodIdentityAssociation(s);
- tags on managed node groups (Tag/Untag/ListTagsForResource took clusters only: ``tags.py``).

moto routes a request to an operation with botocore's EKS service model, parses its parameters
with that model and serializes each answer through the operation's output shape, so the shapes
here are the model's; ``tests/emulator/test_emulator_eks.py`` checks every handler's request and raw
response against it. Asynchronous operations complete at once: every update is ``Successful``
and every add-on ``ACTIVE`` when the call returns (docs/emulator.md lists what else is simplified).
State lives on moto's cluster objects, so it goes when the cluster is deleted.
"""

from __future__ import annotations

from tools.emulator.eks.access import (
    associate_access_policy,
    create_access_entry,
    delete_access_entry,
    describe_access_entry,
    disassociate_access_policy,
    list_access_entries,
    list_access_policies,
    list_associated_access_policies,
    update_access_entry,
)
from tools.emulator.eks.addons import create_addon, delete_addon, describe_addon, describe_addon_versions, list_addons, update_addon
from tools.emulator.eks.clusters import (
    _wrap_cluster_and_nodegroup_creation,
    describe_update,
    list_updates,
    update_cluster_config,
    update_cluster_version,
    update_nodegroup_version,
)
from tools.emulator.eks.common import _PATHS
from tools.emulator.eks.pod_identity import (
    create_pod_identity_association,
    delete_pod_identity_association,
    describe_pod_identity_association,
    list_pod_identity_associations,
    update_pod_identity_association,
)

_REGISTERED = False

# -- registration ------------------------------------------------------------------------------

HANDLERS = {
    "update_cluster_version": update_cluster_version,
    "update_cluster_config": update_cluster_config,
    "update_nodegroup_version": update_nodegroup_version,
    "describe_update": describe_update,
    "list_updates": list_updates,
    "create_addon": create_addon,
    "describe_addon": describe_addon,
    "update_addon": update_addon,
    "delete_addon": delete_addon,
    "list_addons": list_addons,
    "describe_addon_versions": describe_addon_versions,
    "create_access_entry": create_access_entry,
    "describe_access_entry": describe_access_entry,
    "update_access_entry": update_access_entry,
    "delete_access_entry": delete_access_entry,
    "list_access_entries": list_access_entries,
    "associate_access_policy": associate_access_policy,
    "disassociate_access_policy": disassociate_access_policy,
    "list_associated_access_policies": list_associated_access_policies,
    "list_access_policies": list_access_policies,
    "create_pod_identity_association": create_pod_identity_association,
    "describe_pod_identity_association": describe_pod_identity_association,
    "update_pod_identity_association": update_pod_identity_association,
    "delete_pod_identity_association": delete_pod_identity_association,
    "list_pod_identity_associations": list_pod_identity_associations,
}


def register() -> None:
    """Add the operations to moto's EKS service (idempotent; before moto builds its routes)."""
    global _REGISTERED
    if _REGISTERED:
        return
    from moto.eks import urls
    from moto.eks.models import EKSBackend
    from moto.eks.responses import EKSResponse

    from tools.emulator.eks import tags

    for path in _PATHS:
        urls.url_paths.setdefault(path, urls.response.dispatch)
    _wrap_cluster_and_nodegroup_creation(EKSResponse)
    tags.wrap(EKSBackend)
    for name, handler in HANDLERS.items():
        setattr(EKSResponse, name, handler)
    _REGISTERED = True
