"""project-layout: a FastAPI project that does not follow the by-type or by-domain layout."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck, ProjectFacts
from rulepack.evaluator.checks.common import imports_any
from rulepack.evaluator.checks.facts import ClassFact, ModuleFacts, RouteFact, Span
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.project.support import (
    app_sites,
    basename,
    dirname,
    imports_of,
    is_migration_path,
    is_test_path,
    python_paths,
    qualified,
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
# The names real projects give each layer package of the by-type layout.
PACKAGE_NAMES: Mapping[str, frozenset[str]] = {
    "routers": frozenset({"routers", "routes", "endpoints", "api", "apis", "views", "controllers"}),
    "schemas": frozenset({"schemas", "schema"}),
    "services": frozenset({"services", "service"}),
    "core": frozenset({"core"}),
    "models": frozenset({"models", "model", "entities"}),
    "repositories": frozenset({"repositories", "repository", "repos", "crud", "dao"}),
}
# Modules that serve as a domain's router in the by-domain layout.
DOMAIN_ROUTER_MODULES = frozenset(
    {"router.py", "routers.py", "routes.py", "views.py", "endpoints.py", "api.py", "controller.py"}
)
MIN_DOMAINS = 2  # feature packages needed to call a project by-domain
DEPENDS = frozenset({"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends"})
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

    root: str  # the directory of the module that creates the FastAPI app (or of its main.py)
    main: str  # the module that creates the app
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

    def has_package(self, layer: str) -> bool:
        """Whether a package of the by-type ``layer`` exists, under any of its usual names."""
        return not self.packages.isdisjoint(PACKAGE_NAMES.get(layer, frozenset({layer})))

    def in_package(self, path: str, layer: str) -> bool:
        """Whether ``path`` lies in a package of the by-type ``layer``."""
        names = PACKAGE_NAMES.get(layer, frozenset({layer}))
        return not names.isdisjoint(self.relative(path).split("/")[:-1])

    def domains(self) -> list[str]:
        """Feature packages: a package (not a layer package) holding a router module."""
        layers = PACKAGE_NAMES["routers"] | PACKAGE_NAMES["schemas"] | PACKAGE_NAMES["core"]
        found: set[str] = set()
        for module in self.modules:
            relative = self.relative(module.path).split("/")
            if len(relative) < DOMAIN_DEPTH or relative[-1] not in DOMAIN_ROUTER_MODULES:
                continue
            if relative[-2] not in layers and module.routes:
                found.add(dirname(module.path))
        return sorted(found)


def find_layout(project: ProjectFacts) -> Layout | None:
    """The application package around the module that creates the FastAPI app."""
    apps = app_sites(project)
    if not apps:
        return None
    main, span = next((site for site in apps if basename(site[0]) == "main.py"), apps[0])
    root = dirname(main)
    entry = _entry_point(project, main)
    if entry is not None:  # ``core/factory.py`` builds the app that ``main.py`` above serves
        root = dirname(entry)
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


def _entry_point(project: ProjectFacts, factory: str) -> str | None:
    """The ``main.py`` in a directory above an app factory module that is not itself a main.

    An app built in ``backend/core/registrar.py`` and served from ``backend/main.py`` has its
    application package at ``backend/``, not ``backend/core/``.
    """
    if basename(factory) == "main.py":
        return None
    folder = dirname(factory)
    mains = [
        path
        for path in python_paths(project)
        if basename(path) == "main.py"
        and not is_test_path(path)
        and folder.startswith(f"{dirname(path)}/" if dirname(path) else "")
        and dirname(path) != folder
    ]
    return max(mains, key=len) if mains else None


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
            files={
                "app/main.py": _MAIN.replace("app.routers", "app.api.routes"),
                "app/core/config.py": _SETTINGS,
                "app/api/routes/users.py": _ROUTER.replace("app.schemas.user", "app.schema.user")
                + "\n\n@router.post('')\nasync def create(\n    body: UserRead,\n"
                "    me: Annotated[Account, Depends(current_account)],\n) -> None:\n"
                "    return None\n",
                "app/schema/user.py": _SCHEMA,
                "app/services/users.py": _SCHEMA.replace("UserRead", "RetryPolicy"),
                "app/db/models/user.py": _MODEL,
                "app/db/repos/user.py": "class UserRepository:\n    pass\n",
                "app/domain/account.py": _SCHEMA.replace("UserRead", "Account"),
                "app/router.py": "from fastapi import APIRouter\n\n"
                "from app.api.routes import users\n\napi_router = APIRouter()\n"
                "api_router.include_router(users.router)\n\n\n"
                "@api_router.get('/ping')\nasync def ping() -> str:\n    return 'pong'\n",
            },
            hits=0,
            note="layer packages under usual other names (api/routes, schema, repos); a root "
            "router.py that includes the routers; a Pydantic value object in a service and an "
            "injected domain model are not API schemas",
        ),
        Case(
            files={
                **{k: v for k, v in BY_TYPE_PROJECT.items() if k != "app/main.py"},
                "app/core/factory.py": "from fastapi import FastAPI\n\n\n"
                "def build() -> FastAPI:\n    return FastAPI()\n",
                "app/main.py": "from app.core.factory import build\n\napp = build()\n",
            },
            hits=0,
            note="the app is built by a factory in core/ and served from main.py above it",
        ),
        Case(
            files={
                **BY_TYPE_PROJECT,
                "app/services/chat.py": "from slack_bolt import App\n\n"
                "from app.core.ids import PICK\n\nbot = App()\n\n\n"
                "@bot.options(PICK)\ndef pick(ack) -> None:\n    ack()\n",
            },
            hits=0,
            note="a chat bot's option handler in a service is not a FastAPI route",
        ),
        Case(
            files={
                **BY_TYPE_PROJECT,
                "app/admin/__init__.py": "from fastapi import FastAPI\n\nadmin = FastAPI()\n\n\n"
                "@admin.get('/')\nasync def index() -> str:\n    return 'admin'\n",
            },
            hits=0,
            note="a mounted sub-application's own module declares its index route",
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
            hits=3,
            note="missing packages (schemas.py and models.py are modules, reported with them), "
            "a route in a service, a Pydantic model in main.py",
        ),
        Case(
            files={
                **BY_TYPE_PROJECT,
                "app/routers/users.py": _ROUTER.replace(
                    "from app.schemas.user import UserRead",
                    "from app.services.user_service import UserRead",
                ),
                "app/services/user_service.py": _SCHEMA,
            },
            hits=1,
            note="a response schema that a route returns, defined in a service module",
        ),
        Case(
            files={
                "app/main.py": _MAIN.replace(
                    "from app.routers import users", "from app import users"
                ),
                "app/database.py": _MODEL,
                "app/users/router.py": _ROUTER,
                "app/users/schemas.py": _SCHEMA,
                "app/orders/views.py": _ROUTER.replace("/users", "/orders"),
                "app/orders/models.py": _MODEL,
            },
            hits=1,
            note="a by-domain project while the layout parameter asks for by-type: reported "
            "once at the app, and its feature routers are not misplaced routes",
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
        if kind == BY_TYPE and self._follows_by_domain(layout):
            kind = BY_DOMAIN  # judge its routes and schemas by the layout it follows
            yield Hit(layout.main, layout.app, self._by_domain_message(layout))
        else:
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

    def _by_domain_message(self, layout: Layout) -> str:
        """The one finding of a by-domain project checked against the by-type layout."""
        shown = ", ".join(f"`{layout.relative(d)}/`" for d in layout.domains()[:3])
        missing = self._missing(layout, BY_DOMAIN)
        lacks = (
            f" (as by-domain it also lacks {', '.join(f'`{layout.label(m)}`' for m in missing)})"
            if missing
            else ""
        )
        return (
            f"the project follows the by-domain layout ({shown} ...){lacks} while the pack's "
            "`layout` parameter asks for by-type; set `layout` to by-domain if that is the "
            "team's choice, else move the code into `routers/`, `schemas/` ..."
        )

    def _follows_by_domain(self, layout: Layout) -> bool:
        """Whether the project misses by-type packages but has by-domain feature packages."""
        return bool(self._missing(layout, BY_TYPE)) and len(layout.domains()) >= MIN_DOMAINS

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
        return missing + [f"{name}/" for name in expected if not layout.has_package(name)]

    @staticmethod
    def _is_domain_router(layout: Layout, path: str) -> bool:
        relative = layout.relative(path).split("/")
        return len(relative) >= DOMAIN_DEPTH and (
            relative[-1] in DOMAIN_ROUTER_MODULES or layout.in_package(path, "routers")
        )

    def _route_allowed(self, layout: Layout, path: str, kind: str) -> bool:
        if path == f"{layout.root}/main.py" or self._is_root_router(layout, path):
            return True
        module = self.project.module(path)
        if module is not None and module.apps:
            return True  # the module that creates a (sub-)application, as main.py does
        if kind == BY_DOMAIN:
            return self._is_domain_router(layout, path)
        return layout.in_package(path, "routers")

    def _misplaced_routes(self, layout: Layout, kind: str) -> Iterator[Hit]:
        known = self.project.app_names | self.project.router_names
        for module in layout.modules:
            # A decorator of an unknown owner with no literal path (a Slack ``@app.options(ID)``
            # handler) is not a FastAPI route.
            routes: list[RouteFact] = [
                route for route in module.routes if route.path is not None or route.owner in known
            ]
            if not routes or self._route_allowed(layout, module.path, kind):
                continue
            place = "`<domain>/router.py`" if kind == BY_DOMAIN else f"`{layout.label('routers/')}`"
            yield Hit(
                module.path,
                routes[0].span,
                f"{len(routes)} route(s) defined in `{module.path}`, outside {place}; "
                "move them to a router module",
            )

    def _is_root_router(self, layout: Layout, path: str) -> bool:
        """The application's root router module (``app/api.py``) that includes the others."""
        module = self.project.module(path)
        return (
            module is not None
            and bool(module.includes)
            and dirname(path) == layout.root
            and basename(path) in DOMAIN_ROUTER_MODULES
        )

    def _model_allowed(self, layout: Layout, path: str, kind: str) -> bool:
        settings = _param(self.param_values, SETTINGS_PARAM, DEFAULT_SETTINGS)
        relative = layout.relative(path).split("/")
        if path == settings or (relative[-1] in CONFIG_FILES and "core" in relative[:-1]):
            return True
        if kind == BY_DOMAIN:
            return relative[-1] in {"schemas.py", "schema.py"} or layout.in_package(path, "schemas")
        return layout.in_package(path, "schemas")

    def _misplaced_models(self, layout: Layout, kind: str) -> Iterator[Hit]:
        """Request and response schemas outside the schemas package.

        A Pydantic model is a request or response schema when a route's body parameter, return
        annotation or ``response_model=`` names it, or when a module that declares routes defines
        it; internal value objects elsewhere (a service's config, a domain model) are not.
        """
        settings = self.project.subclasses_of(SETTINGS_CLASSES)
        models = self.project.subclasses_of(PYDANTIC_MODELS) - PYDANTIC_MODELS - settings
        used = api_schema_names(self.project)
        for module in layout.modules:
            found: list[ClassFact] = [
                c for c in module.classes if c.name in models and (module.routes or c.name in used)
            ]
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


