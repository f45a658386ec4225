"""What cdktf's synth-time validation checks, done once per synth over the written JSON, for
``main.py``'s ``App(skip_validation=True)`` (the ``validation`` speed-up, modules/_synth_speedups.py).

cdktf 0.21 validates each stack as it synthesizes it (lib/synthesize/synthesizer.js,
``runAllValidations``), and the validations it adds are exactly two kinds (every
``addValidation`` in its lib/):

- ``ValidateProviderPresence`` (lib/validations/validate-provider-presence.js), on every stack:
  each provider that a resource or data source belongs to has a provider construct in the stack.
  Here: each resource and data type's provider has an entry under ``provider`` in the stack's JSON.
  A type's provider is the first word of its name (Terraform: "By default, Terraform interprets
  the initial word in the resource type name (separated by underscores) as the local name of a
  provider", developer.hashicorp.com/terraform/language/resources/syntax); the built-in
  ``terraform`` provider needs no block, as cdktf skips it.
- ``ValidateTerraformVersion`` (lib/validations/validate-terraform-version.js): ``terraform version``
  (``TERRAFORM_BINARY_NAME`` or ``terraform``) must run and its first ``x.y.z`` satisfy ``>=1.5`` for a
  stack with ``moved`` blocks (lib/synthesize/synthesizer.js) or ``import`` blocks
  (lib/terraform-resource.js, lib/importable-resource.js), ``>=1.4`` for ``terraform_data``
  (lib/terraform-data-resource.js), ``>=1.1`` for a ``cloud`` block (lib/backends/cloud-backend.js).
  cdktf runs ``terraform version`` once per such stack, on the synth's path; here it runs once per
  synth, in the background from the start (:class:`TerraformVersion`), and only a stack that needs
  it makes its result count: without such a stack, no Terraform is needed, as with cdktf.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

SEMVER = re.compile(r"\d+\.\d+\.\d+")  # cdktf's semverRegex in validate-binary-version.js


class TerraformVersion:
    """``terraform version``, started when constructed and read when first asked."""

    def __init__(self) -> None:
        self.command = [os.environ.get("TERRAFORM_BINARY_NAME") or "terraform", "version"]
        self._found: tuple[int, int, int] | str | None = None
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except OSError as exc:
            self._proc = None
            self._found = f"{' '.join(self.command)} failed: {exc}"

    def found(self) -> tuple[int, int, int] | str:
        """The version, or why it could not be determined."""
        if self._found is None and self._proc is not None:
            out, _ = self._proc.communicate()
            match = SEMVER.search(out.decode(errors="replace"))
            if self._proc.returncode != 0:
                self._found = f"{' '.join(self.command)} failed with exit status {self._proc.returncode}"
            elif match is None:
                self._found = f"could not determine the version of terraform (running {' '.join(self.command)})"
            else:
                major, minor, patch = (int(p) for p in match.group(0).split("."))
                self._found = (major, minor, patch)
        assert self._found is not None
        return self._found

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


def terraform_needs(stack: dict[str, Any]) -> list[tuple[tuple[int, int], str]]:
    """(lowest Terraform minor, what needs it) for each block of ``stack`` that cdktf version-checks."""
    needs = []
    if stack.get("moved"):
        needs.append(((1, 5), "moved blocks"))
    if stack.get("import"):
        needs.append(((1, 5), "import blocks"))
    if "terraform_data" in stack.get("resource", {}):
        needs.append(((1, 4), "the terraform_data resource"))
    if "cloud" in stack.get("terraform", {}):
        needs.append(((1, 1), "the cloud block"))
    return needs


def missing_providers(stack: dict[str, Any]) -> list[str]:
    """Providers that a resource or data source of ``stack`` uses but no provider block declares."""
    used = {type_.split("_", 1)[0] for section in ("resource", "data") for type_ in stack.get(section, {})}
    return sorted(used - {"terraform"} - set(stack.get("provider", {})))


def check_stacks(outdir: Path, names: list[str], terraform: TerraformVersion) -> list[str]:
    """One message per failed check, naming the stack (empty when all pass)."""
    errors = []
    for name in names:
        stack = json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text())
        missing = missing_providers(stack)
        if missing:
            errors.append(f"{name}: resources without a provider block for: {', '.join(missing)} (add the provider construct to the stack)")
        for (major, minor), what in terraform_needs(stack):
            found = terraform.found()
            if isinstance(found, str):
                errors.append(f"{name}: {what} need Terraform >= {major}.{minor}: {found}")
            elif found[:2] < (major, minor):
                errors.append(f"{name}: {what} need Terraform >= {major}.{minor}, found {'.'.join(map(str, found))}")
    return errors
