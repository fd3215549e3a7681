"""sync-database-driver: sync SQLAlchemy engines, sessions or DB-API drivers in an async app."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.base import Case, Hit, ProjectFacts
from rulepack.evaluator.checks.common import imports_any
from rulepack.evaluator.checks.data.kinds import Kind
from rulepack.evaluator.checks.data.layout import is_app_module
from rulepack.evaluator.checks.data.resolve import (
    CONSTRUCTOR_TARGETS,
    DEPENDS_TARGETS,
    TYPE_TARGETS,
)
from rulepack.evaluator.checks.data.scopes import ScopedCheck, parameters
from rulepack.evaluator.checks.data.shapes import Form, of_cst
from rulepack.evaluator.checks.data.support import DB_PACKAGES
from rulepack.evaluator.checks.facts import ModuleFacts, RouteFact, Span
from rulepack.evaluator.checks.imports import dotted

DRIVERS = (*DB_PACKAGES, "sqlite3", "psycopg2", "psycopg", "pymysql", "MySQLdb", "mysql")
ADVICE = {
    Kind.SYNC_ENGINE: "use `create_async_engine` with an async driver (asyncpg, aiosqlite)",
    Kind.SYNC_SESSION_FACTORY: "use `async_sessionmaker` (or `sessionmaker(class_=AsyncSession)`)",
    Kind.SYNC_SESSION: "use `AsyncSession`",
    Kind.DB_CONNECTION: "use an async driver (asyncpg, aiosqlite, aiomysql, psycopg's "
    "`AsyncConnection`) or SQLAlchemy's async engine",
}

# Async factories: a module importing one next to sync factories offers both on purpose.
ASYNC_FACTORIES = frozenset(
    f"{module}.{name}"
    for module in ("sqlalchemy.ext.asyncio", "sqlmodel.ext.asyncio")
    for name in ("create_async_engine", "async_sessionmaker")
)
SYNC_RUNNERS = ("apscheduler", "celery", "rq")  # sync job runners, in their own processes
_ON_PURPOSE = (
    "check that this sync access is used only off the event loop (schedulers, workers, "
    "scripts): the module also sets up async access or serves a sync job runner. "
)

_ASYNC_APP = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    "@app.get('/health')\nasync def health() -> dict[str, str]:\n    return {}\n"
)


# Words that name database access in a route's signature or body (sessions, connections,
# engines, repositories, CRUD helpers); an async route that names none of them does no visible
# database work.
_DB_WORDS = re.compile(r"session|(?:^|_)db(?:$|_)|database|engine|repo|crud|conn|cursor", re.I)


def _identifiers(function: ast.AST) -> Iterator[str]:
    """Every name, attribute and parameter name in ``function``."""
    for node in ast.walk(function):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.arg):
            yield node.arg


def _function_at(tree: ast.Module, route: RouteFact) -> ast.AsyncFunctionDef | None:
    """The ``async def`` of ``route`` in its module's tree."""
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.AsyncFunctionDef)
            and node.name == route.function
            and route.span.line <= node.lineno <= route.span.end_line
        ):
            return node
    return None


def _uses_database(project: ProjectFacts, module: ModuleFacts, route: RouteFact) -> bool:
    """Whether an async route visibly works with the database (or cannot be read)."""
    tree = project.trees.get(module.path)
    function = _function_at(tree, route) if tree is not None else None
    if function is None:
        return True
    return any(_DB_WORDS.search(name) for name in _identifiers(function))


def _async_middleware(tree: ast.Module) -> Iterator[ast.AsyncFunctionDef]:
    """``async def`` functions registered with ``@app.middleware(...)``."""
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and any(
            isinstance(d, ast.Call)
            and isinstance(d.func, ast.Attribute)
            and d.func.attr == "middleware"
            for d in node.decorator_list
        ):
            yield node


def _middleware_uses_database(project: ProjectFacts) -> bool:
    """Whether an async HTTP middleware of the app works with the database (opens sessions)."""
    return any(
        _DB_WORDS.search(name)
        for module in project.modules
        if is_app_module(module) and module.path in project.trees
        for function in _async_middleware(project.trees[module.path])
        for name in _identifiers(function)
    )


