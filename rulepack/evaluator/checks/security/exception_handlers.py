"""exception-handlers: custom exceptions raised or caught in routes without a registered handler.

A project check on the ``ast`` trees of the sample: it indexes the sample's exception classes,
the handlers registered on apps, the places each exception is raised and where routes catch it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import ast_dotted, import_map
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import HTTP_EXCEPTIONS, is_test_path
from rulepack.evaluator.checks.facts import ModuleFacts, Span
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.security.support import (
    BUILTIN_EXCEPTIONS,
    exception_classes,
    handler_registrations,
)
from rulepack.evaluator.checks.sync_route_handler import is_route_owner

SCHEMA_DIRS = frozenset({"schema", "schemas"})
VALIDATION_BASES = frozenset({"ValueError", "TypeError", "AssertionError"})
# Exceptions FastAPI answers by default; their subclasses need no handler of their own.
DEFAULT_HANDLED = HTTP_EXCEPTIONS | {
    "fastapi.exceptions.RequestValidationError",
    "fastapi.exceptions.WebSocketRequestValidationError",
}
CATCH_ALL = frozenset({"builtins.Exception", "builtins.BaseException"})


def resolve(node: ast.expr, imports: ImportMap) -> str | None:
    """The qualified name of a ``Name``/``Attribute`` chain; ``builtins.X`` for builtins."""
    name = ast_dotted(node)
    if name is None:
        return None
    if name in BUILTIN_EXCEPTIONS and name not in imports.names:
        return f"builtins.{name}"
    return imports.resolve_dotted(name)


def caught_types(handler: ast.ExceptHandler) -> list[ast.expr]:
    """The exception expressions an ``except`` clause names (tuple elements too)."""
    if handler.type is None:
        return []
    if isinstance(handler.type, ast.Tuple):
        return list(handler.type.elts)
    return [handler.type]


def reraises(handler: ast.ExceptHandler) -> bool:
    """Whether the clause re-raises what it caught with a bare ``raise``."""
    return any(isinstance(node, ast.Raise) and node.exc is None for node in ast.walk(handler))


@dataclass
class _Scan:
    """What one pass over the sample's non-test modules found."""

    handled: set[str] = field(default_factory=set)
    raised: dict[str, tuple[str, int]] = field(default_factory=dict)  # first raise site
    caught: set[str] = field(default_factory=set)  # caught and dealt with outside routes
    mapped: set[str] = field(default_factory=set)  # keys of a central error-to-response table
    # (exception, path, span, route, whether it looks first-party when not defined here)
    route_catches: list[tuple[str, str, Span, str, bool]] = field(default_factory=list)
    first_party: frozenset[str] = frozenset()  # top-level packages of the sample


@dataclass
class _ModuleScanner(ast.NodeVisitor):
    """Collects handlers, raises and catches of one module into ``scan``."""

    facts: ModuleFacts
    imports: ImportMap
    routes: frozenset[tuple[str, int]]  # (function name, def line) of the module's routes
    scan: _Scan
    functions: list[str | None] = field(default_factory=list)  # route name, or None
    validators: int = 0  # depth inside Pydantic validators (their errors become 422s)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._function(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        is_route = (node.name, node.lineno) in self.routes
        validator = any(
            (ast_dotted(d.func if isinstance(d, ast.Call) else d) or "").endswith("validator")
            for d in node.decorator_list
        )
        self.functions.append(node.name if is_route else None)
        self.validators += validator
        self.generic_visit(node)
        self.validators -= validator
        self.functions.pop()

    def visit_Raise(self, node: ast.Raise) -> None:
        if node.exc is not None and not self.validators:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = resolve(target, self.imports)
            if name is not None:
                self.scan.raised.setdefault(name, (self.facts.path, node.lineno))
        self.generic_visit(node)

    def _looks_own(self, node: ast.expr, name: str) -> bool:
        """An ``...Error`` of the sample: imported from its packages, or a bare unknown name."""
        if not name.rsplit(".", 1)[-1].endswith(("Error", "Exception")):
            return False
        if isinstance(node, ast.Name) and node.id not in self.imports.names:
            return not name.startswith("builtins.")
        head = (ast_dotted(node) or "").split(".", 1)[0]
        return head in self.imports.names and name.split(".", 1)[0] in self.scan.first_party

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        route = next((name for name in reversed(self.functions) if name is not None), None)
        for caught in caught_types(node):
            name = resolve(caught, self.imports)
            if name is None:
                continue
            if route is not None:
                span = Span(node.lineno, node.col_offset + 1, node.lineno, node.col_offset + 1)
                own = self._looks_own(caught, name)
                self.scan.route_catches.append((name, self.facts.path, span, route, own))
            elif not reraises(node):
                self.scan.caught.add(name)
        self.generic_visit(node)


