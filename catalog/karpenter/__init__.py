"""Karpenter as the platform runs it: the pinned version, its charts and node objects
(``addon.py``) and its controller's IAM policies (``policy.py``)."""

# The pinned controller. Charts, IAM policy and the compatibility range below move together.
KARPENTER_VERSION = "1.14.1"

# Karpenter's compatibility matrix at the pinned version: hack/docs/compatibilitymatrix_gen/
# compatibility.yaml @ v1.14.1 (aws/karpenter-provider-aws, commit bde00654) has
# ``appVersion: 1.14.x, minK8sVersion: 1.26, maxK8sVersion: 1.36``; the rendered table is
# website/content/en/docs/upgrading/compatibility.md at the same tag.
SUPPORTED_KUBERNETES = ("1.26", "1.36")
