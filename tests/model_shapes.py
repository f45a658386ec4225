"""Strict checks of JSON request and response bodies against a botocore service model, shared by
the tests of the emulator's extensions (tests/emulator/test_emulator_eks.py, tests/emulator/test_emulator_efs.py).

botocore's own parser silently drops members it does not know, so the raw JSON is checked: no
member outside the shape, required members present, types and enums right.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.model import Shape


def shape_errors(value: Any, shape: Shape, path: str = "", *, required: bool = True) -> list[str]:
    """Deviations of a JSON body from a model shape. ``required=False`` for request bodies, whose
    required members may travel in the URI (botocore checked them before serializing)."""
    errors: list[str] = []
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path or '<root>'}: expected an object, got {type(value).__name__}"]
        body_members = {n: s for n, s in shape.members.items() if s.serialization.get("location") in (None, "body")}
        for key, item in value.items():
            name = next((n for n, s in body_members.items() if s.serialization.get("name", n) == key), None)
            if name is None:
                errors.append(f"{path}{key}: not a member of {shape.name}")
                continue
            errors += shape_errors(item, body_members[name], f"{path}{key}.", required=required)
        for member in shape.required_members if required else ():
            if member in body_members and body_members[member].serialization.get("name", member) not in value:
                errors.append(f"{path}{member}: required by {shape.name}, missing")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list"]
        for i, item in enumerate(value):
            errors += shape_errors(item, shape.member, f"{path}{i}.", required=required)
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map"]
        for k, v in value.items():
            errors += shape_errors(k, shape.key, f"{path}<key>.") + shape_errors(v, shape.value, f"{path}{k}.", required=required)
    elif kind == "string":
        if not isinstance(value, str):
            errors.append(f"{path}: expected a string, got {value!r}")
        elif shape.enum and value not in shape.enum:
            errors.append(f"{path}: {value!r} not in {shape.name} enum")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean, got {value!r}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer, got {value!r}")
    elif kind == "timestamp":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{path}: expected an epoch timestamp, got {value!r}")
    return errors


class ShapeRecorder:
    """Validates every request and raw response of the operations in ``checked`` (all when None:
    moto's own answers to the operations an extension leaves alone are not ours to check);
    remembers which operations ran."""

    def __init__(self, checked: set[str] | None = None) -> None:
        self.checked = checked
        self.operations: set[str] = set()
        self.errors: list[str] = []
        self.requests = 0

    def _checks(self, model: Any) -> bool:
        return self.checked is None or model.name in self.checked

    def before_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        """The serialized request as it goes on the wire (body JSON; URI labels already in the path)."""
        self.requests += 1
        if model.input_shape is None or not params.get("body") or not self._checks(model):
            return
        body = json.loads(params["body"])
        self.errors += [f"{model.name} request: {e}" for e in shape_errors(body, model.input_shape, required=False)]

    def after_call(self, http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
        self.operations.add(model.name)
        if http_response.status_code >= 300 or not self._checks(model):
            return
        body = json.loads(http_response.content or b"{}")
        if model.output_shape is None:
            return
        self.errors += [f"{model.name} response: {e}" for e in shape_errors(body, model.output_shape)]
