"""End-to-end tests against the local AWS emulator (``make test-e2e``)."""
