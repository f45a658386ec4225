"""The examples' pods against their service accounts' IAM roles: a pod naming a service account
must find it in its namespace (the platform creates the team's, ``teams.<team>.service_accounts``),
and when that account carries an IRSA role, the role's trust policy (``<env>-teams-aws``) must let
the pod's token assume it: ``sts:AssumeRoleWithWebIdentity`` from the cluster's OIDC provider with
``sub`` = ``system:serviceaccount:<namespace>:<name>`` and ``aud`` = ``sts.amazonaws.com`` (what EKS
puts in the projected token: https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html),
judged by iam-simulate."""

from __future__ import annotations

from tools.examples.checks import iam
from tools.examples.checks.base import ExampleContext
from tools.examples.platform import ISSUER, provider_arn_for
from tools.render.checks.base import Finding, pod_spec


def check(ctx: ExampleContext) -> list[Finding]:
    own = {(o["metadata"]["namespace"], o["metadata"]["name"]) for _, o in ctx.objects() if o.get("kind") == "ServiceAccount"}
    findings, asked = [], []
    for item, obj in ctx.objects():
        spec = pod_spec(obj)
        account = (spec or {}).get("serviceAccountName")
        if not account or account == "default":
            continue
        key = (obj["metadata"]["namespace"], account)
        if key not in ctx.platform.service_accounts and key not in own:
            findings.append(
                ctx.finding(
                    item,
                    obj,
                    "service-account",
                    f"{account!r} does not exist in {key[0]}: the team's are {sorted(n for ns, n in ctx.platform.service_accounts if ns == key[0])}",
                )
            )
            continue
        role = ctx.platform.service_accounts.get(key)
        if role:
            asked.append((item, obj, key, role))
    if not asked:
        return findings
    requests = []
    for _, _, (namespace, account), role in asked:
        name, trust = ctx.platform.role_trust[role]
        requests.append(
            {
                "unsafe": True,  # the issuer's :sub/:aud keys are the provider's own, not in the service reference
                "principal": provider_arn_for(trust),
                "action": "sts:AssumeRoleWithWebIdentity",
                "resource": f"arn:aws:iam::{ctx.target.env.account_id}:role/{name}",
                "accountId": ctx.target.env.account_id,
                "context": {f"{ISSUER}:sub": f"system:serviceaccount:{namespace}:{account}", f"{ISSUER}:aud": "sts.amazonaws.com"},
                "identityPolicy": {"Version": "2012-10-17", "Statement": []},
                "resourcePolicy": trust,
            }
        )
    for (item, obj, (namespace, account), role), decision in zip(asked, iam.evaluate(requests), strict=True):
        if decision != "Allowed":
            name = ctx.platform.role_trust[role][0]
            findings.append(ctx.finding(item, obj, f"irsa-trust {name}", f"a token of {namespace}/{account} cannot assume it: {decision}"))
    return findings
