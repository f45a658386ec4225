"""The EFS file system policy: NFS clients only through a mount target, only over TLS, and (unless
config says otherwise) only through an access point; nobody gets root."""

from __future__ import annotations

from cdktf_cdktf_provider_aws.efs_file_system_policy import EfsFileSystemPolicy
from constructs import Construct

from modules.shared.iam import Statement, document

# The actions an NFS client needs to read and write; ClientRootAccess is left out on purpose
# (root is squashed). https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
CLIENT_ACTIONS = ("elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite")
ROOT_ACTION = "elasticfilesystem:ClientRootAccess"


def statements(file_system_arn: str, *, require_access_point: bool) -> list[Statement]:
    """The policy's statements (pure: tested without a synth).

    - ``MountTargetClients`` allows read and write to any client that comes through a mount
      target. The principal is ``*`` because the EFS CSI driver mounts without the ``iam`` option,
      so EFS sees an anonymous client (aws-efs-csi-driver pkg/driver/node.go adds only ``tls`` and
      ``accesspoint=``); the network already limits who reaches a mount target (the security
      group admits the cluster security group only). ``AccessedViaMountTarget`` keeps the policy
      non-public for EFS's block-public-access check (access-control-block-public-access.html).
      The same statement as the EFS console's "prevent root access" option and
      terraform-aws-modules/terraform-aws-efs ``NonSecureTransportAccessedViaMountTarget``
      without ClientRootAccess.
    - ``DenyNonTls`` denies everything without TLS, as terraform-aws-efs ``NonSecureTransport``.
    - ``DenyWithoutAccessPoint`` (``require_access_point``) denies the client actions when the
      mount names no access point: ``elasticfilesystem:AccessPointArn`` is the ARN of the access
      point the file system is mounted with (access-points-iam-policy.html) and ``Null: true``
      matches when the key is absent (IAM condition operators, Null). Only the client actions:
      management calls (Terraform's own PutFileSystemPolicy) never carry an access point.
    """
    anyone = {"AWS": "*"}
    result: list[Statement] = [
        {
            "Sid": "MountTargetClients",
            "Effect": "Allow",
            "Principal": anyone,
            "Action": list(CLIENT_ACTIONS),
            "Resource": file_system_arn,
            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
        },
        {
            "Sid": "DenyNonTls",
            "Effect": "Deny",
            "Principal": anyone,
            "Action": "*",
            "Resource": file_system_arn,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
    ]
    if require_access_point:
        result.append(
            {
                "Sid": "DenyWithoutAccessPoint",
                "Effect": "Deny",
                "Principal": anyone,
                "Action": [*CLIENT_ACTIONS, ROOT_ACTION],
                "Resource": file_system_arn,
                "Condition": {"Null": {"elasticfilesystem:AccessPointArn": "true"}},
            }
        )
    return result


class EfsPolicy(Construct):
    """The file system policy of one EFS file system (see ``statements``).

    Works with the EFS CSI driver as configured here: it mounts over TLS by default
    (``encryptInTransit`` defaults to true, and an access point mount always adds ``tls``:
    aws-efs-csi-driver v3.4.1 pkg/driver/node.go), dynamic provisioning creates an access point
    per volume with a non-root identity (GIDs from 50000 up, pkg/driver/controller.go
    ``DefaultGidMin``; the controller's own calls are API calls, not NFS), and the controller
    mounts the file system root only with ``deleteAccessPointRootDir``, which the chart leaves
    off (charts/aws-efs-csi-driver/values.yaml, not set here; it would need ClientRootAccess and a
    mount without access point).
    """

    def __init__(self, scope: Construct, id_: str, *, file_system_id: str, file_system_arn: str, require_access_point: bool) -> None:
        super().__init__(scope, id_)
        EfsFileSystemPolicy(
            self,
            "policy",
            file_system_id=file_system_id,
            policy=document(*statements(file_system_arn, require_access_point=require_access_point)),
        )
