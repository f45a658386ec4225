"""Run a workflow job's own steps here, as a GitHub runner would: every ``run:`` script with
``bash -e`` (GitHub's default shell on Linux), the workflow, job and step ``env:`` with their
``${{ }}`` expressions evaluated, each step's ``if:``, ``$GITHUB_OUTPUT``, ``$GITHUB_ENV`` and
``$GITHUB_STEP_SUMMARY``. ``uses:`` steps are done by the caller's handlers (a checkout is a
directory, an artifact a folder), since their actions are not code of this project.

Expressions: the subset the workflows use (contexts, ``==``/``!=``, ``&&``/``||``/``!``, status
functions, ``fromJSON``/``toJSON``/``hashFiles``, the ``runner`` context's ``os`` and ``temp``), per GitHub's "Evaluate expressions in workflows and actions":
https://docs.github.com/actions/reference/workflows-and-actions/expressions
Default shell: https://docs.github.com/actions/reference/workflows-and-actions/workflow-syntax#defaultsrunshell
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
Handler = Callable[[dict[str, Any], "Run"], None]


def workflow(name: str, root: Path = ROOT) -> dict[Any, Any]:
    data = yaml.safe_load((root / ".github" / "workflows" / name).read_text())
    if True in data:  # PyYAML reads the key `on` as True (YAML 1.1)
        data["on"] = data.pop(True)
    return data


class Ctx(dict):  # type: ignore[type-arg]
    """A context object: attribute access, and null ('') for what is not there, as GitHub does."""

    def __getattr__(self, name: str) -> Any:
        # A missing property is null: an empty object here, so a path through it stays null.
        return wrap(self.get(name.replace("__dash__", "-"), Ctx()))


def wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return Ctx({k: wrap(v) for k, v in value.items()})
    if isinstance(value, list):
        return [wrap(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_TOKEN = re.compile(r"'(?:[^']|'')*'|&&|\|\||!=|==|!|[A-Za-z_][\w.-]*|\S")


def evaluate(expr: str, context: Mapping[str, Any], status: str) -> Any:
    """One expression (without ``${{ }}``) against ``context``; ``status`` is the job's so far."""
    out = []
    for tok in _TOKEN.findall(expr):
        if tok.startswith("'"):
            out.append(repr(tok[1:-1].replace("''", "'")))
        elif tok in ("&&", "||"):
            out.append(" and " if tok == "&&" else " or ")
        elif tok == "!":
            out.append(" not ")
        elif tok in ("true", "false", "null"):
            out.append({"true": "True", "false": "False", "null": "''"}[tok])
        elif re.match(r"[A-Za-z_]", tok):
            head, *rest = tok.split(".")
            out.append(".".join([head, *(p.replace("-", "__dash__") for p in rest)]))
        else:
            out.append(tok)
    names = {k: wrap(v) for k, v in context.items()}
    names |= {
        "success": lambda: status == "success",
        "failure": lambda: status == "failure",
        "cancelled": lambda: False,
        "always": lambda: True,
        "fromJSON": lambda s: wrap(json.loads(s)),
        "toJSON": lambda v: json.dumps(_plain(v)),
        "contains": lambda hay, needle: needle in hay,
    }
    return eval("".join(out), {"__builtins__": {}}, names)  # the repository's own workflow files only


def substitute(text: str, context: Mapping[str, Any], status: str = "success") -> str:
    def one(m: re.Match[str]) -> str:
        value = evaluate(m.group(1), context, status)
        if isinstance(value, dict) and not value:
            return ""
        return (
            json.dumps(_plain(value))
            if isinstance(value, (dict, list))
            else ("" if value is None else str(value).lower() if isinstance(value, bool) else str(value))
        )

    return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", one, text)


@dataclass
class Run:
    """One job's run: where it works, what it produced."""

    workdir: Path
    env: dict[str, str]
    context: dict[str, Any]
    status: str = "success"
    outcomes: dict[str, str] = field(default_factory=dict)
    logs: list[str] = field(default_factory=list)
    summary: Path = Path()
    outputs: dict[str, str] = field(default_factory=dict)


