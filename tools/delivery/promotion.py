"""Promotion that gates: which commit each environment last applied, and whether an environment may
deploy a commit.

Record: after an apply job applied every stack of an environment (nothing deferred), deploy.yml's
``record`` job points the tag ``deployed/<env>`` at the commit it applied (GitHub's REST API,
"Create a reference" / "Update a reference"). The deploy's checkouts fetch every tag
(actions/checkout ``fetch-depth: 0``), so the records are read here from git.

An environment is **up to date** with a commit when it has a record and nothing that changed
between the recorded commit and that commit affects it (tools/delivery/changes.py ``affected``:
its own file by the ``name`` inside it, or shared code). Then:

* the gate: an environment deploys a commit only when every environment in its ``ci.after`` is
  up to date with that commit;
* the retry: a push deploys the environments it affects **and** every recorded environment that
  is behind (a failed, cancelled, rejected or deferred deploy is not recorded, so the next push
  deploys it again); ``workflow_dispatch`` without an environment deploys exactly the behind ones.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from environments import load_environments
from tools.cli import UserError
from tools.delivery.changes import REPO, _name_in_file, affected, deployable_environments

TAG_PREFIX = "deployed/"


def _git(*args: str, repo: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo or REPO, capture_output=True, text=True, check=False)


def recorded(env_name: str) -> str | None:
    """The commit ``env_name`` last applied in full, or None."""
    proc = _git("rev-parse", "--verify", "--quiet", f"refs/tags/{TAG_PREFIX}{env_name}^{{commit}}")
    return proc.stdout.strip() or None


def _commit(ref: str) -> str:
    proc = _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    if proc.returncode:
        raise UserError(f"no commit {ref!r} in {REPO} (a shallow clone needs `fetch-depth: 0`)")
    return proc.stdout.strip()


def behind(env_name: str, commit: str) -> str | None:
    """Why ``env_name`` is not up to date with ``commit``, or None when it is."""
    record = recorded(env_name)
    if record is None:
        return "no record: never deployed in full by CI (deploy it: workflow_dispatch)"
    proc = _git("diff", "--name-only", record, _commit(commit))
    if proc.returncode:
        raise UserError(f"cannot compare the record of {env_name} ({record[:12]}) with {commit}: {proc.stderr.strip()}")
    changed = [line for line in proc.stdout.splitlines() if line]
    # A deleted environment file is named by the recorded commit's copy.
    if affected(changed, [env_name], lambda p: _name_in_file(p, record)):
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        return f"applied {record[:12]}; changes since then affect it ({shown})"
    return None


def gate(env_name: str, commit: str) -> list[tuple[str, str | None]]:
    """Each environment ``env_name`` deploys after, with why it holds the gate closed (None: open)."""
    env = next(iter(load_environments(REPO / "environments", only=[env_name])))
    if env.ci is None:
        raise UserError(f"{env_name}: no ci: section in its environment file")
    return [(other, behind(other, commit)) for other in env.ci.after]


def gate_markdown(env_name: str, commit: str) -> tuple[bool, str]:
    commit = _commit(commit)
    found = gate(env_name, commit)
    is_open = all(reason is None for _, reason in found)
    lines = [f"### Promotion gate of {env_name} at `{commit[:12]}`: {'open' if is_open else 'closed'}", ""]
    if not found:
        lines.append(f"{env_name} comes after no environment (`ci.after` is empty).")
    else:
        lines += ["| comes after | last applied | state |", "|---|---|---|"]
        for other, reason in found:
            record = recorded(other)
            lines.append(f"| {other} | `{record[:12] if record else '-'}` | {'up to date' if reason is None else reason} |")
    if not is_open:
        lines += [
            "",
            f"Not deployed: {env_name} waits until those environments applied this change; the next push to the branch, or `workflow_dispatch`, retries it.",
        ]
    return is_open, "\n".join(lines) + "\n"


def pending(commit: str = "HEAD") -> list[str]:
    """Recorded environments that are behind ``commit`` (the ones never recorded are left to the
    change that affects them, or to a dispatch)."""
    return [e for e in deployable_environments() if recorded(e) is not None and behind(e, commit) is not None]
