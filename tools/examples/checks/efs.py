"""The EFS example against the file system policy (``<env>-storage``, modules/storage/efs_policy.py):
does the mount the EFS CSI driver makes for each claim get ``ClientMount`` and ``ClientWrite``?

The mount is derived from the claim's StorageClass as the driver makes it (aws-efs-csi-driver
v3.4.1 pkg/driver/node.go, controller.go): ``provisioningMode: efs-ap`` creates an access point per
volume and mounts through it, and an access point mount always adds ``tls``; a static
PersistentVolume mounts through an access point only when its ``volumeHandle`` names one
(``fs-id::fsap-id``) and without TLS only with ``encryptInTransit: "false"``. The request comes
through a mount target (``AccessedViaMountTarget``), as every NFS client's does.
"""

from __future__ import annotations

from tools.examples.checks import iam
from tools.examples.checks.base import ExampleContext
from tools.render.checks.base import Finding, Obj
from tools.render.render import Rendered

DRIVER = "efs.csi.aws.com"
ACTIONS = ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite")
ACCOUNT = "000000000000"
FILE_SYSTEM = f"arn:aws:elasticfilesystem:eu-west-1:{ACCOUNT}:file-system/fs-0123456789abcdef0"
ACCESS_POINT = f"arn:aws:elasticfilesystem:eu-west-1:{ACCOUNT}:access-point/fsap-0123456789abcdef0"
NODE = f"arn:aws:sts::{ACCOUNT}:assumed-role/node/i-0123456789abcdef0"


def mounts(ctx: ExampleContext) -> list[tuple[Rendered, Obj, str, bool, bool]]:
    """(example, object, what, through an access point, over TLS) of every EFS volume the examples claim."""
    classes = {o["metadata"]["name"]: o for item in ctx.addons for o in item.objects if o.get("kind") == "StorageClass" and o.get("provisioner") == DRIVER}
    found: list[tuple[Rendered, Obj, str, bool, bool]] = []
    for item, obj in ctx.objects():
        kind, spec = obj.get("kind"), obj.get("spec") or {}
        claims = [(f"claim {obj['metadata']['name']}", spec)] if kind == "PersistentVolumeClaim" else []
        claims += (
            [(f"volumeClaimTemplates {t['metadata']['name']}", t.get("spec") or {}) for t in spec.get("volumeClaimTemplates") or []]
            if kind == "StatefulSet"
            else []
        )
        for what, claim in claims:
            sc = classes.get(claim.get("storageClassName") or "")
            if sc is not None:
                access_point = (sc.get("parameters") or {}).get("provisioningMode") == "efs-ap"
                found.append((item, obj, f"{what} on StorageClass {sc['metadata']['name']}", access_point, access_point))
        csi = spec.get("csi") or {} if kind == "PersistentVolume" else {}
        if csi.get("driver") == DRIVER:
            access_point = len(str(csi.get("volumeHandle", "")).split(":")) > 2 and bool(str(csi["volumeHandle"]).split(":")[2])
            tls = access_point or str((csi.get("volumeAttributes") or {}).get("encryptInTransit", "true")).lower() != "false"
            found.append((item, obj, f"volume {csi.get('volumeHandle')}", access_point, tls))
    return found


def check(ctx: ExampleContext) -> list[Finding]:
    found = mounts(ctx)
    if not found:
        return []
    if ctx.platform.efs_policy is None:
        return [ctx.finding(item, obj, "efs-policy", f"{what}: the environment has no EFS file system policy") for item, obj, what, _, _ in found]
    policy = _concrete(ctx.platform.efs_policy)
    requests = []
    for _, _, _, access_point, tls in found:
        context = {"aws:SecureTransport": "true" if tls else "false", "elasticfilesystem:AccessedViaMountTarget": "true"}
        if access_point:
            context["elasticfilesystem:AccessPointArn"] = ACCESS_POINT
        for action in ACTIONS:
            requests.append(
                {
                    "principal": NODE,
                    "action": action,
                    "resource": FILE_SYSTEM,
                    "accountId": ACCOUNT,
                    "context": context,
                    "identityPolicy": {"Version": "2012-10-17", "Statement": []},
                    "resourcePolicy": policy,
                }
            )
    decisions = iam.evaluate(requests)
    findings = []
    for i, (item, obj, what, access_point, tls) in enumerate(found):
        for action, decision in zip(ACTIONS, decisions[2 * i : 2 * i + 2], strict=True):
            if decision != "Allowed":
                mount = f"{'through an access point' if access_point else 'without an access point'}, {'over TLS' if tls else 'without TLS'}"
                findings.append(ctx.finding(item, obj, f"efs-policy {action}", f"{what} mounts {mount}: {decision} by the file system policy"))
    return findings


def _concrete(policy: Obj) -> Obj:
    """The policy with the file system's ARN (an apply-time reference in the synth) made concrete."""
    import json
    import re

    return dict(json.loads(re.sub(r"\$\{aws_efs_file_system\.[\w-]+\.arn\}", FILE_SYSTEM, json.dumps(policy))))
