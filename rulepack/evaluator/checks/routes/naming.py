"""Name helpers shared by the route checks: snake case, auth-like and session-like names."""

from __future__ import annotations

import re

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake(name: str) -> str:
    """``CurrentUserDep`` -> ``current_user_dep``; ``getDb`` -> ``get_db``; ``get_db`` unchanged."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def squashed(name: str) -> str:
    """``SessionLocal``, ``session_local`` and ``sessionLocal`` all become ``sessionlocal``."""
    return name.replace("_", "").lower()
