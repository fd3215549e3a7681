"""di-bypass: sessions, clients and services constructed inside route handlers."""

from __future__ import annotations

import re
from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.base import Case, ModuleContext
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck
from rulepack.evaluator.checks.routes.naming import squashed
from rulepack.evaluator.checks.routes.sample import resolve

SESSION_CLASSES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.ext.asyncio.AsyncSession",
        "sqlalchemy.ext.asyncio.session.AsyncSession",
        "sqlmodel.Session",
        "sqlmodel.ext.asyncio.session.AsyncSession",
    }
)
SESSION_FACTORIES = frozenset(
    {
        "sqlalchemy.orm.sessionmaker",
        "sqlalchemy.orm.session.sessionmaker",
        "sqlalchemy.ext.asyncio.async_sessionmaker",
        "sqlalchemy.ext.asyncio.session.async_sessionmaker",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.ext.asyncio.async_scoped_session",
    }
)
CLIENTS = frozenset(
    {
        "httpx.AsyncClient",
        "httpx.Client",
        "aiohttp.ClientSession",
        "requests.Session",
        "requests.session",
        "redis.Redis",
        "redis.StrictRedis",
        "redis.from_url",
        "redis.Redis.from_url",
        "redis.asyncio.Redis",
        "redis.asyncio.from_url",
        "redis.asyncio.Redis.from_url",
        "redis.asyncio.client.Redis",
        "aioredis.Redis",
        "aioredis.from_url",
        "motor.motor_asyncio.AsyncIOMotorClient",
        "pymongo.MongoClient",
        "boto3.client",
        "boto3.resource",
    }
)
# Conventional names of session factories and session dependencies, squashed.
SESSION_NAMES = frozenset(
    {
        "sessionlocal",
        "asyncsessionlocal",
        "asyncsession",
        "asyncsessionmaker",
        "asyncsessionfactory",
        "sessionfactory",
        "sessionmaker",
        "getdb",
        "getsession",
        "getdbsession",
        "getasyncsession",
        "getasyncdb",
    }
)
SERVICE_CLASS = re.compile(r"^[A-Z]\w*(Service|Repository|Repo)$")


