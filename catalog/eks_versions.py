"""Kubernetes versions EKS runs in November 2026, and the EKS managed add-on version pinned for each.

Data only (the loader and the stacks read it). One row per cluster minor; a bump of
``cluster.version`` moves every managed add-on to the row of the new minor in the same deploy.
An environment may override a version (``cluster.managed_addons.<name>.version``); the override
must appear in this table for the environment's minor, so an unsupported pin fails at config time.

Sources, read 2026-11 through stored copies of the EKS User Guide's "latest version of the Amazon
EKS add-on type for each Kubernetes version" tables (the newest stored copy of each):
- vpc-cni: managing-vpc-cni (ja_jp/ko_kr copies): v1.20.1-eksbuild.3 for every minor 1.27-1.33.
  https://docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html#vpc-cni-latest-available-version
- coredns: managing-coredns.md (zh_cn copy): 1.33-1.35 v1.13.2-eksbuild.4, 1.32 v1.11.4-eksbuild.33.
  https://docs.aws.amazon.com/eks/latest/userguide/managing-coredns.html#coredns-versions
- kube-proxy: managing-kube-proxy.md (zh_cn copy): 1.35 v1.35.3-eksbuild.2, 1.34 v1.34.6-eksbuild.2,
  1.33 v1.33.10-eksbuild.2, 1.32 v1.32.13-eksbuild.5.
  https://docs.aws.amazon.com/eks/latest/userguide/managing-kube-proxy.html#kube-proxy-versions
- eks-pod-identity-agent: no per-minor table in the guide; v1.3.9-eksbuild.1 is the published build
  aws/eks-hybrid pins (PR #763, 2025-10-02, "aws eks describe-addon-configuration ... v1.3.9-eksbuild.1").
CARRIED marks cells no stored source confirms: the newest confirmed build of an add-on whose
version line is shared by every minor (vpc-cni, coredns, pod identity agent). kube-proxy follows
the Kubernetes minor, so a minor without a confirmed build has no row (``None``): an environment on
that minor must pin ``cluster.managed_addons.kube-proxy.version`` itself. Confirm every CARRIED
cell with ``aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>``
before relying on it; the e2e suite proves the wiring, not AWS's catalogue.

Support window (EKS Kubernetes release calendar,
https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html): on 2026-11-21 1.32
and 1.33 are in extended support, 1.34 leaves standard support on 2026-12-02, 1.35 (released
2026-01-28) and 1.36 are in standard support. 1.31 and older have left extended support.
"""

from __future__ import annotations

CLUSTER_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35", "1.36")

_VPC_CNI = "v1.20.1-eksbuild.3"
_COREDNS = "v1.13.2-eksbuild.4"
_POD_IDENTITY = "v1.3.9-eksbuild.1"

# add-on name -> cluster minor -> EKS add-on version (None: no confirmed build, pin it per environment)
ADDON_VERSIONS: dict[str, dict[str, str | None]] = {
    "vpc-cni": {"1.32": _VPC_CNI, "1.33": _VPC_CNI, "1.34": _VPC_CNI, "1.35": _VPC_CNI, "1.36": _VPC_CNI},  # 1.34+ CARRIED
    "coredns": {"1.32": "v1.11.4-eksbuild.33", "1.33": _COREDNS, "1.34": _COREDNS, "1.35": _COREDNS, "1.36": _COREDNS},  # 1.36 CARRIED
    "kube-proxy": {
        "1.32": "v1.32.13-eksbuild.5",
        "1.33": "v1.33.10-eksbuild.2",
        "1.34": "v1.34.6-eksbuild.2",
        "1.35": "v1.35.3-eksbuild.2",
        "1.36": None,
    },
    "eks-pod-identity-agent": {minor: _POD_IDENTITY for minor in CLUSTER_VERSIONS},  # every minor CARRIED
}


def minor_index(version: str) -> int:
    """``"1.34"`` -> 34 (EKS minors are compared within major 1)."""
    major, minor = version.split(".")[:2]
    if major != "1":
        raise ValueError(f"unexpected Kubernetes major version in {version!r}")
    return int(minor)