def run_job(
    workflow_name: str,
    job: str,
    *,
    workdir: Path,
    env: Mapping[str, str],
    context: Mapping[str, Any] | None = None,
    handlers: Mapping[str, Handler] | None = None,
    replaced: Mapping[str, Handler] | None = None,
    timeout: int = 900,
    temp: Path | None = None,
) -> Run:
    """Every step of ``job`` in order; a failed step fails the job and later steps run only when
    their ``if:`` says so (GitHub's ``success()`` default). ``env`` is the runner's environment
    (PATH decides which interpreter the job's ``python3`` is). ``replaced`` names the ``run:``
    steps (by ``name:``) a test does by other means, said in its docstring."""
    wf = workflow(workflow_name)
    spec = wf["jobs"][job]
    temp = (temp or workdir.parent) / f".runner-{job}"
    temp.mkdir(parents=True, exist_ok=True)
    ctx: dict[str, Any] = {
        "github": {},
        "matrix": {},
        "inputs": {},
        "needs": {},
        "vars": {},
        "runner": {"os": "Linux", "temp": str(temp)},
        **(context or {}),
        "steps": {},
        "hashFiles": lambda *patterns: hash_files(workdir, *patterns),
    }
    run = Run(workdir=workdir, env=dict(env), context=ctx, summary=temp / "summary.md")
    run.summary.write_text("")
    condition = str(spec.get("if", "success()")).strip()
    condition = condition[3:-2].strip() if condition.startswith("${{") else condition
    if not evaluate(condition if re.search(r"\b(success|failure|always|cancelled)\(\)", condition) else f"success() && ({condition})", ctx, "success"):
        run.status = "skipped"
        return run
    ctx["env"] = {}
    for scope in (wf.get("env") or {}, spec.get("env") or {}):
        for key, value in scope.items():
            ctx["env"][key] = substitute(str(value), ctx)
    for i, step in enumerate(spec["steps"]):
        sid = step.get("id") or f"step{i}"
        condition = str(step.get("if", "success()")).strip()
        condition = condition[3:-2].strip() if condition.startswith("${{") else condition
        if not re.search(r"\b(success|failure|always|cancelled)\(\)", condition):
            condition = f"success() && ({condition})"
        if not evaluate(condition, ctx, run.status):
            run.outcomes[sid] = "skipped"
            continue
        step_env = {k: substitute(str(v), ctx, run.status) for k, v in (step.get("env") or {}).items()}
        if "uses" in step:
            action = step["uses"].split("@", 1)[0]
            handler = (handlers or {}).get(action)
            if handler is None:
                raise AssertionError(f"{workflow_name} {job}: no handler for {action}")
            with_ = {k: substitute(str(v), ctx, run.status) for k, v in (step.get("with") or {}).items()}
            handler(with_, run)
            run.outcomes[sid] = "success"
            continue
        if step.get("name") in (replaced or {}):
            (replaced or {})[step["name"]](step_env, run)
            run.outcomes[sid] = "replaced"
            continue
        output = temp / f"output-{i}"
        github_env = temp / f"env-{i}"
        output.write_text("")
        github_env.write_text("")
        merged = {**run.env, **ctx["env"], **step_env, "GITHUB_OUTPUT": str(output), "GITHUB_ENV": str(github_env), "GITHUB_STEP_SUMMARY": str(run.summary)}
        script = substitute(step["run"], ctx, run.status)
        proc = subprocess.run(["bash", "-e", "-c", script], cwd=workdir, env=merged, capture_output=True, text=True, timeout=timeout, check=False)
        run.logs.append(f"--- {job}/{step.get('name', sid)} exit {proc.returncode}\n{proc.stdout}{proc.stderr}")
        outs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
        ctx["steps"][sid] = {"outputs": outs, "outcome": "success" if proc.returncode == 0 else "failure"}
        for line in github_env.read_text().splitlines():
            if "=" in line:
                key, value = line.split("=", 1)
                run.env[key] = value
        run.outcomes[sid] = ctx["steps"][sid]["outcome"]
        if proc.returncode:
            run.status = "failure"
    for key, value in (spec.get("outputs") or {}).items():
        run.outputs[key] = substitute(str(value), ctx, run.status)
    return run


def hash_files(workdir: Path, *patterns: str) -> str:
    """GitHub's ``hashFiles``: the SHA-256 of the matched files' own SHA-256 hashes, in path order,
    or "" when nothing matches (https://docs.github.com/actions/reference/workflows-and-actions/expressions#hashfiles)."""
    import hashlib

    files = sorted({p for pattern in patterns for p in workdir.glob(pattern) if p.is_file()})
    if not files:
        return ""
    digest = hashlib.sha256()
    for path in files:
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def log(run: Run) -> str:
    return "\n".join(run.logs)


def runner_env(python_bin: Path, **extra: str) -> dict[str, str]:
    """The runner's environment with ``python_bin`` (a venv's bin/) first on PATH, as
    actions/setup-python puts its interpreter; nothing of this test process's venv leaks in."""
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "TMPDIR", "TF_PLUGIN_CACHE_DIR", "TF_CLI_CONFIG_FILE")}
    path = [str(python_bin), *(p for p in os.environ.get("PATH", "").split(os.pathsep) if "/.venv" not in p)]
    return {**keep, "PATH": os.pathsep.join(path), "CI": "true", "GITHUB_ACTIONS": "true", **extra}
