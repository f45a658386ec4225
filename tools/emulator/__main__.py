"""``python -m tools.emulator serve <port>``: the moto server with the project's EKS extension."""

import sys

from tools.emulator.server import main

sys.exit(main(sys.argv[1:]))
