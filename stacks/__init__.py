"""One Terraform stack per layer per environment; stacks only wire modules together."""

import modules  # noqa: F401  (cheap provider imports; must precede any provider import)