class DiBypass(RouteCheck):
    """Sessions, clients and services built inside route handlers instead of injected.

    ## What it does
    In a route handler's body, finds calls that create a database session (``SessionLocal()``,
    ``async_session()``, ``sessionmaker(...)()``, ``Session(engine)``, any factory the sample
    assigns from ``sessionmaker``/``async_sessionmaker``), call a session dependency directly
    (``get_db()``, ``get_session()``), create an HTTP, Redis, Mongo or AWS client
    (``httpx.AsyncClient()``, ``redis.asyncio.Redis()``, ``boto3.client()`` ...) or construct a
    ``*Service``/``*Repository`` class. Dependencies and other functions may build these: only
    route handlers are checked. One finding per line.

    ## Why is this bad?
    Dependencies put setup and cleanup in one place, are cached per request and can be replaced
    in tests with ``app.dependency_overrides``; a handler that builds its own session or client
    can do none of that.
    """

    id = "di-bypass"
    summary = "route handler builds a session, client or service; inject it with `Depends`"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from typing import Annotated\n\nfrom fastapi import APIRouter, Depends\n\n"
            "router = APIRouter(prefix='/api/v1/users', tags=['users'])\n\n\n"
            "@router.get('/{user_id}')\nasync def get_user(\n    user_id: int,\n"
            "    service: Annotated[UserService, Depends(get_user_service)],\n) -> UserRead:\n"
            "    return await service.get_user(user_id)\n"
        ),
        Case.good(
            "from typing import Annotated\n\nimport httpx\nfrom fastapi import Depends, FastAPI\n"
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker\n\n"
            "session_factory = async_sessionmaker()\napp = FastAPI()\n\n\n"
            "async def get_session():\n    async with session_factory() as session:\n"
            "        yield session\n\n\n"
            "def get_user_service(session: Annotated[AsyncSession, Depends(get_session)]):\n"
            "    return UserService(UserRepository(session))\n\n\n"
            "@app.get('/users')\nasync def users(\n"
            "    service: Annotated[UserService, Depends(get_user_service)],\n"
            "    client: Annotated[httpx.AsyncClient, Depends(get_client)],\n) -> list[str]:\n"
            "    result = await service.list_users(store.get_session('abc'))\n"
            "    return UserRead.from_service(result)\n",
            note="dependencies may build sessions and services; method calls on objects",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter\n\n"
            "router = APIRouter(prefix='/api/v1/users', tags=['users'])\n\n\n"
            "@router.get('/{user_id}')\nasync def get_user(user_id: int) -> UserRead:\n"
            "    async with async_session() as session:\n"
            "        service = UserService(UserRepository(session))\n"
            "        return await service.get_user(user_id)\n",
            hits=2,
        ),
        Case(
            files={
                "app/db.py": (
                    "from sqlalchemy.orm import sessionmaker as maker\n\n"
                    "MakeSession = maker()\n\n\n"
                    "def get_db():\n    db = MakeSession()\n    yield db\n"
                ),
                "app/main.py": (
                    "import httpx as h\nfrom fastapi import FastAPI\nfrom redis import asyncio as "
                    "aioredis\nfrom sqlalchemy.orm import Session, sessionmaker\n\n"
                    "from app import db as database\nfrom app.db import MakeSession\n\n"
                    "app = FastAPI()\n\n\n"
                    "@app.get('/a', tags=['a'])\n@cache(expire=60)\nasync def a() -> None:\n"
                    "    s = MakeSession()\n\n\n"
                    "@app.get('/b')\nasync def b() -> None:\n    s = next(database.get_db())\n\n\n"
                    "@app.get('/c')\nasync def c() -> None:\n"
                    "    async with h.AsyncClient() as client:\n        pass\n\n\n"
                    "@app.get('/d')\nasync def d() -> None:\n"
                    "    r = aioredis.Redis()\n    s = Session(bind=engine)\n"
                    "    t = sessionmaker(bind=engine)()\n"
                ),
            },
            hits=6,
            note="a factory of another module, a dependency called directly, aliased clients",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no line reported."""
        super().__init__(context)
        self._lines: set[tuple[Handler, int]] = set()

    def visit_Call(self, node: cst.Call) -> None:
        """Report constructions in a handler's body (one per line)."""
        handler = self.handler
        if handler is None:
            return
        what = self._built(node.func)
        if what is None:
            return
        line = self.get_metadata(PositionProvider, node).start.line
        if (handler, line) in self._lines:
            return
        self._lines.add((handler, line))
        self.report(
            node,
            f"route handler `{handler.name}` {what} itself; declare it as a dependency "
            "(`Annotated[..., Depends(...)]` parameter) so it is shared, cleaned up and "
            "replaceable in tests",
        )

    def _built(self, func: cst.BaseExpression) -> str | None:
        if isinstance(func, cst.Call):  # sessionmaker(...)()
            inner = self.qualified(func.func)
            return (
                "opens a session with `sessionmaker(...)()`" if inner in SESSION_FACTORIES else None
            )
        qualified = self.qualified(func)
        if qualified is None or not self._is_global(func):
            return None
        name = self.source(func)
        last = qualified.rsplit(".", 1)[-1]
        if self._is_session(qualified):
            return f"opens a session with `{name}()`"
        if qualified in CLIENTS:
            return f"creates a client with `{name}()`"
        if SERVICE_CLASS.match(last):
            return f"constructs `{last}`"
        return None

    def _is_session(self, qualified: str) -> bool:
        """A session class, a session factory of the sample, or a conventional session name."""
        if qualified in SESSION_CLASSES or squashed(qualified.rsplit(".", 1)[-1]) in SESSION_NAMES:
            return True
        return self._is_session_factory(qualified)

    def _is_global(self, func: cst.BaseExpression) -> bool:
        """A module-level name or an attribute of an imported module, not a method of an object."""
        head = func
        while isinstance(head, cst.Attribute):
            head = head.value
        if not isinstance(head, cst.Name):
            return False
        return isinstance(func, cst.Name) or head.value in self.context.imports.names

    def _is_session_factory(self, qualified: str) -> bool:
        found = self.index.assigned_call(qualified)
        if found is None:
            return False
        call, imports = found
        return resolve(call.func, imports) in SESSION_FACTORIES
