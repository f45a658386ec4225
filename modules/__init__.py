"""Constructs, one per AWS or Kubernetes concern. Importing this package first makes provider
imports cheap (see ``_provider_packages``)."""

from modules import _provider_packages  # noqa: F401  (must run before any provider import)
