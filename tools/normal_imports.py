"""Run main.py after importing every provider package the normal way (each package ``__init__``
imports all of its submodules): the baseline that ``bench/`` and the byte-identity test compare
the project's cheap provider imports against. Set JSII_NODE in the environment first, so both
runs use the same Node.

    JSII_NODE=... python tools/normal_imports.py
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    import cdktf_cdktf_provider_aws  # noqa: F401
    import cdktf_cdktf_provider_helm  # noqa: F401
    import cdktf_cdktf_provider_kubernetes  # noqa: F401

    sys.path.insert(0, str(ROOT))
    sys.argv = [str(ROOT / "main.py")]
    runpy.run_path(str(ROOT / "main.py"), run_name="__main__")
