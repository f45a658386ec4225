"""Synthesize every environment under environments/ into cdktf.out/ (``make synth``).

Every file is validated before any construct exists; on a config error nothing is written and the
exit status is 2. ``PLATFORM_ENVIRONMENTS=dev,prod`` limits the output to those environments.
"""

from __future__ import annotations

import os
import sys

from environments import ConfigError, load_environments


def main() -> int:
    only = [n for n in os.environ.get("PLATFORM_ENVIRONMENTS", "").split(",") if n] or None
    try:
        environments = load_environments(only=only)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2

    # Imported after validation, so a bad file fails in milliseconds; ``stacks`` first, because
    # it sets up cheap provider imports and jsii's Node before cdktf starts jsii.
    from stacks.environment import build_environment

    from cdktf import App

    app = App()
    for env in environments:
        build_environment(app, env)
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
