"""Gates over the synthesized stacks and the code: terraform validate, checkov, mutation testing."""
