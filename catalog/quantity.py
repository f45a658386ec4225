"""Kubernetes resource quantities (``500m``, ``2Gi``, ``1.5``): the API's own suffixes, as numbers
and as a validated config field (k8s.io/apimachinery/pkg/api/resource, "Quantity")."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator

_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
_SUFFIX = {
    None: Decimal(1), "m": Decimal("0.001"),
    "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15), "E": Decimal(10**18),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40), "Pi": Decimal(2**50), "Ei": Decimal(2**60),
}  # fmt: skip


def quantity(value: str) -> Decimal:
    """The number a Kubernetes quantity stands for (``500m`` -> 0.5, ``2Gi`` -> 2147483648)."""
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a Kubernetes quantity (like 500m, 2, 512Mi, 4Gi)")
    try:
        return Decimal(match.group(1)) * _SUFFIX[match.group(2)]
    except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
        raise ValueError(f"{value!r} is not a Kubernetes quantity") from None


def _quantity_string(value: str | int) -> str:
    text = str(value)
    quantity(text)
    return text


Quantity = Annotated[str, AfterValidator(_quantity_string)]
