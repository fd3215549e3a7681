"""sync-route-handler: ``def`` route handlers that use no sync-only library."""

from __future__ import annotations

import ast
import re
from typing import ClassVar

import libcst as cst
from libcst.metadata import PositionProvider

from rulepack.evaluator.checks.base import Case, Hit, ModuleContext
from rulepack.evaluator.checks.common import is_test_path
from rulepack.evaluator.checks.facts import Span
from rulepack.evaluator.checks.imports import ImportMap
from rulepack.evaluator.checks.route_owner import is_route_owner
from rulepack.evaluator.checks.routes.handlers import Handler, RouteCheck
from rulepack.evaluator.checks.routes.sample import ParamInfo, subscript_args, type_name, unwrap

# Types of sync-only database clients: a handler that takes one does blocking I/O on purpose.
SYNC_TYPES = frozenset(
    {
        "sqlalchemy.orm.Session",
        "sqlalchemy.orm.session.Session",
        "sqlalchemy.orm.scoped_session",
        "sqlalchemy.orm.scoping.scoped_session",
        "sqlalchemy.engine.Connection",
        "sqlalchemy.Connection",
        "sqlmodel.Session",
        "sqlmodel.orm.session.Session",
        "pymongo.MongoClient",
        "pymongo.database.Database",
        "redis.Redis",
        "redis.client.Redis",
        "psycopg2.extensions.connection",
        "sqlite3.Connection",
    }
)
# Calls of blocking, sync-only libraries (the qualified name starts with one of these).
BLOCKING_CALLS = re.compile(
    r"^(requests|urllib\.request|urllib3|time\.sleep|subprocess|smtplib|boto3|botocore"
    r"|psycopg2|pymysql|sqlite3|shutil|os\.(remove|unlink|rename|makedirs|listdir|walk|scandir)"
    r"|builtins\.open|open$)"
)
_MAX_DEPTH = 2
SESSION_WORDS = re.compile(r"session|\bdb\b|db_|_db|database|conn")


__all__ = ["SyncRouteHandler", "is_route_owner"]  # is_route_owner: its former home


