"""The permissions boundary of an environment's roles: what the GitHub apply role (and any role it
creates) can never do, whatever policy it attaches.

A permissions boundary caps a role's effective permissions at the intersection of its policies and
the boundary ("Permissions boundaries for IAM entities",
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). The apply role
needs IAM to create the platform's roles, which is the classic escalation path; following AWS's
example for delegated role administration, the boundary:

* allows everything else (a ceiling, not a grant: the roles' own policies still decide);
* denies creating a role, or attaching/writing a policy on one, unless that role carries this
  boundary (``iam:PermissionsBoundary``): a new or widened role is capped like the apply role;
* denies removing any role's boundary and changing the boundary policy itself;
* denies every change to the CI roles themselves (plan and apply): those change only through an
  administrator's ``make bootstrap`` (docs/delivery.md);
* denies creating IAM users, groups, access keys and login credentials, and Organizations/Account
  changes: nothing of the platform needs them.
"""

from __future__ import annotations

from modules.shared.iam import Statement

ROLE_WRITES_NEED_BOUNDARY = ("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:AttachRolePolicy", "iam:PutRolePolicy")
CI_ROLE_WRITES = (
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
    "iam:DeleteRole",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:TagRole",
    "iam:UntagRole",
)
BOUNDARY_WRITES = ("iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:TagPolicy", "iam:UntagPolicy")
NO_PRINCIPALS = (
    "iam:*User*",
    "iam:*Group*",
    "iam:*AccessKey*",
    "iam:*LoginProfile*",
    "iam:*SSHPublicKey*",
    "iam:*ServiceSpecificCredential*",
    "iam:*SigningCertificate*",
    "iam:*MFADevice*",
    "organizations:*",
    "account:*",
)


def boundary_statements(boundary_arn: str, ci_role_arns: list[str]) -> list[Statement]:
    return [
        {"Sid": "Ceiling", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Sid": "NoRoleWithoutThisBoundary",
            "Effect": "Deny",
            "Action": sorted(ROLE_WRITES_NEED_BOUNDARY),
            "Resource": "*",
            "Condition": {"ArnNotEquals": {"iam:PermissionsBoundary": boundary_arn}},
        },
        {"Sid": "KeepBoundaries", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary", "Resource": "*"},
        {"Sid": "KeepThisBoundary", "Effect": "Deny", "Action": sorted(BOUNDARY_WRITES), "Resource": boundary_arn},
        {"Sid": "KeepCiRoles", "Effect": "Deny", "Action": sorted(CI_ROLE_WRITES), "Resource": sorted(ci_role_arns)},
        {"Sid": "NoUsersOrKeys", "Effect": "Deny", "Action": sorted(NO_PRINCIPALS), "Resource": "*"},
    ]
