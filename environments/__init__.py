"""Environments are data (``*.yaml`` beside this file); their schema is code (``schema.py``)."""

from environments.loader import ENVIRONMENTS_DIR, ConfigError, load_environments, parse_environment
from environments.schema import EnvironmentConfig

__all__ = ["ENVIRONMENTS_DIR", "ConfigError", "EnvironmentConfig", "load_environments", "parse_environment"]
