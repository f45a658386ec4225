"""End-to-end fixtures: synthesized environments, an emulator per test (module), phase timings.

These tests run only when asked for (``make test-e2e``, i.e. ``pytest tests/e2e``): a plain
``pytest`` run deselects them, so ``make test`` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.e2e_support import TIMINGS, copy_stacks, local_environment, phase, wide_environment
from tools.emulator import Emulator
from tools.local import Workspace, synth
from tools.terraform import ROOT

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    asked = any(Path(arg.split("::")[0]).resolve().is_relative_to(HERE) for arg in config.args) or "e2e" in (config.option.markexpr or "")
    if asked:
        return
    e2e = [item for item in items if Path(str(item.path)).is_relative_to(HERE)]
    if e2e:
        config.hook.pytest_deselected(items=e2e)
        items[:] = [item for item in items if item not in e2e]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("e2e time per phase (seconds)")
    for name, seconds in sorted(TIMINGS.items()):
        terminalreporter.write_line(f"{name:32} {seconds:7.1f}")
    out = ROOT / ".work" / "e2e-timings.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(dict(sorted(TIMINGS.items())), indent=2) + "\n")


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, list[str]]]:
    """``synthesized(name)`` -> (outdir, AWS-only stacks in apply order), synthesized once per session."""
    cache: dict[str, tuple[Path, list[str]]] = {}

    def get(name: str) -> tuple[Path, list[str]]:
        if name not in cache:
            if name == "local":
                environments = local_environment(tmp_path_factory.mktemp("environments"))
            else:
                environments = wide_environment(tmp_path_factory.mktemp("environments"))
            outdir = tmp_path_factory.mktemp(f"{name}-synth")
            with phase(f"synth {name}"):
                cache[name] = (outdir, synth(environments, name, outdir))
        return cache[name]

    return get


@pytest.fixture
def make_workspace(tmp_path: Path, tf_env: dict[str, str]) -> Iterator[Callable[..., Workspace]]:
    """Starts an emulator on a free loopback port for this test and stops it afterwards."""
    emulators: list[Emulator] = []

    def make(outdir: Path, stacks: list[str], name: str = "ws") -> Workspace:
        emulator = Emulator(log_path=tmp_path / f"{name}-emulator.log").start()
        emulators.append(emulator)
        copy = copy_stacks(outdir, stacks, tmp_path / name)
        return Workspace(outdir=copy, stacks=list(stacks), emulator=emulator, logs=tmp_path / f"{name}-logs", base_env=tf_env)

    yield make
    for emulator in emulators:
        emulator.stop()
