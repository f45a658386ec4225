"""One file per add-on (a pure-Python spec sharing :class:`modules.addons.base.Addon`'s shape) and
one registry (``registry.py``). The constructs that realize them are ``modules/addon_*.py``."""
