"""One clean line and a non-zero exit for every expected failure of a ``python -m tools.*`` command.

A user who runs a documented command in the wrong state (no synth yet, unknown environment, no AWS
credentials, Terraform failing, a missing venv, a git base that does not exist) needs to read what
to do, not a traceback. Entry points wrap their ``main`` with :func:`guarded`; code raises
:class:`UserError` with the message (and the command that fixes it). Anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import TypeVar

EXIT_USER_ERROR = 2

T = TypeVar("T")


class UserError(Exception):
    """An expected failure: ``str(exc)`` is the whole message a user sees."""

    def __init__(self, message: str, code: int = EXIT_USER_ERROR) -> None:
        super().__init__(message)
        self.code = code


def _message(prog: str, exc: BaseException) -> tuple[str, int] | None:
    if isinstance(exc, UserError):
        return str(exc), exc.code
    try:  # tools.plan_report also runs on a bare python3 without the venv (the report job)
        from environments.loader import ConfigError
    except ImportError:
        ConfigError = None  # type: ignore[assignment,misc]  # None marks "no venv": nothing to match below
    if ConfigError is not None and isinstance(exc, ConfigError):
        if len(exc.problems) == 1:
            return f"invalid environment configuration: {exc.problems[0]}", EXIT_USER_ERROR
        return str(exc), EXIT_USER_ERROR
    if isinstance(exc, subprocess.CalledProcessError):
        cmd = exc.cmd if isinstance(exc.cmd, str) else " ".join(str(c) for c in exc.cmd[:3])
        return f"`{cmd}` failed (exit {exc.returncode}); its output is above", 1
    if isinstance(exc, FileNotFoundError) and exc.filename in ("terraform", "git", "npm", "dot"):
        return f"{exc.filename} is not installed or not on PATH", EXIT_USER_ERROR
    try:
        from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError, TokenRetrievalError
    except ImportError:  # pragma: no cover - botocore is pinned in requirements.txt
        return None
    if isinstance(exc, NoCredentialsError | TokenRetrievalError):
        return "no AWS credentials: log in first (aws sso login / AWS_PROFILE=...), or use `make local-up` for the emulator", EXIT_USER_ERROR
    if isinstance(exc, NoRegionError):
        return "no AWS region: set AWS_REGION", EXIT_USER_ERROR
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        return f"AWS refused {exc.operation_name}: {err.get('Code')}: {err.get('Message')}", 1
    return None


def guarded(prog: str, main: Callable[[], int]) -> int:
    """Run ``main``; turn an expected failure into ``<prog>: <message>`` on stderr and its exit code."""
    try:
        return main()
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        known = _message(prog, exc)
        if known is None:
            raise
        message, code = known
        print(f"{prog}: {message}", file=sys.stderr)
        return code
