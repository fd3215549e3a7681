"""per-request-pool: engines and client pools created inside functions that run per request."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

import libcst as cst

from rulepack.evaluator.checks.ast_facts import ast_dotted, walk
from rulepack.evaluator.checks.base import Case, ModuleContext, ProjectFacts
from rulepack.evaluator.checks.common import imports_any
from rulepack.evaluator.checks.data.kinds import Kind
from rulepack.evaluator.checks.data.layout import is_app_module
from rulepack.evaluator.checks.data.resolve import CONSTRUCTOR_TARGETS, Targets
from rulepack.evaluator.checks.data.scopes import ScopedCheck
from rulepack.evaluator.checks.data.support import last_name, source
from rulepack.evaluator.checks.facts import ModuleFacts
from rulepack.evaluator.checks.imports import dotted

POOLS = frozenset(
    {
        Kind.SYNC_ENGINE,
        Kind.ASYNC_ENGINE,
        Kind.HTTPX_ASYNC,
        Kind.HTTPX_SYNC,
        Kind.AIOHTTP,
        Kind.ASYNC_REDIS,
        Kind.SYNC_REDIS,
    }
)
NULL_POOL = Targets.of(
    {
        "sqlalchemy.pool.NullPool": True,
        "sqlalchemy.NullPool": True,
        "sqlalchemy.pool.impl.NullPool": True,
    }
)
CACHES = frozenset({"lru_cache", "cache", "cached", "alru_cache", "cached_property"})
# Functions that run once per process: app factories, lifecycle hooks, entry points.
ONCE = re.compile(
    r"^_*(?:lifespan|main|cli|create_app|make_app|build_app|get_app|app_factory|"
    r"(?:on_)?startup|(?:on_)?shutdown|init|initialize|setup|set_up|connect|start|open|"
    r"bootstrap|configure)(?:_\w*)?$|^__(?:init|aenter|enter|post_init)__$|lifespan"
)
PACKAGES = ("sqlalchemy", "sqlmodel", "httpx", "aiohttp", "redis", "aioredis")
WORDS = re.compile(r"\b(?:create_async_engine|create_engine|AsyncClient|ClientSession|NullPool)\b")


def _once_called(tree: ast.Module) -> frozenset[str]:
    """Names of functions called from lifespan and startup functions of the module."""
    called: set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and ONCE.search(node.name):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Call):
                    called.add(last_name(ast_dotted(inner.func)))
    called.discard("")
    return frozenset(called)


def _module_level_calls(tree: ast.Module) -> frozenset[str]:
    """Names of functions the module calls at import time (``engine = make_engine(URL)``).

    A factory whose result the module keeps in a global builds the shared pool once.
    """
    called: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for inner in ast.walk(statement):
            if isinstance(inner, ast.Call):
                called.add(last_name(ast_dotted(inner.func)))
    called.discard("")
    return frozenset(called)


def _lifespan_arguments(tree: ast.Module) -> frozenset[str]:
    """Names passed as ``lifespan=`` or ``on_startup=[...]`` in the module."""
    names: set[str] = set()
    for node in walk(tree):
        if isinstance(node, ast.keyword) and node.arg in {"lifespan", "on_startup"}:
            for inner in ast.walk(node.value):
                if isinstance(inner, ast.Name):
                    names.add(inner.id)
    return frozenset(names)


class PerRequestPool(ScopedCheck):
    """Engines and HTTP or Redis client pools created per call instead of once per process.

    ## What it does
    In application code, reports ``create_engine``, ``create_async_engine``, ``httpx.AsyncClient``,
    ``httpx.Client``, ``aiohttp.ClientSession`` and Redis clients (``redis.asyncio.Redis(...)``,
    ``Redis.from_url``) constructed inside a function: route handlers, dependencies and helpers run
    per request. Module scope is the right place, and so are functions that run once: lifespan
    functions (``lifespan=...``, ``@asynccontextmanager`` functions named ``*lifespan*``),
    startup hooks, functions called from them, functions cached with ``lru_cache``/``cache``, app
    factories and lifecycle methods (``create_app``, ``init_*``, ``setup_*``, ``connect``,
    ``main``, ``__init__``). Also reports ``poolclass=NullPool`` in application code (Alembic
    environments, which import ``alembic``, are not application code).

    ## Why is this bad?
    A pool created per request opens new connections every time and never reuses them, which adds
    connection latency to each request and exhausts the database's connection limit under load.
    """

    id = "per-request-pool"
    summary = "engine or client pool created per request"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from contextlib import asynccontextmanager\nfrom functools import lru_cache\n\n"
            "import httpx\nfrom fastapi import FastAPI\n"
            "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
            "engine = create_async_engine('sqlite+aiosqlite://')\n\n\n"
            "async def init_clients(app: FastAPI) -> None:\n"
            "    app.state.http = httpx.AsyncClient()\n\n\n"
            "async def warm(app: FastAPI) -> None:\n    app.state.other = httpx.AsyncClient()\n\n\n"
            "@asynccontextmanager\nasync def lifespan(app: FastAPI):\n"
            "    async with httpx.AsyncClient(timeout=5) as client:\n"
            "        app.state.client = client\n        await warm(app)\n        yield\n\n\n"
            "@lru_cache\ndef get_engine() -> object:\n"
            "    return create_async_engine('sqlite+aiosqlite://')\n\n\n"
            "def create_app() -> FastAPI:\n"
            "    app = FastAPI(lifespan=lifespan, on_startup=[init_clients])\n"
            "    return app\n",
            note="module scope, lifespan, startup hooks and what they call, cached factories",
        ),
        Case.good(
            "import httpx\n\n\nclass GitHub:\n    def __init__(self, token: str) -> None:\n"
            "        self._client = httpx.AsyncClient(headers={'Authorization': token})\n",
            note="a client owned by an object made once",
        ),
        Case.good(
            "from sqlalchemy import create_engine\nfrom sqlalchemy.orm import sessionmaker\n\n"
            "from app.core.config import settings\n\n\n"
            "def build_engine(url: str) -> object:\n"
            "    return create_engine(url, pool_pre_ping=True)\n\n\n"
            "engine = build_engine(settings.database_url)\n"
            "SessionFactory = sessionmaker(bind=engine)\n",
            path="app/db/session.py",
            note="an engine factory the module calls once at import, keeping the engine global",
        ),
        Case(
            files={
                "tests/conftest.py": (
                    "from sqlalchemy.ext.asyncio import create_async_engine\n"
                    "from sqlalchemy.pool import NullPool\n\n\nasync def engine() -> object:\n"
                    "    return create_async_engine('sqlite+aiosqlite://', poolclass=NullPool)\n"
                ),
                "alembic/env.py": (
                    "from sqlalchemy import engine_from_config, pool\n\n\n"
                    "def run() -> None:\n    engine_from_config({}, poolclass=pool.NullPool)\n"
                ),
            },
            hits=0,
            note="tests and Alembic",
        ),
        Case.good(
            "from alembic import context\nfrom sqlalchemy import pool\n"
            "from sqlalchemy.ext.asyncio import async_engine_from_config\n\n\n"
            "async def run_async_migrations() -> None:\n"
            "    connectable = async_engine_from_config({}, poolclass=pool.NullPool)\n",
            path="templates/async/env.py",
            note="an Alembic environment outside alembic/ (Alembic's own template)",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "async def get_session() -> object:\n"
            "    engine = create_async_engine(settings.database_url)\n"
            "    async with AsyncSession(engine) as session:\n        yield session\n",
            note="a snippet without imports",
        ),
        Case.bad(
            "import httpx as h\nimport redis.asyncio as aioredis\nfrom fastapi import APIRouter\n"
            "from sqlalchemy import pool\n"
            "from sqlalchemy.ext.asyncio import create_async_engine\n\n"
            "router = APIRouter()\n"
            "engine = create_async_engine('postgresql+asyncpg://db/app', poolclass=pool.NullPool)\n"
            "\n\n"
            "@router.get('/rates')\nasync def rates() -> dict[str, float]:\n"
            "    async with h.AsyncClient() as client:\n"
            "        return (await client.get('https://rates')).json()\n\n\n"
            "async def get_cache() -> object:\n    return aioredis.from_url('redis://cache')\n\n\n"
            "class Client:\n    async def fetch(self) -> None:\n"
            "        def inner() -> object:\n            return h.Client()\n",
            hits=4,
            note="NullPool; a route, a dependency and a nested helper creating pools",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Find the functions of the module that run once."""
        super().__init__(context)
        tree = context.project.trees.get(context.path)
        self.once = (
            _once_called(tree) | _lifespan_arguments(tree) | _module_level_calls(tree)
            if tree is not None
            else frozenset()
        )

    @classmethod
    def applies(cls, facts: ModuleFacts, project: ProjectFacts) -> bool:
        """Application modules that use database engines or HTTP or Redis clients."""
        if not is_app_module(facts):
            return False
        return imports_any(facts, *PACKAGES) or bool(WORDS.search(source(project, facts)))

    def visit_Call(self, node: cst.Call) -> None:
        """Report pools made in per-request functions and ``poolclass=NullPool``."""
        for argument in node.args:
            keyword = argument.keyword.value if argument.keyword is not None else None
            if keyword == "poolclass" and self.resolver.match(dotted(argument.value), NULL_POOL):
                self.report(
                    argument,
                    "`NullPool` opens a new connection for every checkout; keep SQLAlchemy's "
                    "default pool and size it with `pool_size`/`max_overflow`",
                )
        if not self.frames or self._runs_once():
            return
        kind = self.resolver.match(dotted(node.func), CONSTRUCTOR_TARGETS)
        if kind in POOLS:
            where = self.frames[-1].name
            self.report(
                node,
                f"`{dotted(node.func)}(...)` creates a new {kind.value} each time `{where}` runs; "
                "create it once at module scope or in the lifespan and share it",
            )

    def _runs_once(self) -> bool:
        for frame in self.frames:
            if frame.name in self.once or ONCE.search(frame.name):
                return True
            node = frame.node
            if isinstance(node, cst.FunctionDef) and any(
                last_name(
                    dotted(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
                )
                in CACHES
                for d in node.decorators
            ):
                return True
        return False
