"""The building blocks every section of an environment file shares: the strict base model and
validated string types. Sections in their own files (``teams.py``) import these, and
``schema.py`` composes the sections, so no section imports ``schema.py``."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]{1,512}$")
_K8S_NAMESPACE = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_K8S_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")


class Strict(BaseModel):
    """Base of every config model: immutable, and a misspelt key is an error, never ignored."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _network(value: str) -> str:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 network in CIDR form with no host bits set ({exc})") from None
    return str(net)


Cidr = Annotated[str, AfterValidator(_network)]
K8sName = Annotated[str, Field(pattern=_K8S_NAMESPACE)]


def _role_arn(value: str) -> str:
    if not _ROLE_ARN.match(value):
        raise ValueError(f"{value!r} is not an IAM role ARN (arn:aws:iam::<12-digit account>:role/<name>)")
    return value


RoleArn = Annotated[str, AfterValidator(_role_arn)]


def _policy_arn(value: str) -> str:
    if not _POLICY_ARN.match(value):
        raise ValueError(f"{value!r} is not an IAM policy ARN (arn:aws:iam::aws:policy/<name> or arn:aws:iam::<account>:policy/<name>)")
    return value


PolicyArn = Annotated[str, AfterValidator(_policy_arn)]


def _label_key(value: str) -> str:
    if not _K8S_LABEL_KEY.match(value):
        raise ValueError(f"{value!r} is not a valid Kubernetes label key")
    return value


LabelKey = Annotated[str, AfterValidator(_label_key)]
LabelValue = Annotated[str, Field(pattern=r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")]


class Taint(Strict):
    """A Kubernetes taint placed on every node of a group (node groups, Karpenter node pools)."""

    key: LabelKey
    value: LabelValue = ""
    effect: Literal["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]
