"""What the platform knows, as plain data and pure functions: add-on specs and their registry,
Karpenter's spec, EKS's version facts, EC2 instance capacity, namespace sets, field types.

The lowest floor: it imports no cdktf, no provider package and nothing of ``environments``,
``modules``, ``stacks`` or ``tools`` at run time, and importing it has no side effects, so the
config layer and the review tools load it without the provider wheels (docs/architecture.md).
"""
