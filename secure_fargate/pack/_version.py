"""The package version, read once from the installed distribution's metadata (set in pyproject.toml)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("secure-fargate")
except PackageNotFoundError:  # a source checkout that was never installed
    __version__ = "0+unknown"