def _mapped_exceptions(
    tree: ast.Module, imports: ImportMap, exceptions: frozenset[str]
) -> set[str]:
    """Exception classes used as keys of a dict literal: a central error-to-response table.

    ``{PermissionDenied: "forbidden", NoEntryFound: "not found"}`` that a base controller looks
    up for every route maps those errors in one place, which is what a handler is for.
    """
    mapped: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict):
            continue
        names = [resolve(key, imports) or "" for key in node.keys if key is not None]
        if len(names) >= 2 and all(
            name in exceptions or name.rsplit(".", 1)[-1].endswith(("Error", "Exception"))
            for name in names
        ):
            mapped.update(names)
    return mapped


def _schema_value_error(
    name: str, raised: tuple[str, int] | None, bases: Mapping[str, tuple[str, ...]]
) -> bool:
    """A ``ValueError``/``TypeError`` subclass raised in the schema layer (``schemas/``).

    Parsing helpers of Pydantic models raise these so that Pydantic reports a 422
    ``ValidationError``; they do not reach the app as an unhandled domain error.
    """
    if raised is None or not any(part in SCHEMA_DIRS for part in raised[0].split("/")[:-1]):
        return False
    return any(base.rsplit(".", 1)[-1] in VALIDATION_BASES for base in bases.get(name, ()))


@dataclass(frozen=True)
class _Coverage:
    """Which exceptions a registered handler (or code that catches them) deals with."""

    handled: frozenset[str]
    caught: frozenset[str]
    bases: Mapping[str, tuple[str, ...]]

    def covers(self, name: str) -> bool:
        """Whether ``name`` or one of its bases is handled, caught, or answered by FastAPI.

        Class names are compared too, for classes a package re-exports under another path.
        """
        if self.handled & CATCH_ALL:
            return True
        short_handled = {handled.rsplit(".", 1)[-1] for handled in self.handled}
        seen: set[str] = set()
        todo = [name]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self.handled | self.caught | DEFAULT_HANDLED:
                return True
            if current.rsplit(".", 1)[-1] in short_handled:
                return True
            todo.extend(self.bases.get(current, ()))
        return False


