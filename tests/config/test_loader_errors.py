"""The loader's error messages, case by case: what a user sees for each kind of broken file.
(Written from the mutants mutmut found surviving in environments/loader.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from environments import ConfigError, load_environments, parse_environment
from tests.config.test_config import problems_for


def problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_environment(path)
    return caught.value.problems


def test_config_error_lists_every_problem_indented_under_one_line() -> None:
    error = ConfigError(["a.yaml: x: bad", "b.yaml: y: worse"])
    assert str(error) == "invalid environment configuration:\n  a.yaml: x: bad\n  b.yaml: y: worse"
    assert error.problems == ["a.yaml: x: bad", "b.yaml: y: worse"]


def test_duplicate_key_names_its_line_also_when_nested(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text("name: dev\nnetwork:\n  vpc_cidr: 10.0.0.0/16\n  vpc_cidr: 10.1.0.0/16\n")
    [problem] = problems(path)
    assert problem.startswith(f"{path}:4:3: ") and "duplicate key 'vpc_cidr'" in problem
    nested = tmp_path / "nested.yaml"
    nested.write_text("a:\n  - {b: 1, b: 2}\n")
    [problem] = problems(nested)
    assert problem.startswith(f"{nested}:2:") and "duplicate key 'b'" in problem


def test_a_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text("- name: dev\n")
    assert problems(path) == [f"{path}: (top level): expected a mapping of settings, got list"]


def test_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.mkdir()
    [problem] = problems(path)
    assert problem == f"{path}: cannot read: Is a directory"


def test_an_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_environments(tmp_path)
    assert caught.value.problems == [f"{tmp_path}: no environment files (*.yaml) found"]


def test_messages_carry_no_pydantic_prefixes_or_links(tmp_path: Path) -> None:
    # A value error without a relative path (the duplicate log type) and a missing field.
    found = problems_for(tmp_path, lambda d: d["cluster"].update(log_types=["api", "api"]))
    assert found == ["environments/dev.yaml: cluster.log_types: duplicate entry in ['api', 'api']"]
    found = problems_for(tmp_path, lambda d: d.pop("region"))
    assert found == ["environments/dev.yaml: region: Field required"]
    found = problems_for(tmp_path, lambda d: d.update(region="nowhere"))
    assert found == ["environments/dev.yaml: region: 'nowhere' is not an AWS region name (like eu-west-1)"]
    assert not any("errors.pydantic.dev" in p or "Value error" in p for p in problems_for(tmp_path, lambda d: d.update(account_id="x")))


def test_a_top_level_value_error_is_shown_as_top_level(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump("just a string"))
    assert problems(path) == [f"{path}: (top level): expected a mapping of settings, got str"]


def test_yaml_syntax_error_shows_file_line_column_the_line_and_a_caret(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    path.write_text("name: dev\nnetwork: [unclosed\nregion: x\n")
    [problem] = problems(path)
    first, source, caret = problem.splitlines()
    assert first.startswith(f"{path}:") and ": not valid YAML: " in first and "<unicode string>" not in first
    line, column = (int(n) for n in first.removeprefix(f"{path}:").split(":")[:2])
    assert source.strip() == path.read_text().splitlines()[line - 1].strip()
    assert caret.strip() == "^" and len(caret) - len(source) == column - len(path.read_text().splitlines()[line - 1])
