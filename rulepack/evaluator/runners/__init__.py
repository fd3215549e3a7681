"""Adapters that run ruff and mypy and turn their output into findings."""
