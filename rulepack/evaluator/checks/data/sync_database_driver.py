"""sync-database-driver: sync SQLAlchemy engines, sessions or DB-API drivers in an async app."""

from __future__ import annotations

from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.base import Case, ProjectFacts
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
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted

DRIVERS = (*DB_PACKAGES, "sqlite3", "psycopg2", "psycopg", "pymysql", "MySQLdb", "mysql")
ADVICE = {
    Kind.SYNC_ENGINE: "use `create_async_engine` with an async driver (asyncpg, aiosqlite)",
    Kind.SYNC_SESSION_FACTORY: "use `async_sessionmaker` (or `sessionmaker(class_=AsyncSession)`)",
    Kind.SYNC_SESSION: "use `AsyncSession`",
    Kind.DB_CONNECTION: "use an async driver (asyncpg, aiosqlite, aiomysql, psycopg's "
    "`AsyncConnection`) or SQLAlchemy's async engine",
}

_ASYNC_APP = (
    "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
    "@app.get('/health')\nasync def health() -> dict[str, str]:\n    return {}\n"
)


def is_sync_app(project: ProjectFacts) -> bool:
    """Whether the sample has route handlers and every one of them is a plain ``def``."""
    routes = [
        route for module in project.modules if is_app_module(module) for route in module.routes
    ]
    return bool(routes) and not any(route.is_async for route in routes)


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
    cover.

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
        self.report(node, f"`{name}(...)` sets up a {kind.value} in an async app; {ADVICE[kind]}")

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
