"""The package version: the one place it is written (pyproject.toml reads it, ``dynamic = ["version"]``).

A literal, not ``importlib.metadata.version(...)``: reading the installed metadata cost about 30 ms of every synth
and every CLI run, and a staged copy of the package (the hook and Config rule Lambdas) has no metadata to read.
"""

from __future__ import annotations

__version__ = "0.2.0"
