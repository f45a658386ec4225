"""Fixtures of the workflow harness: a checkout of this working tree, a fresh interpreter with only
what a job installs, a GitHub API that records what a job posts, artifacts as folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.delivery.workflow_harness import ROOT, Run

FAKE_GH = r"""#!/usr/bin/env bash
# GitHub's REST API as `gh api` calls it, recorded: one line of arguments per call in $GH_CALLS;
# a body given as `-F body=@file` is kept beside it. Listing comments answers an empty list.
# References ("Update a reference" PATCH fails on a missing one, "Create a reference" POST) act on
# the git repository $GH_ORIGIN, as GitHub does on the repository.
set -e
echo "$*" >> "$GH_CALLS"
sha=""; ref=""
for arg in "$@"; do case "$arg" in sha=*) sha="${arg#sha=}";; ref=*) ref="${arg#ref=}";; esac; done
if [ "$1 $2 $3" = "api --method PATCH" ] && [[ "$4" == repos/*/git/refs/* ]]; then
  ref="refs/${4#repos/*/*/git/refs/}"
  git -C "$GH_ORIGIN" rev-parse --verify --quiet "$ref" > /dev/null || { echo '{"message":"Reference does not exist"}'; exit 1; }
  git -C "$GH_ORIGIN" update-ref "$ref" "$sha"; exit 0
fi
if [ "$1 $2 $3" = "api --method POST" ] && [[ "$4" == repos/*/git/refs ]]; then
  git -C "$GH_ORIGIN" update-ref "$ref" "$sha" ""; exit 0
fi
for arg in "$@"; do
  case "$arg" in body=@*) cp "${arg#body=@}" "$GH_CALLS.body.$(wc -l < "$GH_CALLS")";; esac
done
"""


def checkout(dest: Path) -> Path:
    """The working tree's tracked and new (not ignored) files, as actions/checkout lays a commit."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    for name in filter(None, files.split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def fresh_venv(where: Path) -> Path:
    """A venv with nothing installed (pip only): the runner's bare interpreter. Returns its bin/."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    return where / "bin"


def fake_gh(bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(0o755)


def no_op(_: dict[str, Any], __: Run) -> None:
    return None


def download(artifacts: Path) -> Any:
    """actions/download-artifact: ``name`` or every ``pattern`` match, merged into ``path``."""

    def handler(with_: dict[str, Any], run: Run) -> None:
        import fnmatch

        target = run.workdir / with_.get("path", ".")
        for art in sorted(artifacts.iterdir()):
            if art.name == with_.get("name") or fnmatch.fnmatch(art.name, with_.get("pattern", "\0")):
                shutil.copytree(art, target if with_.get("merge-multiple") == "true" or "name" in with_ else target / art.name, dirs_exist_ok=True)

    return handler


def upload(artifacts: Path) -> Any:
    """actions/upload-artifact: the files ``path`` names (directories, ``!`` exclusions) under
    ``name``, relative to the least common ancestor of the paths, as the action stores them."""

    def handler(with_: dict[str, Any], run: Run) -> None:
        import fnmatch
        import os

        lines = [p.strip() for p in with_["path"].splitlines() if p.strip()]
        include = [run.workdir / p.rstrip("/") for p in lines if not p.startswith("!")]
        exclude = [p[1:].rstrip("/") for p in lines if p.startswith("!")]
        root = Path(os.path.commonpath(include)) if len(include) > 1 else include[0]
        dest = artifacts / with_["name"]
        found = 0
        for base in include:
            for f in sorted(p for p in base.rglob("*") if p.is_file()):
                rel = f.relative_to(run.workdir).as_posix()
                if any(
                    fnmatch.fnmatch(rel, x) or fnmatch.fnmatch(rel, x + "/*") or ("/.terraform/" in f"/{rel}" and x.endswith(".terraform")) for x in exclude
                ):
                    continue
                out = dest / f.relative_to(root)
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(f, out)
                found += 1
        if not found and with_.get("if-no-files-found") == "error":
            raise AssertionError(f"upload-artifact {with_['name']}: no files")

    return handler


def charts_pulled(work: Path) -> None:
    """What ``make charts`` leaves in a checkout (the pinned archives in ``.work/charts``, Helm in
    ``.work/tools``), from this machine's copies (``make charts`` filled them before the tests), so
    the job's own ``make charts`` step finds every archive present and needs no network."""
    from catalog.chart_archives import find_chart, search_dirs
    from tools.render.charts import pinned_charts

    (work / ".work" / "charts").mkdir(parents=True, exist_ok=True)
    if (ROOT / ".work" / "tools").exists() and not (work / ".work" / "tools").exists():
        (work / ".work" / "tools").symlink_to((ROOT / ".work" / "tools").resolve())
    for chart in pinned_charts():
        shutil.copy2(find_chart(chart.name, chart.version, search_dirs()), work / ".work" / "charts" / chart.filename)


def venv_made(work: Path) -> None:
    """What the job's ``make venv`` leaves: ``.venv`` built from this checkout's requirements. The
    checkout's ``.venv`` is this test run's interpreter (its packages are the pinned ones the tests
    run with), marked newer than the copied requirements files, as a venv built after the checkout is."""
    import os

    (work / ".venv").symlink_to(Path(sys.prefix))
    # Both stamps (`make runtime-venv`'s .runtime, `make venv`'s .installed) must be newer than the files.
    markers = [m for m in (Path(sys.prefix) / ".runtime", Path(sys.prefix) / ".installed") if m.is_file()]
    if markers:
        before = min(m.stat().st_mtime for m in markers) - 1
        for requirements in work.glob("requirements*.txt"):
            os.utime(requirements, (before, before))