class ExceptionHandlers(ProjectCheck):
    """Custom exceptions without a registered exception handler.

    ## What it does
    Indexes the sample's own exception classes (subclasses of builtin or library errors, not of
    ``HTTPException``) and every handler registered with ``@app.exception_handler(X)``,
    ``app.add_exception_handler(X, ...)`` or ``FastAPI(exception_handlers={X: ...})``. Reports
    a class that is raised somewhere (outside tests) when no handler covers it or a base class,
    and a route handler that catches such an exception to translate it by hand. An exception
    that non-route code catches and deals with (without re-raising) counts as handled, and so
    does everything when a handler for ``Exception`` exists. Handlers are matched by qualified
    name, or by class name when a package re-exports the class. Raises inside Pydantic
    validators do not count (Pydantic turns their errors into a 422). An exception that a route
    catches is reported once, at that catch, not again where the class is defined, and classes
    that key a dict of exceptions (a central error-to-response table a base controller looks
    up) are not reported where they are defined (a route that still catches one by hand is),
    nor are ``ValueError`` subclasses raised in the schema layer (Pydantic parsing helpers).

    ## Why is this bad?
    Without a handler a domain error escapes as a bare 500, or every route repeats the same
    try/except to turn it into a response; one handler per error (or per base class) gives each
    error one status and one body.
    """

    id = "exception-handlers"
    summary = "custom exception is raised or caught in routes but has no exception handler"
    good: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/services/errors.py": (
                    "class AppError(Exception):\n    pass\n\n\n"
                    "class NotFoundError(AppError):\n    pass\n\n\n"
                    "class UserNotFoundError(NotFoundError):\n    pass\n"
                ),
                "app/services/users.py": (
                    "from app.services.errors import UserNotFoundError\n\n\n"
                    "async def get_user(repo: object, user_id: int) -> object:\n"
                    "    user = await repo.get(user_id)\n"
                    "    if user is None:\n        raise UserNotFoundError(user_id)\n"
                    "    return user\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI, Request\n"
                    "from fastapi.responses import JSONResponse\n\n"
                    "from app.services.errors import NotFoundError\n\n"
                    "app = FastAPI()\n\n\n"
                    "@app.exception_handler(NotFoundError)\n"
                    "async def not_found(request: Request, exc: NotFoundError) -> JSONResponse:\n"
                    "    return JSONResponse(status_code=404, content={'detail': str(exc)})\n\n\n"
                    "@app.get('/health')\nasync def health() -> dict[str, str]:\n"
                    "    return {}\n"
                ),
            },
            hits=0,
            note="a handler for the base class covers the raised subclass",
        ),
        Case(
            files={
                "app/core/errors.py": (
                    "class ConflictError(Exception):\n    pass\n\n\n"
                    "class RateLimitedError(Exception):\n    pass\n"
                ),
                "app/core/__init__.py": "from app.core.errors import ConflictError\n",
                "app/services/items.py": (
                    "from app.core import errors as e\n\n\n"
                    "def add(item: object) -> None:\n"
                    "    raise e.ConflictError(item)\n\n\n"
                    "def limited() -> None:\n    raise e.RateLimitedError()\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.core import ConflictError\n"
                    "from app.core.errors import RateLimitedError\n"
                    "from app.handlers import conflict, limited\n\n"
                    "app = FastAPI(exception_handlers={RateLimitedError: limited})\n"
                    "app.add_exception_handler(ConflictError, conflict)\n\n\n"
                    "@app.post('/items')\nasync def create() -> None:\n    pass\n"
                ),
            },
            hits=0,
            note="add_exception_handler, exception_handlers=, a re-exported class, module alias",
        ),
        Case(
            files={
                "app/services/sync.py": (
                    "import logging\n\nlogger = logging.getLogger(__name__)\n\n\n"
                    "class RetryLaterError(Exception):\n    pass\n\n\n"
                    "class FakeError(Exception):\n    pass\n\n\n"
                    "async def pull(client: object) -> None:\n"
                    "    for _ in range(3):\n"
                    "        try:\n            await fetch(client)\n"
                    "        except RetryLaterError:\n"
                    "            logger.warning('retrying')\n\n\n"
                    "async def fetch(client: object) -> None:\n"
                    "    if not await client.ready():\n        raise RetryLaterError\n"
                ),
                "app/schemas/slug.py": (
                    "from pydantic import BaseModel, field_validator\n\n\n"
                    "class SlugFormatError(ValueError):\n    pass\n\n\n"
                    "class Page(BaseModel):\n    slug: str\n\n"
                    "    @field_validator('slug')\n    @classmethod\n"
                    "    def check(cls, value: str) -> str:\n"
                    "        if ' ' in value:\n            raise SlugFormatError(value)\n"
                    "        return value\n"
                ),
                "tests/test_sync.py": (
                    "from app.services.sync import FakeError\n\n\n"
                    "def test_fail() -> None:\n    raise FakeError\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                    "@app.get('/ping')\nasync def ping() -> str:\n"
                    "    try:\n        return await pong()\n"
                    "    except (ValueError, httpx.HTTPError):\n        raise\n"
                ),
            },
            hits=0,
            note="caught by the code that raises it, raised only in tests or in a validator",
        ),
        Case(
            files={
                "app/core/errors.py": "class AppError(Exception):\n    pass\n",
                "app/main.py": (
                    "from fastapi import FastAPI, Request\n\nfrom app.core.errors import"
                    " AppError\n\n"
                    "app = FastAPI()\n\n\n"
                    "@app.exception_handler(Exception)\n"
                    "async def crash(request: Request, exc: Exception) -> None:\n"
                    "    pass\n\n\n"
                    "@app.get('/x')\nasync def x() -> None:\n    raise AppError\n"
                ),
            },
            hits=0,
            note="a catch-all handler covers every exception",
        ),
        Case(
            files={
                "app/core/errors.py": (
                    "class Forbidden(Exception):\n    pass\n\n\n"
                    "class Missing(Exception):\n    pass\n\n\n"
                    "def known_errors() -> dict[type[Exception], str]:\n"
                    "    return {Forbidden: 'forbidden', Missing: 'not found'}\n"
                ),
                "app/services/notes.py": (
                    "from app.core.errors import Forbidden\n\n\n"
                    "def edit(note: object, user: object) -> None:\n"
                    "    if note.owner != user:\n        raise Forbidden()\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                    "@app.get('/notes')\nasync def notes() -> list[str]:\n    return []\n"
                ),
            },
            hits=0,
            note="errors mapped to messages in one table that the controllers look up",
        ),
        Case(
            files={
                "app/schemas/durations.py": (
                    "class DurationFormatError(ValueError):\n    pass\n\n\n"
                    "def parse_duration(text: str) -> int:\n"
                    "    if not text.endswith('s'):\n        raise DurationFormatError(text)\n"
                    "    return int(text[:-1])\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
                    "@app.get('/jobs')\nasync def jobs() -> list[str]:\n    return []\n"
                ),
            },
            hits=0,
            note="a ValueError subclass of the schema layer's parsing helpers (a 422 via Pydantic)",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "@router.get('/{user_id}')\n"
            "async def read_user(user_id: int, service: UserServiceDep) -> UserRead:\n"
            "    try:\n        return await service.get_user(user_id)\n"
            "    except UserNotFoundError as exc:\n"
            "        raise HTTPException(\n"
            "            status_code=status.HTTP_404_NOT_FOUND, detail='User not found'\n"
            "        ) from exc\n",
            path="app/routers/users.py",
            note="a route translates a domain error by hand (the class lives elsewhere)",
        ),
        Case(
            files={
                "app/services/errors.py": (
                    "class AppError(Exception):\n    pass\n\n\n"
                    "class NotFoundError(AppError):\n    pass\n\n\n"
                    "class ConflictError(AppError):\n    pass\n"
                ),
                "app/services/users.py": (
                    "from app.services import errors\n\n\n"
                    "async def register(repo: object, email: str) -> None:\n"
                    "    if await repo.exists(email):\n        raise errors.ConflictError(email)\n"
                ),
                "app/main.py": (
                    "from fastapi import FastAPI\n\nfrom app.services.errors import NotFoundError\n"
                    "from app.routers import users\n\n"
                    "app = FastAPI()\napp.include_router(users.router)\n"
                    "app.add_exception_handler(NotFoundError, not_found_handler)\n"
                ),
                "app/routers/users.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.post('/users')\nasync def create() -> None:\n    pass\n"
                ),
            },
            hits=1,
            note="a sibling of the handled class is raised and has no handler",
        ),
        Case(
            files={
                "app/core/errors.py": "class QuotaError(RuntimeError):\n    pass\n",
                "app/routers/items.py": (
                    "from fastapi import APIRouter, HTTPException\n\n"
                    "from app.core.errors import QuotaError\n\n"
                    "router = APIRouter()\n\n\n"
                    "class ItemViews:\n"
                    "    @router.post('/items', status_code=201)\n"
                    "    async def create(self) -> None:\n"
                    "        try:\n            await add()\n"
                    "        except QuotaError:\n"
                    "            raise HTTPException(429, detail='Quota reached')\n\n\n"
                    "async def add() -> None:\n    raise QuotaError\n"
                ),
            },
            hits=1,
            note="caught in a class-based route method to translate it by hand (reported once, "
            "at the catch)",
        ),
    )

    def applies(self) -> bool:
        """Samples with routes or an app."""
        return any(module.apps for module in self.project.modules) or any(
            is_route_owner(route.owner, self.project)
            for module in self.project.modules
            for route in module.routes
        )

    def run(self) -> Iterator[Hit]:
        """Report unhandled exceptions where they are defined, and catches in routes."""
        custom = self._custom_exceptions()
        scan = self._scan()
        coverage = _Coverage(
            frozenset(scan.handled),
            frozenset(scan.caught),
            {fact.name: fact.bases for module in self.project.modules for fact in module.classes},
        )
        # An exception a route catches is reported once, at the catch that translates it.
        caught_by_routes = {catch[0] for catch in scan.route_catches}
        for name, (path, span) in custom.items():
            if name in caught_by_routes or name in scan.mapped:
                continue  # translated at the catch, or by the central table
            if _schema_value_error(name, scan.raised.get(name), coverage.bases):
                continue
            if name in scan.raised and not coverage.covers(name):
                where, line = scan.raised[name]
                short = name.rsplit(".", 1)[-1]
                yield Hit(
                    path,
                    span,
                    f"`{short}` is raised ({where}:{line}) but no exception handler is "
                    f"registered for it or a base class; register one, e.g. "
                    f"`@app.exception_handler({short})`",
                )
        for name, path, span, route, looks_own in scan.route_catches:
            short = name.rsplit(".", 1)[-1]
            own = name in custom or (looks_own and name not in coverage.bases)
            if own and not coverage.covers(name):
                yield Hit(
                    path,
                    span,
                    f"route `{route}` catches `{short}` to translate it by hand; register an "
                    "exception handler for it (or a base class) and let it propagate",
                )

    def _custom_exceptions(self) -> dict[str, tuple[str, Span]]:
        """The sample's own non-HTTP exception classes outside tests, with where they are."""
        exceptions = exception_classes(self.project) - self.project.subclasses_of(HTTP_EXCEPTIONS)
        return {
            fact.name: (module.path, fact.span)
            for module in self.project.modules
            if not is_test_path(module.path)
            for fact in module.classes
            if fact.name in exceptions
        }

    def _scan(self) -> _Scan:
        exceptions = exception_classes(self.project)
        scan = _Scan(first_party=frozenset(m.module.split(".", 1)[0] for m in self.project.modules))
        for module in self.project.modules:
            tree = self.project.trees.get(module.path)
            if tree is None or is_test_path(module.path):
                continue
            routes = frozenset(
                (route.function, route.span.line)
                for route in module.routes
                if is_route_owner(route.owner, self.project)
            )
            imports = import_map(tree, module.module)
            for handled, _ in handler_registrations(tree):
                name = resolve(handled, imports)
                if name is not None:
                    scan.handled.add(name)
            scan.mapped.update(_mapped_exceptions(tree, imports, exceptions))
            _ModuleScanner(module, imports, routes, scan).visit(tree)
        return scan
