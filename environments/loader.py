"""Load every ``environments/*.yaml`` into validated, frozen models, or fail naming file and field.

Validation is all-or-nothing: every file is checked and every problem reported before the caller
builds a single construct, so a bad file never leaves a half-written ``cdktf.out``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from environments.schema import EnvironmentConfig

ENVIRONMENTS_DIR = Path(__file__).resolve().parent

# A validator that knows a deeper path than the model it runs on starts its message with
# "<relative.path>: "; the loader moves that prefix into the field path.
_RELATIVE_PATH = re.compile(r"^(?:Value error, )?([A-Za-z_][\w]*(?:\.[\w-]+)*): (.*)$", re.S)

# Hooks that check what the schema cannot know on its own (the add-on registry adds one), each
# returning a list of (field path, message). Kept as a list so the schema imports no add-on code.
ExtraCheck = Callable[[EnvironmentConfig], Iterable[tuple[str, str]]]


class ConfigError(Exception):
    """One or more environment files are invalid. ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid environment configuration:\n" + "\n".join(f"  {p}" for p in problems))


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects a key given twice in one mapping (PyYAML keeps the last silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _format(file: str, error: Any) -> str:  # pydantic's ErrorDetails (a TypedDict)
    loc = [str(part) for part in error["loc"]]
    message = error["msg"]
    match = _RELATIVE_PATH.match(message)
    if error["type"] == "value_error" and match:
        loc.append(match.group(1))
        message = match.group(2)
    elif message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    field = ".".join(loc) or "(top level)"
    if error["type"] not in ("value_error", "missing"):
        message = f"{message}; got {error['input']!r}"
    return f"{file}: {field}: {message}"


def _yaml_problem(shown: str, text: str, exc: yaml.YAMLError) -> str:
    """``<file>:<line>:<column>: not valid YAML: <problem>``, then the line and a caret under the column."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = " ".join(str(part) for part in (getattr(exc, "problem", None), getattr(exc, "context", None)) if part) or str(exc)
    if mark is None:
        return f"{shown}: not valid YAML: {problem}"
    lines = text.splitlines() or [""]
    row = min(mark.line, len(lines) - 1)
    column = mark.column if row == mark.line else len(lines[row])
    context = getattr(exc, "context_mark", None)
    started = f" (started at line {context.line + 1})" if context is not None and context.line != mark.line else ""
    return f"{shown}:{row + 1}:{column + 1}: not valid YAML: {problem}{started}\n    {lines[row]}\n    {' ' * column}^"


def _unquoted(text: str, loc: tuple[Any, ...]) -> tuple[str, int] | None:
    """The scalar exactly as written at ``loc`` and its line, when it was written without quotes."""
    try:
        node: Any = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            return None
    if isinstance(node, yaml.ScalarNode) and node.style is None:
        return node.value, node.start_mark.line + 1
    return None


def _number_for_text(shown: str, text: str, error: Any) -> str | None:
    """A number where the schema wants text (``version: 1.30`` is the number 1.3 to YAML): say to
    quote it, showing the value as written."""
    if isinstance(error["input"], bool) or not isinstance(error["input"], int | float):
        return None
    # text expected: a string field, or a choice among strings (pydantic's ctx lists them quoted)
    if not (error["type"] == "string_type" or (error["type"] == "literal_error" and str(error.get("ctx", {}).get("expected", "")).startswith("'"))):
        return None
    written = _unquoted(text, tuple(error["loc"]))
    if written is None:
        return None
    value, line = written
    field = ".".join(str(part) for part in error["loc"])
    key = str(error["loc"][-1])
    number = "a number" if repr(error["input"]) == value else f"the number {error['input']!r}"
    return f'{shown}: {field}: write it in quotes, {key}: "{value}" (line {line}: unquoted, YAML reads {value} as {number})'


def parse_environment(path: Path, display: str | None = None) -> EnvironmentConfig:
    """Parse one file. Raises ConfigError naming ``display`` (defaults to the path) and the field."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ConfigError([_yaml_problem(shown, text, exc)]) from None
    except OSError as exc:
        raise ConfigError([f"{shown}: cannot read: {exc.strerror}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{shown}: (top level): expected a mapping of settings, got {type(raw).__name__}"])
    try:
        return EnvironmentConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_number_for_text(shown, text, e) or _format(shown, e) for e in exc.errors(include_url=False)]) from None


def load_environments(
    directory: Path = ENVIRONMENTS_DIR,
    *,
    only: Iterable[str] | None = None,
    extra_checks: Iterable[ExtraCheck] = (),
) -> list[EnvironmentConfig]:
    """Every ``*.yaml`` in ``directory``, validated, sorted by name.

    ``only`` limits the result to the named environments (all files are still validated, so a
    broken file elsewhere is never silently skipped). Raises ConfigError listing every problem.
    """
    problems: list[str] = []
    loaded: list[tuple[str, EnvironmentConfig]] = []
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError([f"{directory}: no environment files (*.yaml) found"])
    for path in files:
        shown = _display(path)
        try:
            env = parse_environment(path, shown)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        for check in extra_checks:
            problems.extend(f"{shown}: {field}: {message}" for field, message in check(env))
        loaded.append((shown, env))
    first_file: dict[str, str] = {}
    # A name two files claim is blamed on the copy: the file not named after it, else the newer one.
    mtimes = {_display(p): p.stat().st_mtime for p in files}
    for shown, env in sorted(loaded, key=lambda item: (Path(item[0]).stem != item[1].name, mtimes.get(item[0], 0.0))):
        if env.name in first_file:
            problems.append(f"{shown}: name: environment name {env.name!r} is already used by {first_file[env.name]}")
        else:
            first_file[env.name] = shown
    from environments.ci import promotion_problems
    from environments.physical_names import problems as name_problems

    problems.extend(name_problems([(shown, env) for shown, env in loaded if first_file.get(env.name) == shown]))

    problems.extend(promotion_problems({env.name: (shown, env) for shown, env in loaded if first_file.get(env.name) == shown}))
    environments = sorted((env for _, env in loaded), key=lambda e: e.name)
    if only is not None:
        wanted = list(only)
        unknown = [n for n in wanted if n not in first_file]
        if unknown:
            problems.append(f"unknown environment {unknown[0]!r}; known: {', '.join(sorted(first_file))}")
        environments = [e for e in environments if e.name in wanted]
    if problems:
        raise ConfigError(problems)
    return environments


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
