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

Support window: ``SUPPORT_CALENDAR`` below (one row per minor, with its source and the date it
was read). 1.31 and older have left extended support.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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


# --- EKS support window --------------------------------------------------------------------------
# The rule (EKS User Guide, "Understand the Kubernetes version lifecycle on EKS",
# https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html): a minor is in standard
# support for 14 months after its EKS release, then in extended support for 12 more (26 in all).
# The dates are the "Amazon EKS Kubernetes release calendar" table of that page, read 2026-12-06
# through stored copies that reproduce it (endoflife.date/amazon-eks, which mirrors the table; the
# aws-samples "eks-operation-review" calendar, verified 2026-04-24): both agree on every date below.
CALENDAR_URL = "https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html#kubernetes-release-calendar"
CALENDAR_READ = date(2026, 12, 6)

# Prices (Amazon EKS pricing, https://aws.amazon.com/eks/pricing/): a cluster costs $0.10 per hour
# in standard support and $0.60 per hour in extended support; 730 hours make AWS's pricing month.
STANDARD_PER_HOUR = 0.10
EXTENDED_PER_HOUR = 0.60
HOURS_PER_MONTH = 730
EXTENDED_EXTRA_PER_MONTH = round((EXTENDED_PER_HOUR - STANDARD_PER_HOUR) * HOURS_PER_MONTH, 2)


@dataclass(frozen=True)
class SupportWindow:
    released: date  # EKS release (the AL2023 AMIs of the minor exist from then on)
    end_of_standard: date  # last day of standard support
    end_of_extended: date
    source: str
    derived: bool = False  # dates computed with the 14/26-month rule, not read from the calendar


def _window(released: str, standard: str, extended: str, *, derived: bool = False) -> SupportWindow:
    return SupportWindow(date.fromisoformat(released), date.fromisoformat(standard), date.fromisoformat(extended), CALENDAR_URL, derived)


SUPPORT_CALENDAR: dict[str, SupportWindow] = {
    "1.32": _window("2025-01-23", "2026-03-23", "2027-03-23"),
    "1.33": _window("2025-05-29", "2026-07-29", "2027-07-29"),
    "1.34": _window("2025-10-02", "2026-12-02", "2027-12-02"),
    "1.35": _window("2026-01-28", "2027-03-27", "2028-03-27"),
    # No stored copy of the calendar has a 1.36 row. EKS releases minors in order, so 1.36 came
    # after 1.35 (2026-01-28) and the rule puts its end of standard support after 1.35's: the
    # dates below are those lower bounds (earliest possible), so a warning never comes late.
    "1.36": _window("2026-01-28", "2027-03-28", "2028-03-28", derived=True),
}


def support_warning(version: str, upgrade_policy: str | None, *, today: date) -> str | None:
    """A warning when ``version`` is past EKS standard support on ``today`` (None otherwise, or when
    ``upgrade_policy`` is ``EXTENDED``: extended support chosen on purpose)."""
    window = SUPPORT_CALENDAR.get(version)
    if window is None or today <= window.end_of_standard or upgrade_policy == "EXTENDED":
        return None
    then = "EKS upgrades the cluster itself (upgrade_policy STANDARD)" if upgrade_policy == "STANDARD" else "billed as extended support"
    return (
        f"Kubernetes {version} left EKS standard support on {window.end_of_standard.isoformat()} ({window.source}): {then}, "
        f"${EXTENDED_EXTRA_PER_MONTH:.0f}/month more per cluster (${EXTENDED_PER_HOUR:.2f} instead of ${STANDARD_PER_HOUR:.2f} "
        f"per cluster-hour) until {window.end_of_extended.isoformat()}; upgrade cluster.version, or set "
        "cluster.upgrade_policy: EXTENDED to accept the cost"
    )
