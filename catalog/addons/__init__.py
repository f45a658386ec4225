"""One file per add-on (a pure-Python spec sharing :class:`catalog.addons.base.Addon`'s shape) and
one registry (``registry.py``). The constructs that realize them are ``modules/addon_*.py``."""
