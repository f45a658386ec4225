"""`make bootstrap` flips `state_backend.state_stack_in_s3` in the environment file by one line,
keeping comments, and proves the result by parsing the file again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from environments import ENVIRONMENTS_DIR, parse_environment
from tools.cli import UserError
from tools.delivery.bootstrap import set_state_stack_in_s3


def test_adds_the_flag_to_a_file_without_it(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    shutil.copy(ENVIRONMENTS_DIR / "dev.yaml", path)
    before = path.read_text()
    assert "state_stack_in_s3" not in before
    set_state_stack_in_s3(path)
    after = path.read_text()
    assert parse_environment(path).state_backend.state_stack_in_s3 is True  # type: ignore[union-attr]
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == ["  state_stack_in_s3: true"]
    assert after.count("#") == before.count("#")


def test_changes_an_existing_false_and_keeps_its_comment(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    text = (
        (ENVIRONMENTS_DIR / "dev.yaml")
        .read_text()
        .replace("  region: eu-west-1\n\ntags:", "  region: eu-west-1\n  state_stack_in_s3: false   # until bootstrapped\n\ntags:")
    )
    path.write_text(text)
    assert parse_environment(path).state_backend.state_stack_in_s3 is False  # type: ignore[union-attr]
    set_state_stack_in_s3(path)
    assert "  state_stack_in_s3: true   # until bootstrapped\n" in path.read_text()
    assert parse_environment(path).state_backend.state_stack_in_s3 is True  # type: ignore[union-attr]


def test_a_flow_mapping_is_left_alone_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "dev.yaml"
    text = (
        (ENVIRONMENTS_DIR / "dev.yaml")
        .read_text()
        .replace(
            "state_backend:\n  bucket: acme-platform-dev-tfstate\n  region: eu-west-1\n",
            "state_backend: {bucket: acme-platform-dev-tfstate, region: eu-west-1}\n",
        )
    )
    path.write_text(text)
    with pytest.raises(UserError, match="state_backend: is not a block mapping here; set state_stack_in_s3: true by hand"):
        set_state_stack_in_s3(path)
    assert path.read_text() == text
