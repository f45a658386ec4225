"""AWS list prices the cost report uses (docs/cost.md, ``tools/cost.py``), each with its source.

Read 2026-12-06 through stored copies of AWS's pricing pages and pages quoting them. Only
us-east-1 rates could be confirmed for the regional items: the shipped environments run in
eu-west-1, where AWS lists somewhat higher rates, so the report labels its totals as us-east-1
list prices. EKS control-plane prices (the same in every region) live with the support calendar in
``catalog/eks_versions.py``. EC2 on-demand rates per instance type are not here: no stored source
confirmed them, so the report gives node groups' instance-hours without a price.
"""

from __future__ import annotations

from datetime import date

PRICES_READ = date(2026, 12, 6)
PRICES_REGION = "us-east-1"

# Amazon VPC pricing, NAT gateway: "$0.045 per NAT gateway hour" and "$0.045 per GB data processed"
# (https://aws.amazon.com/vpc/pricing/, us-east-1).
NAT_GATEWAY_PER_HOUR = 0.045
NAT_GATEWAY_PER_GB = 0.045
# Amazon VPC pricing, public IPv4 address: $0.005 per IP per hour, in use or idle, every region
# (https://aws.amazon.com/vpc/pricing/): the NAT gateways' Elastic IPs.
PUBLIC_IPV4_PER_HOUR = 0.005
# AWS PrivateLink pricing, interface endpoint: billed "for each hour that your VPC endpoint remains
# provisioned in each Availability Zone", $0.01 per endpoint-AZ-hour and $0.01 per GB for the first
# PB (https://aws.amazon.com/privatelink/pricing/, us-east-1). Gateway endpoints (S3) are free.
INTERFACE_ENDPOINT_PER_AZ_HOUR = 0.01
INTERFACE_ENDPOINT_PER_GB = 0.01
# AWS KMS pricing: $1 per customer managed key per month, prorated hourly
# (https://aws.amazon.com/kms/pricing/), requests extra.
KMS_KEY_PER_MONTH = 1.00
