"""Egress endpoints and deletion protection on the synthesized JSON."""

from __future__ import annotations

import pytest

from environments import EnvironmentConfig
from modules.shared.protect import PROTECTED_TYPES
from tests.conftest import Synth


@pytest.mark.parametrize("env", ["dev", "staging", "prod", "local"])
def test_s3_gateway_endpoint_on_every_private_route_table(synth: Synth, environments: dict[str, EnvironmentConfig], env: str) -> None:
    stack = f"{env}-network"
    endpoints = synth.resources(stack, "aws_vpc_endpoint")
    (s3,) = [e for e in endpoints.values() if e["vpc_endpoint_type"] == "Gateway"]
    assert s3["service_name"] == f"com.amazonaws.{environments[env].region}.s3"
    private_tables = sorted(f"${{aws_route_table.{k}.id}}" for k in synth.resources(stack, "aws_route_table") if "private" in k)
    assert sorted(s3["route_table_ids"]) == private_tables and len(private_tables) == len(environments[env].network.availability_zones)


def test_interface_endpoints_only_where_configured(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    prod = environments["prod"]
    assert prod.network.interface_endpoints == ("ecr.api", "ecr.dkr", "sts", "logs")
    interface = [e for e in synth.resources("prod-network", "aws_vpc_endpoint").values() if e["vpc_endpoint_type"] == "Interface"]
    assert sorted(e["service_name"] for e in interface) == sorted(f"com.amazonaws.eu-west-1.{s}" for s in prod.network.interface_endpoints)
    private_subnets = sorted(f"${{aws_subnet.{k}.id}}" for k in synth.resources("prod-network", "aws_subnet") if "private" in k)
    (sg_id,) = [k for k, v in synth.resources("prod-network", "aws_security_group").items() if v["name"] == "prod-vpc-endpoints"]
    for e in interface:
        assert e["private_dns_enabled"] is True and sorted(e["subnet_ids"]) == private_subnets
        assert e["security_group_ids"] == [f"${{aws_security_group.{sg_id}.id}}"]
    (rule,) = [
        r
        for r in synth.resources("prod-network", "aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == f"${{aws_security_group.{sg_id}.id}}"
    ]
    assert (rule["from_port"], rule["to_port"], rule["cidr_ipv4"]) == (443, 443, prod.network.vpc_cidr)
    for env in ("dev", "staging", "local"):
        assert all(e["vpc_endpoint_type"] == "Gateway" for e in synth.resources(f"{env}-network", "aws_vpc_endpoint").values())


def _protected(synth: Synth, env: str) -> dict[str, bool]:
    found = {}
    for stack in (n for n in synth.stack_names if n.startswith(f"{env}-")):
        for type_ in PROTECTED_TYPES:
            for key, body in synth.resources(stack, type_).items():
                found[f"{stack}/{type_}.{key}"] = body.get("lifecycle", {}).get("prevent_destroy") is True
    return found


def test_prod_protects_its_state_bucket_keys_efs_and_addon_buckets(synth: Synth, environments: dict[str, EnvironmentConfig]) -> None:
    assert environments["prod"].protect is True
    found = _protected(synth, "prod")
    assert found and all(found.values()), found
    kinds = {k.split("/")[1].split(".")[0] for k in found}
    assert kinds == set(PROTECTED_TYPES)
    assert sum(k.startswith("prod-addons-aws/aws_s3_bucket") for k in found) >= 2  # Loki and Tempo
    assert sum("/aws_kms_key." in k for k in found) == 3  # state, flow logs, cluster


@pytest.mark.parametrize("env", ["dev", "staging", "local"])
def test_other_environments_are_not_protected(synth: Synth, environments: dict[str, EnvironmentConfig], env: str) -> None:
    assert environments[env].protect is False
    found = _protected(synth, env)
    assert found and not any(found.values())
