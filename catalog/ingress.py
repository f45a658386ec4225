"""The rules an add-on's optional internal-ALB ingress shares (Headlamp, Grafana): the load balancer
controller creates the ALB, the host comes from the option or the environment's domain, and a
sign-in page is served over HTTPS only."""

from __future__ import annotations

from typing import Any

# A DNS host name (RFC 1123 labels) and an ACM certificate ARN, as the ingress options accept them.
HOST_PATTERN = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
CERTIFICATE_PATTERN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$"


def ingress_problems(env: Any, *, ingress: bool, host: str | None, certificate_arn: str | None, sign_in: str) -> list[str]:
    """``<field>: message`` for each rule the options break (none without ``ingress``)."""
    if not ingress:
        return []
    problems = []
    if "aws-load-balancer-controller" not in env.addons:
        problems.append("ingress: needs the aws-load-balancer-controller add-on (it creates the ALB)")
    if host is None and env.dns is None:
        problems.append("ingress: needs host, or dns.domain in the environment file")
    if certificate_arn is None:
        problems.append(f"certificate_arn: required with ingress (users sign in with {sign_in}: HTTPS only)")
    return problems


def internal_alb_annotations(certificate_arn: str | None) -> dict[str, str | None]:
    """The annotations of an internal-ALB ingress served over HTTPS only (AWS Load Balancer
    Controller's ingress annotations): internal scheme, pod IPs as targets, one TLS 1.3 listener."""
    return {
        "alb.ingress.kubernetes.io/scheme": "internal",
        "alb.ingress.kubernetes.io/target-type": "ip",
        "alb.ingress.kubernetes.io/listen-ports": '[{"HTTPS": 443}]',
        "alb.ingress.kubernetes.io/certificate-arn": certificate_arn,
        "alb.ingress.kubernetes.io/ssl-policy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
    }
