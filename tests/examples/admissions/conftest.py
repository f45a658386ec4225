"""The admission suite (``make test-examples``, i.e. ``pytest tests/examples/admissions``): every
shipped environment synthesized and rendered, the examples judged by nca, cel-python and
iam-simulate. A plain ``pytest`` run (``make test``) deselects it: it needs ``.venv-examples`` and
costs about a minute (docs/examples.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import missing_prerequisite
from tools.examples.checks.base import EXAMPLES_PYTHON
from tools.examples.checks.iam import IAM

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    asked = any(Path(arg.split("::")[0]).resolve().is_relative_to(HERE) for arg in config.args) or "examples" in (config.option.markexpr or "")
    if asked:
        return
    mine = [item for item in items if Path(str(item.path)).is_relative_to(HERE)]
    if mine:
        config.hook.pytest_deselected(items=mine)
        items[:] = [item for item in items if item not in mine]


@pytest.fixture(scope="session", autouse=True)
def judges() -> None:
    if not EXAMPLES_PYTHON.is_file():
        missing_prerequisite(f"{EXAMPLES_PYTHON} missing: make examples-venv")
    if not (IAM / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        missing_prerequisite("the IAM evaluator: npm ci --prefix tests/iam")
