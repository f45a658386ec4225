"""N valid, distinct environment files made from the shipped ones, for the synth benchmark.

Copy ``k`` of a shipped file keeps everything but what must differ between files
(environments/physical_names.py and environments/loader.py): its name gets a number, its account
ID (and so every ARN, IAM role, KMS alias and account-scoped bucket name in it) becomes an account
of its own, its state bucket gets the same number, and ``ci.after`` points at the copies of the
same round. The result is validated with the project's loader before it is used.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT = re.compile(r"\b\d{12}\b")


def _copy(text: str, round_: int, accounts: dict[str, str]) -> str:
    def account(match: re.Match[str]) -> str:
        return accounts.setdefault(f"{round_}:{match.group(0)}", f"{900000000000 + len(accounts):012d}")

    raw = yaml.safe_load(ACCOUNT.sub(account, text))
    raw["name"] = f"{raw['name']}{round_}"
    backend = raw.get("state_backend")
    if isinstance(backend, dict) and "bucket" in backend:
        backend["bucket"] = f"{backend['bucket']}-{round_}"
    ci = raw.get("ci")
    if isinstance(ci, dict) and ci.get("after"):
        ci["after"] = [f"{other}{round_}" for other in ci["after"]]
    return yaml.safe_dump(raw, sort_keys=False)


def write_copies(directory: Path, count: int, source: Path = ROOT / "environments") -> list[str]:
    """Write ``count`` environment files into ``directory`` (round by round over the shipped files,
    sorted by name); return their environment names, validated by the project's loader."""
    from environments import load_environments

    shipped = sorted(source.glob("*.yaml"))
    accounts: dict[str, str] = {}
    written = []
    for i in range(count):
        path = shipped[i % len(shipped)]
        round_ = i // len(shipped) + 1
        text = _copy(path.read_text(), round_, accounts)
        target = directory / f"{path.stem}{round_}.yaml"
        target.write_text(text)
        written.append(f"{path.stem}{round_}")
    # ci.after may name a file left out of a short set: keep only the copies that exist.
    for target in directory.glob("*.yaml"):
        raw = yaml.safe_load(target.read_text())
        if isinstance(raw.get("ci"), dict) and raw["ci"].get("after"):
            raw["ci"]["after"] = [o for o in raw["ci"]["after"] if o in written]
            target.write_text(yaml.safe_dump(raw, sort_keys=False))
    load_environments(directory)  # raises ConfigError naming file and field if a copy is invalid
    return written
