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


def parse_environment(path: Path, display: str | None = None) -> EnvironmentConfig:
    """Parse one file. Raises ConfigError naming ``display`` (defaults to the path) and the field."""
    shown = display or str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{shown}: not valid YAML: {exc}".replace("\n", " ")]) from None
    except OSError as exc:
        raise ConfigError([f"{shown}: cannot read: {exc.strerror}"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{shown}: (top level): expected a mapping of settings, got {type(raw).__name__}"])
    try:
        return EnvironmentConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError([_format(shown, e) for e in exc.errors(include_url=False)]) from None


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
    for shown, env in loaded:
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
