"""The checks that matter most turn red on a realistic regression.

Mutation testing (``make mutate``) covers the pure code; the constructs need a synth, so here each
regression is made on a copy of the session's synthesized JSON, exactly where the code change
would land, and the real test function is run against it: it must fail. The same functions pass on
the unbroken JSON (they are the suite's own tests).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

import tests.addons.test_addons as addon_tests
import tests.stacks.test_stacks as stack_tests
from environments import EnvironmentConfig
from tests.conftest import Synth

# How a test turns red: a failed assert, or unpacking/lookup of something that is no longer there.
RED = (AssertionError, ValueError, KeyError)


class Broken(Synth):
    """The session synthesis with one stack's JSON changed by ``breaker``."""

    def __init__(self, base: Synth, stack: str, breaker: Callable[[dict[str, Any]], None]) -> None:
        super().__init__(base.outdir)
        doc = copy.deepcopy(base.stack(stack))
        breaker(doc)
        self._cache[stack] = doc


def _policy_edit(resource: dict[str, Any], key: str, edit: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(resource[key])
    edit(document)
    resource[key] = json.dumps(document)


def _one(doc: dict[str, Any], type_: str, where: Callable[[str, dict[str, Any]], bool] = lambda k, b: True) -> dict[str, Any]:
    [body] = [b for k, b in doc["resource"][type_].items() if where(k, b)]
    return body


# --- access entries ------------------------------------------------------------------------------


def _swap_admin_and_view_principals(doc: dict[str, Any]) -> None:
    """The associations keep their policies but point at each other's entries: the read-only
    role becomes cluster admin (a refactoring that pairs by the wrong index)."""
    associations = doc["resource"]["aws_eks_access_policy_association"]
    admin = next(a for a in associations.values() if a["policy_arn"].endswith("/AmazonEKSClusterAdminPolicy"))
    view = next(a for a in associations.values() if a["policy_arn"].endswith("/AmazonEKSViewPolicy"))
    admin["principal_arn"], view["principal_arn"] = view["principal_arn"], admin["principal_arn"]


def _namespaced_entry_made_cluster_wide(doc: dict[str, Any]) -> None:
    association = next(a for a in doc["resource"]["aws_eks_access_policy_association"].values() if a["access_scope"]["type"] == "namespace")
    association["access_scope"] = {"type": "cluster"}


@pytest.mark.parametrize(
    ("env_name", "breaker"),
    [("prod", _swap_admin_and_view_principals), ("staging", _namespaced_entry_made_cluster_wide)],
    ids=["admin-and-view-swapped", "namespace-scope-dropped"],
)
def test_access_entry_regressions_fail_the_access_test(synth: Synth, real_environments: dict[str, EnvironmentConfig], env_name: str, breaker) -> None:
    env = real_environments[env_name]
    stack_tests.test_access_entries_map_roles_to_policies_and_scopes(synth, env)  # unbroken: passes
    with pytest.raises(RED):
        stack_tests.test_access_entries_map_roles_to_policies_and_scopes(Broken(synth, f"{env_name}-cluster", breaker), env)


# --- IRSA trust ----------------------------------------------------------------------------------


def _trust_edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def breaker(doc: dict[str, Any]) -> None:
        role = _one(doc, "aws_iam_role", lambda k, b: b["name"].endswith("-external-dns"))
        text = role["assume_role_policy"]
        # The trust policy holds ${...} interpolations with quotes inside: edit it as text.
        role["assume_role_policy"] = edit(text)  # type: ignore[func-returns-value]

    return breaker


IRSA_BREAKS = {
    "any-service-account": lambda t: t.replace("system:serviceaccount:external-dns:external-dns", "system:serviceaccount:external-dns:*"),
    "other-namespace": lambda t: t.replace("system:serviceaccount:external-dns:", "system:serviceaccount:default:"),
    "audience-dropped": lambda t: t.replace(':aud":"sts.amazonaws.com"', ':aud":"sts.amazonaws.com.cn"').replace(
        ':aud": "sts.amazonaws.com"', ':aud": "sts.amazonaws.com.cn"'
    ),
    "assume-role-instead-of-web-identity": lambda t: t.replace("sts:AssumeRoleWithWebIdentity", "sts:AssumeRole"),
}


@pytest.mark.parametrize("name", sorted(IRSA_BREAKS))
def test_irsa_trust_regressions_fail_the_irsa_test(synth: Synth, real_environments: dict[str, EnvironmentConfig], name: str) -> None:
    env = real_environments["prod"]
    broken = Broken(synth, "prod-addons-aws", _trust_edit(IRSA_BREAKS[name]))
    assert broken.stack("prod-addons-aws") != synth.stack("prod-addons-aws"), "the break did not apply"
    addon_tests.test_irsa_trust_binds_each_role_to_the_service_account_its_release_configures([(synth, env)])
    with pytest.raises(RED):
        addon_tests.test_irsa_trust_binds_each_role_to_the_service_account_its_release_configures([(broken, env)])


# --- bucket policies -----------------------------------------------------------------------------


def _state_bucket_policy(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: _policy_edit(_one(doc, "aws_s3_bucket_policy"), "policy", edit)


STATE_BUCKET_BREAKS = {
    "tls-deny-removed": _state_bucket_policy(lambda p: p.update(Statement=[])),
    "deny-turned-allow": _state_bucket_policy(lambda p: p["Statement"][0].update(Effect="Allow")),
    "secure-transport-inverted": _state_bucket_policy(lambda p: p["Statement"][0].update(Condition={"Bool": {"aws:SecureTransport": "true"}})),
    "public-access-block-relaxed": lambda doc: _one(doc, "aws_s3_bucket_public_access_block").update(restrict_public_buckets=False),
    "versioning-suspended": lambda doc: _one(doc, "aws_s3_bucket_versioning")["versioning_configuration"].update(status="Suspended"),
}


@pytest.mark.parametrize("name", sorted(STATE_BUCKET_BREAKS))
def test_state_bucket_regressions_fail_the_state_bucket_test(synth: Synth, real_environments: dict[str, EnvironmentConfig], name: str) -> None:
    env = real_environments["prod"]
    stack_tests.test_state_bucket_is_versioned_encrypted_private_tls_only_with_lifecycle(synth, env)
    with pytest.raises(RED):
        stack_tests.test_state_bucket_is_versioned_encrypted_private_tls_only_with_lifecycle(Broken(synth, "prod-state", STATE_BUCKET_BREAKS[name]), env)


def _addon_bucket_policy_allows_plain_http(doc: dict[str, Any]) -> None:
    policy = next(iter(doc["resource"]["aws_s3_bucket_policy"].values()))
    policy["policy"] = policy["policy"].replace('"Deny"', '"Allow"')


def _addon_bucket_key_switched_to_s3_managed(doc: dict[str, Any]) -> None:
    sse = next(iter(doc["resource"]["aws_s3_bucket_server_side_encryption_configuration"].values()))
    sse["rule"][0]["apply_server_side_encryption_by_default"] = {"sse_algorithm": "AES256"}


@pytest.mark.parametrize(
    "breaker", [_addon_bucket_policy_allows_plain_http, _addon_bucket_key_switched_to_s3_managed], ids=["tls-deny-turned-allow", "sse-s3-instead-of-kms"]
)
def test_addon_bucket_regressions_fail_the_addon_bucket_test(synth: Synth, real_environments: dict[str, EnvironmentConfig], breaker) -> None:
    env = real_environments["prod"]
    addon_tests.test_addon_buckets_are_private_encrypted_with_the_env_key_and_expire([(synth, env)])
    with pytest.raises(RED):
        addon_tests.test_addon_buckets_are_private_encrypted_with_the_env_key_and_expire([(Broken(synth, "prod-addons-aws", breaker), env)])


# --- KMS key policy ------------------------------------------------------------------------------


def _key_policy(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: _policy_edit(_one(doc, "aws_kms_key"), "policy", edit)


def _logs_condition_dropped(policy: dict[str, Any]) -> None:
    for st in policy["Statement"]:
        st.pop("Condition", None)


KMS_BREAKS = {
    "anyone-may-use-the-key": _key_policy(
        lambda p: p["Statement"].append({"Sid": "Everyone", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"})
    ),
    "account-administration-removed": _key_policy(lambda p: p.update(Statement=[st for st in p["Statement"] if st["Sid"] != "AccountAdministers"])),
    "logs-may-use-it-for-any-log-group": _key_policy(_logs_condition_dropped),
    "rotation-off": lambda doc: _one(doc, "aws_kms_key").update(enable_key_rotation=False),
}


@pytest.mark.parametrize("name", sorted(KMS_BREAKS))
def test_kms_key_policy_regressions_fail_the_kms_test(synth: Synth, real_environments: dict[str, EnvironmentConfig], name: str) -> None:
    env = real_environments["prod"]
    stack_tests.test_kms_key_rotates_with_explicit_policy_and_alias(synth, env)
    with pytest.raises(RED):
        stack_tests.test_kms_key_rotates_with_explicit_policy_and_alias(Broken(synth, "prod-cluster", KMS_BREAKS[name]), env)


# --- EFS access ----------------------------------------------------------------------------------


def _efs_policy(edit: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda doc: _policy_edit(_one(doc, "aws_efs_file_system_policy"), "policy", edit)


def _drop(sid: str) -> Callable[[dict[str, Any]], None]:
    return lambda p: p.update(Statement=[st for st in p["Statement"] if st["Sid"] != sid])


def _statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(st for st in policy["Statement"] if st["Sid"] == sid)


def _nfs_from(doc: dict[str, Any], **source: str) -> None:
    rule = _one(doc, "aws_vpc_security_group_ingress_rule")
    rule.pop("referenced_security_group_id", None)
    rule.update(source)


EFS_BREAKS = {
    "tls-deny-removed": _efs_policy(_drop("DenyNonTls")),
    "tls-deny-turned-allow": _efs_policy(lambda p: _statement(p, "DenyNonTls").update(Effect="Allow")),
    "access-point-deny-removed": _efs_policy(_drop("DenyWithoutAccessPoint")),
    "access-point-deny-on-present-key": _efs_policy(
        lambda p: _statement(p, "DenyWithoutAccessPoint").update(Condition={"Null": {"elasticfilesystem:AccessPointArn": "false"}})
    ),
    "root-access-granted": _efs_policy(lambda p: _statement(p, "MountTargetClients")["Action"].append("elasticfilesystem:ClientRootAccess")),
    "allowed-without-mount-target": _efs_policy(lambda p: _statement(p, "MountTargetClients").pop("Condition")),
    "policy-removed": lambda doc: doc["resource"].pop("aws_efs_file_system_policy"),
    "nfs-from-the-vpc-cidr": lambda doc: _nfs_from(doc, cidr_ipv4="10.30.0.0/16"),
    "nfs-from-anywhere": lambda doc: _nfs_from(doc, cidr_ipv4="0.0.0.0/0"),
}


@pytest.mark.parametrize("name", sorted(EFS_BREAKS))
def test_efs_access_regressions_fail_an_efs_test(synth: Synth, real_environments: dict[str, EnvironmentConfig], name: str) -> None:
    env = real_environments["prod"]
    checks = (
        stack_tests.test_efs_admits_nfs_only_from_the_cluster_security_group,
        stack_tests.test_efs_policy_mount_targets_only_tls_only_access_points_only_no_root,
    )
    for check in checks:
        check(synth, env)
    broken = Broken(synth, "prod-storage", EFS_BREAKS[name])
    failed = []
    for check in checks:
        try:
            check(broken, env)
        except RED:
            failed.append(check.__name__)
    assert failed, f"{name}: no EFS test noticed"
