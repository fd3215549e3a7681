"""project-layout: a FastAPI project that does not follow the by-type or by-domain layout."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import ClassVar

from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck, ProjectFacts
from rulepack.evaluator.checks.common import imports_any
from rulepack.evaluator.checks.facts import ClassFact, ModuleFacts, RouteFact, Span
from rulepack.evaluator.checks.project.support import (
    app_sites,
    basename,
    dirname,
    is_migration_path,
    is_test_path,
    python_paths,
)
from rulepack.rules.model import ParamValue

LAYOUT_PARAM = "layout"
SETTINGS_PARAM = "settings_module"
BY_TYPE = "by-type"
BY_DOMAIN = "by-domain"
DEFAULT_SETTINGS = "app/core/config.py"
MIN_FILES = 2  # one file is a snippet, not a project
DOMAIN_DEPTH = 2  # <domain>/router.py
BY_TYPE_PACKAGES = ("routers", "schemas", "services", "core")
DATA_PACKAGES = ("models", "repositories")  # expected only when the project uses a database
CONFIG_FILES = frozenset({"config.py", "settings.py"})
PYDANTIC_MODELS = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
SETTINGS_CLASSES = frozenset(
    {
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
    }
)
DATABASE_PACKAGES = (
    "sqlalchemy", "sqlmodel", "tortoise", "beanie", "motor", "pymongo", "databases", "asyncpg",
    "psycopg", "psycopg2", "aiosqlite", "sqlite3", "peewee", "piccolo", "odmantic", "ormar",
    "redis", "prisma",
)  # fmt: skip

_MAIN = (
    "from fastapi import FastAPI\n\nfrom app.routers import users\n\n"
    "app = FastAPI()\napp.include_router(users.router)\n\n\n"
    "@app.get('/health')\nasync def health() -> dict[str, str]:\n    return {'status': 'ok'}\n"
)
_ROUTER = (
    "from fastapi import APIRouter\n\nfrom app.schemas.user import UserRead\n\n"
    "router = APIRouter(prefix='/users')\n\n\n"
    "@router.get('/{user_id}')\nasync def get_user(user_id: int) -> UserRead:\n"
    "    return UserRead(id=user_id)\n"
)
_SCHEMA = "from pydantic import BaseModel\n\n\nclass UserRead(BaseModel):\n    id: int\n"
_SETTINGS = (
    "from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n"
    "    database_url: str = ''\n"
)
_MODEL = "from sqlalchemy.orm import DeclarativeBase\n\n\nclass Base(DeclarativeBase):\n    pass\n"
_SERVICE = "class UserService:\n    pass\n"
BY_TYPE_PROJECT = {
    "app/__init__.py": "",
    "app/main.py": _MAIN,
    "app/core/config.py": _SETTINGS,
    "app/routers/users.py": _ROUTER,
    "app/schemas/user.py": _SCHEMA,
    "app/models/user.py": _MODEL,
    "app/services/user_service.py": _SERVICE,
    "app/repositories/user_repository.py": "class UserRepository:\n    pass\n",
}


@dataclass(frozen=True)
class Layout:
    """Where the project's application package is, and what the project holds."""

    root: str  # the directory of the module that creates the FastAPI app
    main: str  # that module
    app: Span  # the ``FastAPI()`` call
    modules: tuple[ModuleFacts, ...]  # the application modules under ``root``
    packages: frozenset[str]  # every directory name below ``root``
    uses_database: bool

    def relative(self, path: str) -> str:
        """``path`` relative to the application root."""
        return path.removeprefix(f"{self.root}/")

    def label(self, name: str) -> str:
        """``name`` shown under the application root (``app/routers/``)."""
        return f"{self.root}/{name}"