def is_sync_app(project: ProjectFacts) -> bool:
    """Whether the sample is a sync app: its database work is done by plain ``def`` routes.

    Every route is a plain ``def``; or the plain ``def`` routes outnumber the async ones, no
    async route names a session, connection, engine, repository or CRUD helper and no async
    middleware does (a sync app with one ``async def`` health probe is still a sync app).
    """
    routes = [
        (module, route)
        for module in project.modules
        if is_app_module(module)
        for route in module.routes
    ]
    asynchronous = [(module, route) for module, route in routes if route.is_async]
    if not routes:
        return False
    if not asynchronous:
        return True
    if len(asynchronous) * 2 >= len(routes) or _middleware_uses_database(project):
        return False
    return not any(_uses_database(project, module, route) for module, route in asynchronous)


class SyncDatabaseDriver(ScopedCheck):
    """Sync SQLAlchemy engines and sessions or sync database drivers in an async application.

    ## What it does
    In application code (not tests, scripts or Alembic migrations) that imports a database
    library, reports calls that set up sync database access: ``create_engine`` (SQLAlchemy,
    SQLModel), ``sessionmaker``/``scoped_session`` without ``class_=AsyncSession``,
    ``Session(...)``,
    ``sqlite3.connect``, ``psycopg2.connect``, ``psycopg.connect``, ``pymysql.connect`` and
    ``MySQLdb.connect``, and parameters of route handlers or ``Depends`` dependencies typed as a
    sync ``Session``. Calls inside ``async def`` are left to ``blocking-in-async``, and calls in
    SQLAlchemy event listeners (``@event.listens_for``), which are always sync, are not reported;
    functions decorated by another framework's app (a Slack Bolt ``App``) are no routes. A
    sample whose route handlers are all plain ``def`` is a sync app, which the rule does not
    cover; so is one whose ``def`` routes outnumber its async ones when no async route or async
    middleware names a session, connection, engine, repository or CRUD helper (a sync app with an
    ``async def`` health probe).

    ## Why is this bad?
    A sync driver blocks the event loop for the length of every query, so one slow query stalls
    every concurrent request of the worker; the async engine and ``AsyncSession`` keep it free.
    """

    id = "sync-database-driver"
    summary = "sync database engine, session or driver in an async app"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, "
            "create_async_engine\nfrom sqlalchemy.orm import sessionmaker\n\n"
            "engine = create_async_engine('sqlite+aiosqlite://')\n"
            "factory = async_sessionmaker(engine)\n"
            "legacy = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)\n",
            path="app/core/database.py",
            note="async engine; sessionmaker making AsyncSession",
        ),
        Case(
            files={
                "app/main.py": (
                    "from fastapi import Depends, FastAPI\nfrom sqlalchemy import create_engine\n"
                    "from sqlalchemy.orm import Session\n\napp = FastAPI()\n"
                    "engine = create_engine('sqlite://')\n\n\n"
                    "@app.get('/items')\ndef items(db: Session = Depends(get_db)) -> list[int]:\n"
                    "    return []\n"
                ),
            },
            hits=0,
            note="a sync app (every route is def) may use the sync engine",
        ),
        Case(
            files={
                "app/db.py": (
                    "from sqlmodel import Session, create_engine\n\n"
                    "engine = create_engine('postgresql://db/shop')\n\n\n"
                    "def open_session() -> Session:\n    return Session(engine)\n"
                ),
                "app/routes/orders.py": (
                    "from fastapi import APIRouter, Depends\nfrom sqlmodel import Session\n\n"
                    "from app.db import open_session\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/orders')\n"
                    "def orders(db: Session = Depends(open_session)) -> list[int]:\n"
                    "    return []\n\n\n"
                    "@router.post('/orders')\n"
                    "def place(db: Session = Depends(open_session)) -> int:\n    return 1\n"
                ),
                "app/routes/probe.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/alive')\nasync def alive() -> bool:\n    return True\n"
                ),
            },
            hits=0,
            note="a sync app whose only async route is a probe that touches no database",
        ),
        Case(
            files={
                "app/main.py": _ASYNC_APP,
                "tests/conftest.py": (
                    "import sqlite3\n\nfrom sqlalchemy import create_engine\n\n"
                    "engine = create_engine('sqlite://')\nconn = sqlite3.connect(':memory:')\n"
                ),
                "alembic/env.py": (
                    "from sqlalchemy import engine_from_config, create_engine\n\n"
                    "connectable = create_engine(url)\n"
                ),
            },
            hits=0,
            note="tests and Alembic may use sync engines",
        ),
        Case.good(
            "from sqlalchemy import select\nfrom sqlalchemy.orm import Session\n\n\n"
            "def _count(session: Session) -> int:\n"
            "    return session.scalar(select(1)) or 0\n\n\n"
            "async def count(session: AsyncSession) -> int:\n"
            "    return await session.run_sync(_count)\n",
            note="a sync Session in a run_sync callback is not injected per request",
        ),
        Case(
            files={
                "app/models/review.py": (
                    "from fastapi import APIRouter\nfrom sqlalchemy import event\n"
                    "from sqlalchemy.orm import Session\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/reviews')\nasync def reviews() -> list[str]:\n"
                    "    return []\n\n\n"
                    "@event.listens_for(Review, 'after_insert')\n"
                    "def bump_average(mapper: object, connection: object, target: Review)"
                    " -> None:\n"
                    "    session = Session(bind=connection)\n"
                    "    recompute(session, target.book_id)\n"
                ),
                "app/chat/bot.py": "from slack_bolt import App\n\napp = App(token='x')\n",
                "app/chat/listeners.py": (
                    "from sqlalchemy.orm import Session\n\nfrom app.chat.bot import app\n\n\n"
                    "@app.options('tag_search')\n"
                    "def approve(ack: object, body: dict, db_session: Session) -> None:\n"
                    "    ack()\n"
                ),
            },
            hits=0,
            note="a Session in a mapper event listener; a Slack Bolt listener's argument",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case(
            files={
                "app/main.py": _ASYNC_APP,
                "app/core/database.py": (
                    "import sqlalchemy as sa\nfrom sqlalchemy import orm\n\n"
                    "engine = sa.create_engine('postgresql://db/app')\n"
                    "SessionLocal = orm.sessionmaker(bind=engine, autoflush=False)\n"
                ),
            },
            hits=2,
            note="aliased module imports in an async app",
        ),
        Case(
            files={
                "app/db.py": (
                    "from sqlmodel import Session, create_engine\n\n"
                    "engine = create_engine('postgresql://db/shop')\n"
                ),
                "app/routes/orders.py": (
                    "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
                    "@router.get('/a')\ndef a() -> int:\n    return 1\n\n\n"
                    "@router.get('/b')\ndef b() -> int:\n    return 2\n\n\n"
                    "@router.get('/orders')\nasync def orders() -> list[int]:\n"
                    "    with Session(engine) as session:\n        return []\n"
                ),
            },
            hits=1,
            note="mostly def routes, but an async route works with the session: an async app",
        ),
        Case(
            files={
                "app/main.py": _ASYNC_APP,
                "app/kit/engines.py": (
                    "from sqlalchemy import create_engine\n"
                    "from sqlalchemy.ext.asyncio import create_async_engine\n\n\n"
                    "def async_engine(dsn: str) -> object:\n"
                    "    return create_async_engine(dsn)\n\n\n"
                    "def blocking_engine(dsn: str) -> object:\n    return create_engine(dsn)\n"
                ),
            },
            hits=1,
            note="advisory: a module offering sync and async engines; callers decide",
        ),
        Case.bad(
            "import sqlite3 as lite\n\nimport psycopg2\n\n\ndef connect() -> object:\n"
            "    return lite.connect('app.db')\n\n\n"
            "def pg() -> object:\n    return psycopg2.connect(dsn='postgresql://db')\n",
            hits=2,
            path="app/db.py",
            note="sync DB-API drivers in helpers",
        ),
        Case.bad(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n"
            "from sqlalchemy.orm import Session\n\nfrom app.db import get_db\n\n"
            "router = APIRouter()\nDb = Annotated[Session, Depends(get_db)]\n\n\n"
            "@router.get('/a')\nasync def a(db: Session = Depends(get_db)) -> None:\n"
            "    pass\n\n\n"
            "@router.get('/b')\nasync def b(db: Db) -> None:\n    pass\n\n\n"
            "def dep(db: Annotated[Session, Depends(get_db)]) -> int:\n    return 1\n",
            hits=3,
            path="app/routers/items.py",
            note="sync sessions injected into routes and dependencies, also through an alias",
        ),
    )

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Application modules that import a database library, unless the app is sync."""
        return is_app_module(facts) and imports_any(facts, *DRIVERS) and not is_sync_app(project)

    def visit_Call(self, node: cst.Call) -> None:
        """Report sync engines, session factories, sessions and connections made outside async."""
        if self.in_async:
            return  # blocking-in-async reports these
        if self._in_event_listener():
            return  # SQLAlchemy calls listeners synchronously, with a sync Connection, always
        kind = self.resolver.match(dotted(node.func), CONSTRUCTOR_TARGETS)
        if kind not in ADVICE:
            return
        if kind is Kind.SYNC_SESSION_FACTORY:
            kind = self.resolver.value_kind(of_cst(node))
            if kind is not Kind.SYNC_SESSION_FACTORY:
                return
        name = dotted(node.func) or "call"
        message = f"`{name}(...)` sets up a {kind.value} in an async app; {ADVICE[kind]}"
        if self._sync_on_purpose():
            span = Span.of(self.get_metadata(PositionProvider, node))
            self.hits.append(Hit(self.context.path, span, _ON_PURPOSE + message, advisory=True))
            return
        self.report(node, message)

    def _sync_on_purpose(self) -> bool:
        """The module also sets up async access, or serves a sync job runner.

        A module offering both factories (``create_sync_engine`` next to
        ``create_async_engine``) or importing APScheduler, Celery or RQ provides sync access
        for processes off the event loop; whether it is used on the loop is in its callers.
        """
        imported = self.context.facts.imported
        return bool(ASYNC_FACTORIES.intersection(imported)) or imports_any(
            self.context.facts, *SYNC_RUNNERS
        )

    def _in_event_listener(self) -> bool:
        """Inside a function registered with ``@event.listens_for(...)``.

        Mapper and session events run synchronously even under ``AsyncSession`` (in its
        greenlet, with a sync ``Connection``), so a ``Session(bind=connection)`` there is how
        an async app writes from an event too.
        """
        for frame in self.frames:
            node = frame.node
            if isinstance(node, cst.FunctionDef) and any(
                (
                    dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
                    or ""
                ).endswith("listens_for")
                for d in node.decorators
            ):
                return True
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Report sync ``Session`` parameters of route handlers and ``Depends`` dependencies."""
        super().visit_FunctionDef(node)
        is_route = self.frame is not None and self.frame.is_route
        for param in parameters(node.params):
            if self.param_kind(param) is not Kind.SYNC_SESSION:
                continue
            if is_route or self._injected(param):
                self.report(
                    param,
                    f"`{param.name.value}` is injected as a sync `Session` in an async app; "
                    "inject an `AsyncSession` from an `async_sessionmaker`",
                )

    def _injected(self, param: cst.Param) -> bool:
        """Whether a parameter is filled by ``Depends`` (default, ``Annotated`` or alias)."""
        if param.default is not None and self._is_depends(of_cst(param.default).name):
            return True
        if param.annotation is None:
            return False
        shape = of_cst(param.annotation.annotation)
        if shape.form is Form.SUBSCRIPT:
            return any(
                arg.form is Form.CALL and self._is_depends(arg.name) for arg in shape.args[1:]
            )
        if shape.form is not Form.NAME:
            return False
        if self.resolver.match(shape.name, TYPE_TARGETS) is not None:
            return False  # the class itself, not an alias
        return self.resolver.annotation_kind(shape) is not None  # an ``Annotated`` alias

    def _is_depends(self, name: str | None) -> bool:
        found: bool | None = self.resolver.match(name, DEPENDS_TARGETS)
        return found is not None
