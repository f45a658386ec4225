"""Evaluate CRD validation rules (``x-kubernetes-validations``) with cel-python, in ``.venv-examples``.

    .venv-examples/bin/python -m tools.examples.cel_eval < requests.json

stdin: a JSON list of ``{"rule": ..., "self": ...}``; stdout: a JSON list of ``{"result": true|false|null,
"error": str|null}``. Imports nothing of the project (it runs in the examples' own venv, where
cel-python 0.5.0 is pinned: requirements-examples.txt).

cel-python implements the CEL standard library. The few Kubernetes extension functions the
platform's CRDs call are added as Kubernetes documents them (https://kubernetes.io/docs/reference/
using-api/cel/, "Kubernetes strings library" and "Kubernetes regex library"): ``split`` (like Go's
``strings.Split``), ``find`` (the first match of a regex, or ``''``), ``findAll``, ``lowerAscii``.
A rule calling anything else comes back with an error, never as passed.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import celpy
from celpy import celtypes
from celpy.adapter import json_to_cel  # its defining module: the package re-exports it implicitly
from celpy.evaluation import CELFunction


def _split(text: Any, sep: Any) -> celtypes.ListType:
    return celtypes.ListType([celtypes.StringType(p) for p in str(text).split(str(sep))])


def _find(text: Any, pattern: Any) -> celtypes.StringType:
    match = re.search(str(pattern), str(text))
    return celtypes.StringType(match.group(0) if match else "")


def _find_all(text: Any, pattern: Any) -> celtypes.ListType:
    return celtypes.ListType([celtypes.StringType(m.group(0)) for m in re.finditer(str(pattern), str(text))])


def _lower_ascii(text: Any) -> celtypes.StringType:
    return celtypes.StringType(str(text).lower())


FUNCTIONS: dict[str, CELFunction] = {"split": _split, "find": _find, "findAll": _find_all, "lowerAscii": _lower_ascii}


def evaluate(rule: str, value: Any, env: celpy.Environment | None = None) -> dict[str, Any]:
    env = env or celpy.Environment()
    try:
        program = env.program(env.compile(rule), functions=FUNCTIONS)
        result = program.evaluate({"self": json_to_cel(value)})
    except Exception as exc:
        return {"result": None, "error": f"{type(exc).__name__}: {exc}"}
    if isinstance(result, celtypes.BoolType):
        return {"result": bool(result), "error": None}
    return {"result": None, "error": f"not a boolean: {result!r}"[:300]}


def main() -> int:
    env = celpy.Environment()
    requests = json.load(sys.stdin)
    json.dump([evaluate(r["rule"], r["self"], env) for r in requests], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
