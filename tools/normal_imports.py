"""Run main.py after importing every provider package the normal way (each package ``__init__``
imports all of its submodules): the baseline that ``bench/`` and the byte-identity test compare
the project's cheap provider imports against. Set JSII_NODE in the environment first, so both
runs use the same Node.

    JSII_NODE=... python tools/normal_imports.py
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

if __name__ == "__main__":
    # The baseline loads every provider's JavaScript too: no lazy index hook in jsii's Node (the
    # project's own modules set it only after these imports have started jsii).
    hook = str(ROOT / "modules" / "_lazy_provider_index.cjs")
    os.environ["NODE_OPTIONS"] = os.environ.get("NODE_OPTIONS", "").replace(f'--require "{hook}"', "").strip()
    import cdktf_cdktf_provider_aws  # noqa: F401
    import cdktf_cdktf_provider_helm  # noqa: F401
    import cdktf_cdktf_provider_kubernetes  # noqa: F401

    sys.path.insert(0, str(ROOT))
    sys.argv = [str(ROOT / "main.py")]
    runpy.run_path(str(ROOT / "main.py"), run_name="__main__")