class SyncRouteHandler(RouteCheck):
    """``def`` route handlers that have no sync-only library to call.

    ## What it does
    Finds ``async def`` route handlers that take a sync-only client (their calls block the
    event loop), and route handlers declared with ``def`` on a FastAPI app or ``APIRouter`` that
    neither take a sync-only client (a SQLAlchemy or SQLModel ``Session``, a sync
    ``Connection``, a ``redis`` or ``pymongo`` client: as a parameter, through a dependency
    within two levels, or as a class-based view's attribute) nor call a blocking library
    (``requests``, ``time.sleep``, ``open``, ``subprocess``, ``boto3`` ...). A ``def`` handler
    that calls a function of another of the project's modules is reported as advisory: the check
    does not follow that function's body, which may block.

    ## Why is this bad?
    The pack asks for ``async def`` handlers, with ``def`` as the deliberate exception for
    handlers that must call a sync-only library (FastAPI runs those in its thread pool). A
    ``def`` handler with no such call only takes a thread from the bounded pool for nothing.
    """

    id = "sync-route-handler"
    summary = "route handler is declared `def` but calls no sync-only library; make it async"
    good: ClassVar[tuple[Case, ...]] = (
        Case.good(
            "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
            "@router.get('/items')\nasync def list_items() -> list[str]:\n    return []\n"
        ),
        Case.good(
            "def helper() -> int:\n    return 1\n",
            note="a plain function is not a route",
        ),
        Case.good(
            "import functools\n\n\n@functools.lru_cache\ndef settings() -> int:\n    return 1\n",
            note="other decorators are not routes",
        ),
        Case(
            files={
                "src/shop/db.py": (
                    "from typing import Annotated\n\nfrom fastapi import Depends\n"
                    "from sqlalchemy.orm import Session\n\n\n"
                    "def get_db() -> Session:\n    return Session()\n\n\n"
                    "DbSession = Annotated[Session, Depends(get_db)]\n\n\n"
                    "def paging(db: DbSession, page: int = 1) -> dict[str, object]:\n"
                    "    return {'db': db, 'page': page}\n\n\n"
                    "Paging = Annotated[dict[str, object], Depends(paging)]\n"
                ),
                "src/shop/views.py": (
                    "import requests\nfrom fastapi import APIRouter, Depends\n"
                    "from sqlalchemy.orm import Session\n\n"
                    "from shop.db import DbSession, Paging, get_db\n\n"
                    "router = APIRouter()\n\n\n"
                    "@router.get('/orders')\ndef orders(paging: Paging) -> list[str]:\n"
                    "    return []\n\n\n"
                    "@router.post('/orders')\ndef create(db: DbSession) -> None:\n    pass\n\n\n"
                    "@router.get('/rates')\ndef rates() -> object:\n"
                    "    return requests.get('https://example.com').json()\n\n\n"
                    "async def current_user(db: DbSession) -> str:\n    return 'me'\n\n\n"
                    "@router.post('/orders/refresh')\n"
                    "async def refresh(me: str = Depends(current_user)) -> None:\n    pass\n\n\n"
                    "class OrderView:\n    session: Session = Depends(get_db)\n\n"
                    "    @router.delete('/orders/{order_id}')\n"
                    "    def delete(self, order_id: int) -> None:\n        pass\n"
                ),
            },
            hits=0,
            note="def handlers on a sync Session (an alias of another module in a src/ layout, a "
            "dependency taking one, a class-based view's attribute) and on requests; an async "
            "handler whose dependency uses a session but returns none",
        ),
        Case.good(
            "from slack_bolt import App\n\napp = App()\n\n\n"
            "@app.options('pick_team')\ndef pick_team(ack: object) -> None:\n    pass\n",
            note="an `app` of another library (Slack's bolt) is not a FastAPI app",
        ),
    )
    bad: ClassVar[tuple[Case, ...]] = (
        Case.bad(
            "from fastapi import APIRouter, Depends\nfrom sqlmodel import Session\n\n"
            "router = APIRouter()\n\n\n"
            "@router.get('/notes')\nasync def notes(db: Session = Depends(get_db)) -> list[str]:\n"
            "    return db.exec(select_notes()).all()\n",
            note="an async handler on a sync session blocks the event loop",
        ),
        Case.bad(
            "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
            "@app.get('/health')\ndef health() -> dict[str, str]:\n    return {}\n"
        ),
        Case(
            files={
                "app/api.py": "from fastapi import APIRouter\n\nv1 = APIRouter(prefix='/v1')\n",
                "app/users.py": (
                    "from app.api import v1 as api\n\n\n"
                    "@api.post('/users', status_code=201)\n"
                    "def create(service: UserService) -> None:\n"
                    "    service.create()\n"
                ),
            },
            hits=1,
            note="a router imported under another name from another module",
        ),
        Case(
            files={
                "app/notify.py": "def deliver(address: str) -> None:\n    print(address)\n",
                "app/routes.py": (
                    "from fastapi import APIRouter\n\nfrom app.notify import deliver\n\n"
                    "router = APIRouter()\n\n\n"
                    "@router.post('/notices', status_code=202)\n"
                    "def notice(address: str) -> None:\n"
                    "    deliver(address)\n"
                ),
            },
            hits=1,
            note="advisory: a def handler calling the project's own helper, which may block",
        ),
    )

    def __init__(self, context: ModuleContext) -> None:
        """Start with no handler awaiting its body."""
        super().__init__(context)
        self._pending: set[Handler] = set()
        self._unread: dict[Handler, str] = {}  # a session-like parameter whose type is unknown
        self._helpers: dict[Handler, str] = {}  # a function of the project's own the handler calls
        self._own_modules = frozenset(m.module for m in context.project.modules if m.module)

    def enter_handler(self, handler: Handler) -> None:
        """Note a ``def`` handler without a sync-only client; report ``async def`` ones with one."""
        if is_test_path(self.context.path):
            return  # a route a test declares to exercise the app
        if handler.node.asynchronous is not None:
            self._check_async(handler)
            return
        params = [*self.handler_params(handler), *self.class_params(handler)]
        if not any(self._sync_client(param, 0) for param in params):
            self._pending.add(handler)
            unread = next((p.name for p in params if self._unread_session(p)), None)
            if unread is not None:
                self._unread[handler] = unread

    def _check_async(self, handler: Handler) -> None:
        """An ``async def`` handler given a sync-only client blocks the event loop with it."""
        client = next((p for p in self.handler_params(handler) if self._given_client(p)), None)
        if client is not None:
            self.report(
                handler.node.name,
                f"route handler `{handler.name}` is `async def` but takes the sync-only client "
                f"`{client.name}`, whose calls block the event loop; make it `def` or call the "
                "client through `await run_in_threadpool(...)`",
            )

    def visit_Call(self, node: cst.Call) -> None:
        """A blocking call in a noted handler's body clears it."""
        handler = self.handler
        if handler is None or handler not in self._pending:
            return
        name = self.qualified(node.func)
        if name is not None and BLOCKING_CALLS.match(name):
            self._pending.discard(handler)
        elif name is not None and handler not in self._helpers and self._own(name):
            self._helpers[handler] = name.rsplit(".", 1)[-1]

    def _own(self, name: str) -> bool:
        """Whether ``name`` is a function of one of the sample's own modules (not this one)."""
        module = name.rsplit(".", 1)[0]
        return module in self._own_modules and module != self.context.facts.module

    def leave_handler(self, handler: Handler) -> None:
        """Report a noted handler that made no blocking call."""
        unread = self._unread.pop(handler, None)
        helper = self._helpers.pop(handler, None)
        if handler not in self._pending:
            return
        self._pending.discard(handler)
        if unread is None and helper is not None:
            message = (
                f"route handler `{handler.name}` is `def` and calls the project's own `{helper}`, "
                "whose body this check does not follow: if nothing it calls blocks (sync DB, "
                "SMTP, file or HTTP I/O), make the handler `async def`"
            )
            span = Span.of(self.get_metadata(PositionProvider, handler.node.name))
            self.hits.append(Hit(self.context.path, span, message, advisory=True))
            return
        if unread is None:
            self.report(
                handler.node.name,
                f"route handler `{handler.name}` is `def` but takes no sync-only client "
                "(sync DB session, blocking library); make it `async def`",
            )
            return
        span = Span.of(self.get_metadata(PositionProvider, handler.node.name))
        message = (
            f"route handler `{handler.name}` is `def` and takes `{unread}`, whose type could not "
            "be read: if it is a sync session, `def` is right; if it is async, make the handler "
            "`async def`"
        )
        self.hits.append(Hit(self.context.path, span, message, advisory=True))

    def _unread_session(self, param: ParamInfo) -> bool:
        """A parameter named or annotated like a DB session whose type cannot be read.

        Its alias may live in a module that did not parse, or in a library: it could be sync or
        async, so the check cannot tell whether ``def`` is the deliberate choice.
        """
        if param.alias is not None or param.marker is not None or param.type_name is None:
            return False
        if self.index.lookup(param.type_name) is not None:
            return False  # a class or alias the sample defines, already analysed
        words = f"{param.name} {param.written_name or ''}".lower()
        return "async" not in words and SESSION_WORDS.search(words) is not None

    def _given_client(self, param: ParamInfo) -> bool:
        """Whether the handler receives a sync client: typed so, or what its dependency returns.

        A dependency that only uses a sync session itself (``get_current_user``) runs in the
        thread pool on its own; it does not make the handler block.
        """
        if param.type_name in SYNC_TYPES:
            return True
        marker = param.marker
        target = marker.target if marker is not None and marker.kind == "depends" else None
        found = self.index.function(target) if target is not None else None
        return found is not None and _yields_sync_client(found[0].returns, found[1])

    def _sync_client(self, param: ParamInfo, depth: int) -> bool:
        """Whether a parameter is a sync client, or a dependency that takes one."""
        if param.type_name in SYNC_TYPES:
            return True
        marker = param.marker
        if marker is None or marker.kind not in {"depends", "security"} or depth >= _MAX_DEPTH:
            return False
        if marker.target is None:
            return False
        found = self.index.function(marker.target)
        if found is None:
            return False
        if _yields_sync_client(found[0].returns, found[1]):
            return True
        params = self.index.function_params(found[0], found[1])
        return any(self._sync_client(p, depth + 1) for p in params)


def _yields_sync_client(returns: ast.expr | None, imports: ImportMap) -> bool:
    """Whether a dependency's return type is a sync client (``Session``, ``Iterator[Session]``)."""
    if returns is None:
        return False
    name = type_name(unwrap(returns, imports), imports)
    if name in {"Generator", "Iterator", "Iterable", "ContextManager"}:
        args = subscript_args(returns)
        return bool(args) and type_name(unwrap(args[0], imports), imports) in SYNC_TYPES
    return name in SYNC_TYPES