def api_schema_names(project: ProjectFacts) -> frozenset[str]:
    """Qualified names that routes use as request bodies, return types or ``response_model``."""
    return project.cached("project-layout.api-schemas", lambda: frozenset(_api_schemas(project)))


def _api_schemas(project: ProjectFacts) -> Iterator[str]:
    for module in project.modules:
        tree = project.trees.get(module.path)
        lines = {route.span.line for route in module.routes}
        if tree is None or not lines or is_test_path(module.path):
            continue
        imports = imports_of(module.path, tree)
        for node in walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.lineno in lines:
                for expression in _schema_expressions(node, imports):
                    for part in walk(expression):
                        if isinstance(part, ast.Name | ast.Attribute):
                            name = qualified(imports, part)
                            if name is not None:
                                yield name


def _schema_expressions(
    function: ast.FunctionDef | ast.AsyncFunctionDef, imports: ImportMap
) -> Iterator[ast.expr]:
    """A route's return annotation, ``response_model=`` and non-dependency parameter types."""
    if function.returns is not None:
        yield function.returns
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call):
            yield from (k.value for k in decorator.keywords if k.arg == "response_model")
    arguments = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
    defaults: list[ast.expr | None] = [
        *(
            [None]
            * (
                len(function.args.posonlyargs)
                + len(function.args.args)
                - len(function.args.defaults)
            )
        ),
        *function.args.defaults,
        *function.args.kw_defaults,
    ]
    for argument, default in zip(arguments, defaults, strict=False):
        if argument.annotation is None or _is_dependency(argument.annotation, default, imports):
            continue
        yield argument.annotation


def _is_dependency(annotation: ast.expr, default: ast.expr | None, imports: ImportMap) -> bool:
    """Whether a parameter is injected (``= Depends(...)`` or ``Annotated[..., Depends()]``)."""
    calls = [default] if default is not None else []
    if isinstance(annotation, ast.Subscript) and isinstance(annotation.slice, ast.Tuple):
        calls.extend(annotation.slice.elts[1:])
    return any(
        isinstance(call, ast.Call) and qualified(imports, call.func) in DEPENDS for call in calls
    )
