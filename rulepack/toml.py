"""The TOML reader for every Python rulepack supports: ``tomllib`` from 3.11, ``tomli`` before."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    import tomllib as toml_reader
else:  # mypy, a dependency, brings tomli on 3.10
    import tomli as toml_reader  # type: ignore[import-not-found,unused-ignore]

__all__ = ["toml_reader"]
