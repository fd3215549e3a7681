"""graceful-shutdown: engines and clients that no lifespan releases after ``yield``."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import ClassVar

from rulepack.evaluator.checks.ast_facts import walk
from rulepack.evaluator.checks.base import Case, Hit, ProjectCheck
from rulepack.evaluator.checks.common import imports_any
from rulepack.evaluator.checks.facts import Span
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.project.support import (
    app_code,
    ast_span,
    imports_of,
    qualified,
)

ENGINE = "engine"
CLIENT = "client"
FACTORIES: Mapping[str, str] = MappingProxyType({
    **dict.fromkeys(
        (
            "sqlalchemy.ext.asyncio.create_async_engine",
            "sqlalchemy.ext.asyncio.engine.create_async_engine",
            "sqlalchemy.create_engine",
            "sqlalchemy.engine.create_engine",
            "sqlmodel.create_engine",
        ),
        ENGINE,
    ),
    **dict.fromkeys(
        (
            "httpx.AsyncClient", "httpx.Client", "aiohttp.ClientSession",
            "redis.asyncio.Redis", "redis.asyncio.StrictRedis", "redis.asyncio.from_url",
            "redis.asyncio.Redis.from_url", "redis.asyncio.client.Redis",
            "redis.asyncio.ConnectionPool", "redis.asyncio.ConnectionPool.from_url",
            "redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url",
            "aioredis.from_url", "aioredis.Redis", "asyncpg.create_pool",
            "motor.motor_asyncio.AsyncIOMotorClient", "pymongo.AsyncMongoClient",
            "pymongo.MongoClient",
        ),
        CLIENT,
    ),
})  # fmt: skip
RELEASES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        ENGINE: frozenset({"dispose"}),
        CLIENT: frozenset({"aclose", "close", "disconnect", "terminate"}),
    }
)
RELEASE_NAMES = frozenset().union(*RELEASES.values())
CONTEXT_MANAGERS = frozenset({"contextlib.asynccontextmanager", "contextlib.contextmanager"})
CACHES = frozenset({"functools.cache", "functools.lru_cache", "functools.cached_property"})
STACK_METHODS = frozenset({"enter_async_context", "enter_context", "push_async_callback"})
ADVICE = {
    ENGINE: "await engine.dispose()",
    CLIENT: "await client.aclose()",
}

Function = ast.FunctionDef | ast.AsyncFunctionDef

_LIFESPAN_GOOD = (
    "from collections.abc import AsyncGenerator\nfrom contextlib import asynccontextmanager\n\n"
    "import httpx\nfrom fastapi import FastAPI\n\nfrom app.core.database import engine\n\n\n"
    "@asynccontextmanager\nasync def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:\n"
    "    app.state.http_client = httpx.AsyncClient(timeout=10.0)\n    try:\n        yield\n"
    "    finally:\n        await app.state.http_client.aclose()\n        await engine.dispose()\n"
)
_LIFESPAN_BAD = (
    "from collections.abc import AsyncGenerator\nfrom contextlib import asynccontextmanager\n\n"
    "import httpx\nfrom fastapi import FastAPI\n\n\n"
    "@asynccontextmanager\nasync def lifespan(app: FastAPI) -> AsyncGenerator[None, None]:\n"
    "    app.state.http_client = httpx.AsyncClient(timeout=10.0)\n    yield\n"
)
_ENGINE = (
    "from sqlalchemy.ext.asyncio import create_async_engine as make_engine\n\n"
    "engine = make_engine('postgresql+asyncpg://localhost/app')\n"
)


@dataclass(frozen=True)
class Creation:
    """A shared resource the app creates: which factory, of what kind, where."""

    factory: str
    kind: str
    path: str
    span: Span


def _decorators(node: Function, imports: ImportMap) -> set[str]:
    names: set[str] = set()
    for decorator in node.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = qualified(imports, target)
        if name is not None:
            names.add(name)
    return names


def _event_handler(node: Function, event: str) -> bool:
    """``@app.on_event("startup")`` / ``("shutdown")``."""
    for decorator in node.decorator_list:
        if (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr == "on_event"
            and decorator.args
            and isinstance(decorator.args[0], ast.Constant)
            and decorator.args[0].value == event
        ):
            return True
    return False


def _registered_handlers(tree: ast.Module, event: str) -> set[str]:
    """Functions registered with ``add_event_handler(event, f)`` or ``on_<event>=[f]``."""
    names: set[str] = set()
    for node in walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "add_event_handler"
            and len(node.args) >= 2
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value == event
        ):
            names.update(_names(node.args[1]))
        for keyword in node.keywords:
            if keyword.arg == f"on_{event}":
                names.update(_names(keyword.value))
    return names


def _names(node: ast.expr) -> Iterator[str]:
    if isinstance(node, ast.List | ast.Tuple):
        for item in node.elts:
            yield from _names(item)
    elif isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Attribute):
        yield node.attr


def _first_yield(node: Function) -> int | None:
    lines = [n.lineno for n in ast.walk(node) if isinstance(n, ast.Yield | ast.YieldFrom)]
    return min(lines) if lines else None


def _is_lifespan(node: Function, imports: ImportMap) -> bool:
    """A generator context manager, or a function named like a lifespan."""
    if "lifespan" in node.name.lower():
        return True
    return bool(_decorators(node, imports) & CONTEXT_MANAGERS) and _first_yield(node) is not None


def _self_managed(tree: ast.AST) -> set[int]:
    """``id`` of calls whose result a ``with`` statement or an exit stack closes."""
    managed: set[int] = set()
    for node in walk(tree):
        if isinstance(node, ast.With | ast.AsyncWith):
            managed.update(id(item.context_expr) for item in node.items)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in STACK_METHODS
        ):
            managed.update(id(arg) for arg in node.args)
    return managed


class _ModuleScan:
    """Creations and releases of one module."""

    def __init__(self, path: str, tree: ast.Module) -> None:
        self.path = path
        self.tree = tree
        self.imports = imports_of(path, tree)
        self.managed = _self_managed(tree)
        self.startup = _registered_handlers(tree, "startup")
        self.shutdown = _registered_handlers(tree, "shutdown")

    def creations(self) -> Iterator[Creation]:
        """Resources created at module level, in a lifespan or startup handler, or in a cache."""
        is_script = any(
            isinstance(s, ast.If) and "__main__" in ast.unparse(s.test) for s in self.tree.body
        )
        for statement in self.tree.body:
            if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
                if self._creates_shared(statement):
                    yield from self._calls(statement)
            elif not isinstance(statement, ast.ClassDef) and not is_script:
                yield from self._calls(statement)

    def _creates_shared(self, node: Function) -> bool:
        return (
            _is_lifespan(node, self.imports)
            or _event_handler(node, "startup")
            or node.name in self.startup
            or bool(_decorators(node, self.imports) & CACHES)
        )

    def _calls(self, scope: ast.AST) -> Iterator[Creation]:
        for node in ast.walk(scope):
            if not isinstance(node, ast.Call) or id(node) in self.managed:
                continue
            factory = qualified(self.imports, node.func)
            if factory is not None and factory in FACTORIES:
                yield Creation(factory, FACTORIES[factory], self.path, ast_span(node))

    def release_contexts(self) -> Iterator[tuple[ast.AST, int]]:
        """``(function, first line that counts)``: lifespans after ``yield``, shutdown handlers."""
        for node in ast.walk(self.tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if _event_handler(node, "shutdown") or node.name in self.shutdown:
                yield node, 0
            elif _is_lifespan(node, self.imports):
                first = _first_yield(node)
                if first is not None:
                    yield node, first


def _references(scope: ast.AST, after: int) -> tuple[set[str], set[str]]:
    """Release names referenced (``x.aclose``) and functions called, after line ``after``.

    A release pushed on an exit stack (``stack.push_async_callback(client.aclose)``) runs at exit
    wherever it is pushed, so it counts at any line.
    """
    releases: set[str] = set()
    called: set[str] = set()
    for node in ast.walk(scope):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Attribute) and node.attr in RELEASE_NAMES and line > after:
            releases.add(node.attr)
        if not isinstance(node, ast.Call):
            continue
        if line > after:
            called.update(_names(node.func))
        if isinstance(node.func, ast.Attribute) and node.func.attr == "push_async_callback":
            releases.update(a.attr for a in node.args if isinstance(a, ast.Attribute))
    return releases, called


def released_names(scans: list[_ModuleScan]) -> set[str]:
    """Release methods reachable from a lifespan after ``yield`` or from a shutdown handler."""
    helpers: dict[str, set[str]] = {}
    calls: dict[str, set[str]] = {}
    for scan in scans:
        for node in ast.walk(scan.tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                own, called = _references(node, 0)
                helpers.setdefault(node.name, set()).update(own)
                calls.setdefault(node.name, set()).update(called)
    _close_over(helpers, calls)
    found: set[str] = set()
    for scan in scans:
        for scope, after in scan.release_contexts():
            own, called = _references(scope, after)
            found |= own
            for name in called:
                found |= helpers.get(name, set())
    return found


def _close_over(helpers: dict[str, set[str]], calls: dict[str, set[str]]) -> None:
    """Add to each helper the release names of the helpers it calls, to a fixed point."""
    changed = True
    while changed:
        changed = False
        for name, called in calls.items():
            for other in called:
                extra = helpers.get(other, set()) - helpers[name]
                if extra:
                    helpers[name] |= extra
                    changed = True


class GracefulShutdown(ProjectCheck):
    """Engines and clients that no lifespan releases on shutdown.

    ## What it does
    Finds the shared resources the app creates — SQLAlchemy engines (``create_async_engine``,
    ``create_engine``), httpx and aiohttp clients, Redis clients and pools, asyncpg pools and
    Mongo clients — at module level, in a lifespan or startup handler, or in a cached factory
    (``@lru_cache``), and reports each one whose kind nothing releases: an engine needs a
    ``dispose()`` and a client an ``aclose()``/``close()``/``disconnect()`` after ``yield`` in a
    lifespan (a generator context manager or a function named ``*lifespan*``), in a shutdown
    handler, in a helper those call, or as an exit-stack callback. Resources opened with
    ``async with`` or ``enter_async_context`` close themselves; resources created per call in other
    functions, in tests, in migrations and in ``__main__`` scripts are not judged. It applies to
    FastAPI and Starlette projects.

    ## Why is this bad?
    On SIGTERM uvicorn runs the lifespan's shutdown; resources it does not release leave
    connections half-open, lose buffered data and make the database log aborted sessions.
    """

    id = "graceful-shutdown"
    summary = "engine or client not released on shutdown"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(_LIFESPAN_GOOD, path="app/core/lifespan.py"),
        Case(
            files={
                "app/core/database.py": _ENGINE + "\n\nasync def close_db() -> None:\n"
                "    await engine.dispose()\n",
                "app/main.py": (
                    "from contextlib import asynccontextmanager\n\nfrom fastapi import FastAPI\n\n"
                    "from app.core.database import close_db\n\n\n@asynccontextmanager\n"
                    "async def lifespan(app: FastAPI):\n    yield\n    await close_db()\n\n\n"
                    "app = FastAPI(lifespan=lifespan)\n"
                ),
            },
            hits=0,
            note="an engine in another module, disposed by a helper the lifespan calls",
        ),
        Case.good(
            "import contextlib\n\nimport httpx\nfrom fastapi import FastAPI\n\n\n"
            "@contextlib.asynccontextmanager\nasync def lifespan(app: FastAPI):\n"
            "    async with httpx.AsyncClient() as client:\n"
            "        app.state.client = client\n        yield\n\n\n"
            "async def fetch() -> int:\n    client = httpx.AsyncClient()\n    return 1\n",
            note="a client opened with async with; a per-call client is another rule's concern",
        ),
        Case.good(
            "from contextlib import AsyncExitStack, asynccontextmanager\n\nimport redis.asyncio"
            " as aioredis\nfrom fastapi import FastAPI\n\n\n@asynccontextmanager\n"
            "async def lifespan(app: FastAPI):\n    async with AsyncExitStack() as stack:\n"
            "        app.state.redis = aioredis.from_url('redis://localhost')\n"
            "        stack.push_async_callback(app.state.redis.aclose)\n        yield\n",
            note="a callback pushed on an exit stack",
        ),
        Case.good(
            "from fastapi import FastAPI\nfrom sqlalchemy import create_engine\n\n"
            "engine = create_engine('sqlite://')\napp = FastAPI()\n\n\n"
            "@app.on_event('shutdown')\ndef shutdown() -> None:\n    engine.dispose()\n",
            note="a shutdown handler releases it (on_event is another rule's concern)",
        ),
        Case.good(
            "from sqlalchemy import create_engine\n\nengine = create_engine('sqlite://')\n",
            note="no FastAPI or Starlette in the sample",
        ),
        Case.good(
            "import httpx\nfrom fastapi.testclient import TestClient\n\nclient = httpx.Client()\n",
            path="tests/conftest.py",
            note="tests are not judged",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(_LIFESPAN_BAD, path="app/core/lifespan.py"),
        Case(
            files={
                "app/core/database.py": _ENGINE,
                "app/clients.py": (
                    "from functools import lru_cache\n\nimport httpx\n\n\n@lru_cache\n"
                    "def get_client() -> httpx.AsyncClient:\n    return httpx.AsyncClient()\n"
                ),
                "app/main.py": (
                    "from contextlib import asynccontextmanager\n\nfrom fastapi import FastAPI\n\n"
                    "from app.core.database import engine\n\n\n@asynccontextmanager\n"
                    "async def lifespan(app: FastAPI):\n    await engine.dispose()\n    yield\n\n\n"
                    "app = FastAPI(lifespan=lifespan)\n"
                ),
            },
            hits=2,
            note="disposed before yield (startup, not shutdown); a cached client never closed",
        ),
        Case.bad(
            "import redis\nfrom fastapi import FastAPI\n\ncache = redis.Redis.from_url('redis://x')"
            "\napp = FastAPI()\n\n\n@app.on_event('startup')\nasync def start() -> None:\n"
            "    app.state.db = create_engine('sqlite://')\n",
            note="a module-level Redis client; an unresolved name is not a factory",
        ),
    )

    def applies(self) -> bool:
        """FastAPI or Starlette projects that create shared engines or clients."""
        return self._is_web() and any(self._creations())

    def _is_web(self) -> bool:
        return any(imports_any(module, "fastapi", "starlette") for module in self.project.modules)

    def _scans(self) -> list[_ModuleScan]:
        return [_ModuleScan(path, tree) for path, tree in app_code(self.project)]

    def _creations(self) -> Iterator[Creation]:
        for scan in self._scans():
            yield from scan.creations()

    def run(self) -> Iterator[Hit]:
        """Report each creation whose kind no shutdown path releases."""
        scans = self._scans()
        released = released_names(scans)
        for scan in scans:
            for creation in scan.creations():
                if RELEASES[creation.kind] & released:
                    continue
                yield Hit(
                    creation.path,
                    creation.span,
                    f"`{creation.factory.rsplit('.', 1)[-1]}` creates a shared {creation.kind} "
                    f"that no lifespan releases after `yield`; call `{ADVICE[creation.kind]}` "
                    "in the lifespan's `finally:` block",
                )