def find_layout(project: ProjectFacts) -> Layout | None:
    """The application package around the module that creates the FastAPI app."""
    apps = app_sites(project)
    if not apps:
        return None
    main, span = next((site for site in apps if basename(site[0]) == "main.py"), apps[0])
    root = dirname(main)
    prefix = f"{root}/" if root else ""
    modules = tuple(
        m
        for m in project.modules
        if m.path.startswith(prefix) and not is_test_path(m.path) and not is_migration_path(m.path)
    )
    packages = frozenset(
        part for m in modules for part in m.path.removeprefix(prefix).split("/")[:-1]
    )
    uses_database = any(imports_any(m, *DATABASE_PACKAGES) for m in project.modules)
    return Layout(root, main, span, modules, packages, uses_database)


def _param(params: Mapping[str, ParamValue], name: str, default: str) -> str:
    value = params.get(name, default)
    return value if isinstance(value, str) else default


class ProjectLayout(ProjectCheck):
    """A FastAPI project that does not follow the layout the pack's ``layout`` parameter names.

    ## What it does
    Finds the application package (the directory of the module that creates the ``FastAPI``
    app, ``app/`` in the pack) and checks it against the ``layout`` parameter:

    * ``by-type`` (default): ``main.py`` and the packages ``routers/``, ``schemas/``,
      ``services/`` and ``core/``, plus ``models/`` and ``repositories/`` when the project uses a
      database; routes only in ``routers/`` (or ``main.py``); Pydantic models only in
      ``schemas/`` (settings classes and the settings module are exempt).
    * ``by-domain``: ``main.py``, ``core/`` and feature packages with a ``router.py``; routes
      only in ``<domain>/router.py`` (or ``main.py``); Pydantic models only in ``schemas.py``.

    Missing parts are reported once, at the app; misplaced routes and models once per module.
    An app at the top level of the sample (a flat project) is reported once. It applies to
    samples with a FastAPI app and at least two Python files outside the tests.

    ## Why is this bad?
    Fixed locations let people and assistants find code without searching, and let the layer
    checks tell a router from a schema or a repository by its path.
    """

    id = "project-layout"
    summary = "the project does not follow the configured layout"
    params = (LAYOUT_PARAM, SETTINGS_PARAM)
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                **BY_TYPE_PROJECT,
                "app/api/routers/admin.py": _ROUTER.replace("/users", "/admin"),
                "app/core/settings.py": _SETTINGS,
                "tests/test_users.py": _SCHEMA + "\n\nclass Payload(BaseModel):\n    x: int\n",
                "alembic/env.py": _SCHEMA,
            },
            hits=0,
            note="by-type; a nested routers/ package, settings classes, models in tests",
        ),
        Case(
            files={
                "app/main.py": _MAIN,
                "app/core/config.py": _SETTINGS,
                "app/routers/users.py": _ROUTER,
                "app/schemas/user.py": _SCHEMA,
                "app/services/user_service.py": _SERVICE,
            },
            hits=0,
            note="no database: models/ and repositories/ are not expected",
        ),
        Case(
            files={"main.py": _MAIN},
            hits=0,
            note="a single-file sample is not a project",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={"main.py": _MAIN + "\n\n" + _SCHEMA, "database.py": _MODEL, "utils.py": ""},
            hits=1,
            note="everything in a flat directory",
        ),
        Case(
            files={
                "app/main.py": _MAIN + "\n\n" + _SCHEMA,
                "app/routers/users.py": _ROUTER,
                "app/schemas.py": _SCHEMA,
                "app/models.py": _MODEL,
                "app/services/tasks.py": _ROUTER.replace("/users", "/tasks"),
            },
            hits=4,
            note="missing packages (schemas.py and models.py are modules), a route in a "
            "service, Pydantic models in main.py and in the schemas module",
        ),
        Case(
            files={
                "src/shop/main.py": _MAIN,
                "src/shop/core/config.py": _SETTINGS,
                "src/shop/routers/users.py": "from pydantic import BaseModel\n"
                + _ROUTER
                + "\n\nclass UserFilter(BaseModel):\n    name: str\n",
                "src/shop/schemas/user.py": _SCHEMA,
                "src/shop/services/user_service.py": _SERVICE,
            },
            hits=1,
            note="a src/ layout: the app's directory is the root; a model in a router",
        ),
    )

    def applies(self) -> bool:
        """Samples with a FastAPI app and at least two Python files outside the tests."""
        app_files = [p for p in python_paths(self.project) if not is_test_path(p)]
        return find_layout(self.project) is not None and len(app_files) >= MIN_FILES

    def run(self) -> Iterator[Hit]:
        """Report a flat project once, else missing parts and misplaced routes and models."""
        layout = find_layout(self.project)
        if layout is None:
            return
        kind = _param(self.param_values, LAYOUT_PARAM, BY_TYPE)
        if not layout.root:
            yield Hit(
                layout.main,
                layout.app,
                f"the FastAPI app is in `{layout.main}` at the top level of the project; "
                f"use the {kind} layout under an application package (`app/main.py`, "
                + ("`app/<domain>/router.py` ...)" if kind == BY_DOMAIN else "`app/routers/` ...)"),
            )
            return
        missing = self._missing(layout, kind)
        if missing:
            names = ", ".join(f"`{layout.label(name)}`" for name in missing)
            yield Hit(
                layout.main,
                layout.app,
                f"the {kind} layout expects {names}; move the code into those packages",
            )
        yield from self._misplaced_routes(layout, kind)
        yield from self._misplaced_models(layout, kind)

    def _missing(self, layout: Layout, kind: str) -> list[str]:
        files = set(self.project.files)
        missing = [] if f"{layout.root}/main.py" in files else ["main.py"]
        if kind == BY_DOMAIN:
            if "core" not in layout.packages:
                missing.append("core/")
            if not any(self._is_domain_router(layout, m.path) for m in layout.modules):
                missing.append("<domain>/router.py")
            return missing
        expected = [*BY_TYPE_PACKAGES, *(DATA_PACKAGES if layout.uses_database else ())]
        return missing + [f"{name}/" for name in expected if name not in layout.packages]

    @staticmethod
    def _is_domain_router(layout: Layout, path: str) -> bool:
        relative = layout.relative(path).split("/")
        return len(relative) >= DOMAIN_DEPTH and relative[-1] == "router.py"

    def _route_allowed(self, layout: Layout, path: str, kind: str) -> bool:
        if path == f"{layout.root}/main.py":
            return True
        if kind == BY_DOMAIN:
            return self._is_domain_router(layout, path)
        return "routers" in layout.relative(path).split("/")[:-1]

    def _misplaced_routes(self, layout: Layout, kind: str) -> Iterator[Hit]:
        for module in layout.modules:
            routes: list[RouteFact] = list(module.routes)
            if not routes or self._route_allowed(layout, module.path, kind):
                continue
            place = "`<domain>/router.py`" if kind == BY_DOMAIN else f"`{layout.label('routers/')}`"
            yield Hit(
                module.path,
                routes[0].span,
                f"{len(routes)} route(s) defined in `{module.path}`, outside {place}; "
                "move them to a router module",
            )

    def _model_allowed(self, layout: Layout, path: str, kind: str) -> bool:
        settings = _param(self.param_values, SETTINGS_PARAM, DEFAULT_SETTINGS)
        relative = layout.relative(path).split("/")
        if path == settings or (relative[-1] in CONFIG_FILES and "core" in relative[:-1]):
            return True
        if kind == BY_DOMAIN:
            return relative[-1] == "schemas.py" or "schemas" in relative[:-1]
        return "schemas" in relative[:-1]

    def _misplaced_models(self, layout: Layout, kind: str) -> Iterator[Hit]:
        settings = self.project.subclasses_of(SETTINGS_CLASSES)
        models = self.project.subclasses_of(PYDANTIC_MODELS) - PYDANTIC_MODELS - settings
        for module in layout.modules:
            found: list[ClassFact] = [c for c in module.classes if c.name in models]
            if not found or self._model_allowed(layout, module.path, kind):
                continue
            names = ", ".join(f"`{c.name.rsplit('.', 1)[-1]}`" for c in found)
            place = "a `schemas.py`" if kind == BY_DOMAIN else f"`{layout.label('schemas/')}`"
            yield Hit(
                module.path,
                found[0].span,
                f"Pydantic model(s) {names} defined outside {place}; move request and response "
                "schemas there",
            )
