"""Where a file sits: tests, migrations, scripts, and the router, service and repository layers.

The database and architecture rules judge application code by its layer, and a sample's layer
is read from its layout: ``app/repositories/user_repository.py`` and ``app/users/repository.py``
are repositories, ``app/services/...`` and ``app/users/service.py`` services, and so on.
"""

from __future__ import annotations

from enum import Enum

from rulepack.evaluator.checks.common import imports_any, is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts

TEST_DIRS = frozenset({"tests", "test", "testing"})
MIGRATION_DIRS = frozenset({"alembic", "migrations", "migration"})
SCRIPT_DIRS = frozenset({"scripts", "script", "bin", "dev"})  # dev/: developer tooling
ROUTER_DIRS = frozenset({"routers", "routes", "endpoints", "views", "controllers"})
ROUTER_STEMS = frozenset({"router", "routers", "routes", "endpoints", "views"})
SERVICE_DIRS = frozenset({"services", "service", "use_cases", "usecases"})
SERVICE_STEMS = frozenset({"service", "services"})
REPOSITORY_DIRS = frozenset({"repositories", "repository", "repos", "crud", "dao", "dal"})
REPOSITORY_STEMS = frozenset({"repository", "repositories", "repo", "repos", "dao"})


class Layer(Enum):
    """The architectural layer a module belongs to, by its path."""

    ROUTER = "router"
    SERVICE = "service"
    REPOSITORY = "repository"


def _parts(path: str) -> tuple[list[str], str]:
    """The directories of ``path`` and its file stem."""
    parts = path.split("/")
    return parts[:-1], parts[-1].removesuffix(".py")


def is_migration_path(path: str) -> bool:
    """Whether ``path`` is Alembic code (``alembic/``, ``migrations/``, ``alembic/env.py``)."""
    directories, _ = _parts(path)
    return any(directory in MIGRATION_DIRS for directory in directories)


def is_script_path(path: str) -> bool:
    """Whether ``path`` is a maintenance script (``scripts/``, ``bin/``)."""
    directories, _ = _parts(path)
    return any(directory in SCRIPT_DIRS for directory in directories)


def is_app_code(path: str) -> bool:
    """Whether ``path`` is application code: not tests, migrations or scripts."""
    return not (is_test_path(path) or is_migration_path(path) or is_script_path(path))


def is_alembic_module(facts: ModuleFacts) -> bool:
    """Whether a module is Alembic code: under ``alembic/``/``migrations/`` or importing alembic.

    Alembic environments live wherever ``script_location`` says (``app/db/env.py``, a template
    directory), so an import of ``alembic`` marks them too.
    """
    return is_migration_path(facts.path) or imports_any(facts, "alembic")


def is_app_module(facts: ModuleFacts) -> bool:
    """Whether a module is application code: not tests, scripts or Alembic code."""
    return is_app_code(facts.path) and not is_alembic_module(facts)


def layer_of(path: str) -> Layer | None:
    """The layer of a module by its path, or ``None`` when the path names none."""
    if not is_app_code(path):
        return None
    directories, stem = _parts(path)
    checks = (
        (Layer.REPOSITORY, REPOSITORY_DIRS, REPOSITORY_STEMS, ("_repository", "_repo", "_dao")),
        (Layer.SERVICE, SERVICE_DIRS, SERVICE_STEMS, ("_service",)),
        (Layer.ROUTER, ROUTER_DIRS, ROUTER_STEMS, ("_router", "_routes", "_endpoints")),
    )
    by_directory = next(
        (layer for layer, dirs, _, _ in checks if any(d in dirs for d in directories)), None
    )
    for layer, _, stems, suffixes in checks:
        if stem in stems:
            return layer
        if stem.endswith(suffixes):
            # ``routes/controller_user_service.py`` is a router: a layer directory outweighs a
            # name suffix, which often names what the module serves rather than what it is.
            return by_directory or layer
    return by_directory


def is_repository_path(path: str) -> bool:
    """Whether ``path`` is a repository module (``crud*.py`` counts too)."""
    _, stem = _parts(path)
    return layer_of(path) is Layer.REPOSITORY or stem.startswith("crud")
